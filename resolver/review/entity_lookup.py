"""Entities and the crosswalk, read from the store file."""

from __future__ import annotations

from typing import Any

import duckdb

from resolver.errors import NotFound
from resolver.ingest.canonical import OBJECTS, TABLES
from resolver.review.view import MEMBER_COLUMNS, SHOWN, golden_fields
from resolver.store import table_exists


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def get_entity(con: duckdb.DuckDBPyConnection, entity_id: str) -> dict[str, Any]:
    """An entity's golden record, its members in every system, and its history."""
    obj = "customer" if entity_id.startswith("CUS-") else "invoice"
    if not table_exists(con, f"{obj}_golden"):
        raise NotFound("no completed run yet")
    gold = _dicts(con.execute(f"SELECT * FROM {obj}_golden WHERE entity_id = ?", [entity_id]))
    events = (
        _dicts(
            con.execute(
                "SELECT run_id, event, related, members FROM entity_events WHERE entity_id = ? "
                "ORDER BY run_id",
                [entity_id],
            )
        )
        if table_exists(con, "entity_events")
        else []
    )
    if not gold:
        if events:
            return {"entity_id": entity_id, "object": obj, "current": False, "history": events}
        raise NotFound(f"no entity {entity_id!r}")
    keys = [
        r[0]
        for r in con.execute(
            f"SELECT record_key FROM {obj}_members WHERE entity_id = ? ORDER BY record_key",
            [entity_id],
        ).fetchall()
    ]
    g = gold[0]
    golden = golden_fields(g)
    return {
        "entity_id": entity_id,
        "object": obj,
        "current": True,
        "systems": list(g["systems"]),
        "golden": golden,
        "members": _members(con, obj, keys),
        "history": events,
    }


def _members(con: duckdb.DuckDBPyConnection, obj: str, keys: list[str]) -> list[dict[str, Any]]:
    cols = ", ".join(MEMBER_COLUMNS + SHOWN[obj])
    marks = ", ".join("?" for _ in keys) or "NULL"
    rows = _dicts(
        con.execute(
            f"SELECT {cols} FROM {TABLES[obj]} WHERE record_key IN ({marks}) ORDER BY record_key",
            list(keys),
        )
    )
    return [{k: (str(v) if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows]


def crosswalk_lookup(
    con: duckdb.DuckDBPyConnection, *, system: str, source_id: str, object: str | None = None
) -> list[dict[str, Any]]:
    """Entity of a source record (one per object that has it)."""
    out = []
    for obj in [object] if object else list(OBJECTS):
        if not table_exists(con, f"{obj}_members"):
            continue
        rows = con.execute(
            f"SELECT r.record_key, m.entity_id FROM {TABLES[obj]} r "
            f"JOIN {obj}_members m USING (record_key) WHERE r.system = ? AND r.source_id = ?",
            [system, source_id],
        ).fetchall()
        out += [
            {
                "object": obj,
                "system": system,
                "source_id": source_id,
                "record_key": k,
                "entity_id": e,
            }
            for k, e in rows
        ]
    if not out:
        raise NotFound(f"no loaded record {system}:{source_id}")
    return out
