"""One entity as the published store holds it: its golden record (``<object>_golden``),
its members and their records, its lineage (``entity_events``), and the entity each
source record belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from resolver.ingest.canonical import TABLES
from resolver.store.connection import dict_rows, table_exists


def golden_rows(con: duckdb.DuckDBPyConnection, obj: str, entity_id: str) -> list[dict[str, Any]]:
    """The golden record of ``entity_id`` (one row, or none)."""
    return dict_rows(con, f"SELECT * FROM {obj}_golden WHERE entity_id = ?", [entity_id])


def entity_events(con: duckdb.DuckDBPyConnection, entity_id: str) -> list[dict[str, Any]]:
    """run_id, event, related, members of every lineage event of ``entity_id``, by run;
    empty without an ``entity_events`` table."""
    if not table_exists(con, "entity_events"):
        return []
    return dict_rows(
        con,
        "SELECT run_id, event, related, members FROM entity_events WHERE entity_id = ? "
        "ORDER BY run_id",
        [entity_id],
    )


def member_keys(con: duckdb.DuckDBPyConnection, obj: str, entity_id: str) -> list[str]:
    """The record keys of ``entity_id``'s members, in order."""
    return [
        r[0]
        for r in con.execute(
            f"SELECT record_key FROM {obj}_members WHERE entity_id = ? ORDER BY record_key",
            [entity_id],
        ).fetchall()
    ]


def records_by_key(
    con: duckdb.DuckDBPyConnection, obj: str, keys: Sequence[str], columns: Sequence[str]
) -> list[dict[str, Any]]:
    """``columns`` of the loaded records of ``obj`` with these keys, by record key."""
    marks = ", ".join("?" for _ in keys) or "NULL"
    return dict_rows(
        con,
        f"SELECT {', '.join(columns)} FROM {TABLES[obj]} WHERE record_key IN ({marks}) "
        "ORDER BY record_key",
        list(keys),
    )


def source_record_entities(
    con: duckdb.DuckDBPyConnection, obj: str, system: str, source_id: str
) -> list[tuple[str, str]]:
    """(record key, entity id) of the loaded records of ``obj`` with this system and
    source id; empty when ``obj`` has no members table yet."""
    if not table_exists(con, f"{obj}_members"):
        return []
    return con.execute(
        f"SELECT r.record_key, m.entity_id FROM {TABLES[obj]} r "
        f"JOIN {obj}_members m USING (record_key) WHERE r.system = ? AND r.source_id = ?",
        [system, source_id],
    ).fetchall()
