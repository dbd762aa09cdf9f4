"""The store: one DuckDB file holding records, rejects, runs, entities and decisions.

Only this package knows table layouts; everything else calls its functions.
"""

from resolver.store.connection import (
    connect,
    create_stage,
    drop_stages,
    ensure_schema,
    publish,
    table_exists,
    transaction,
)

__all__ = [
    "connect",
    "create_stage",
    "drop_stages",
    "ensure_schema",
    "publish",
    "table_exists",
    "transaction",
]
