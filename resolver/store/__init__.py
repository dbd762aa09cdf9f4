"""The store: one DuckDB file holding records, rejects, runs, entities and decisions.

Only this package knows table layouts; everything else calls its functions.
"""

from resolver.store.connection import (
    abandon_building,
    connect,
    create_stage,
    ensure_schema,
    finish_building,
    meta_value,
    publish,
    set_meta,
    sorted_reader,
    start_building,
    table_columns,
    table_exists,
    transaction,
)

__all__ = [
    "abandon_building",
    "connect",
    "create_stage",
    "ensure_schema",
    "finish_building",
    "meta_value",
    "publish",
    "set_meta",
    "sorted_reader",
    "start_building",
    "table_columns",
    "table_exists",
    "transaction",
]
