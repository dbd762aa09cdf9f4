"""Entities and the crosswalk, read from the store file."""

from __future__ import annotations

from typing import Any

import duckdb

from resolver.errors import NotFound
from resolver.ingest.canonical import OBJECTS
from resolver.review.view import MEMBER_COLUMNS, SHOWN, golden_fields
from resolver.store import entities, table_exists


def get_entity(con: duckdb.DuckDBPyConnection, entity_id: str) -> dict[str, Any]:
    """An entity's golden record, its members in every system, and its history."""
    obj = "customer" if entity_id.startswith("CUS-") else "invoice"
    if not table_exists(con, f"{obj}_golden"):
        raise NotFound("no completed run yet")
    gold = entities.golden_rows(con, obj, entity_id)
    events = entities.entity_events(con, entity_id)
    if not gold:
        if events:
            return {"entity_id": entity_id, "object": obj, "current": False, "history": events}
        raise NotFound(f"no entity {entity_id!r}")
    keys = entities.member_keys(con, obj, entity_id)
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
    rows = entities.records_by_key(con, obj, keys, MEMBER_COLUMNS + SHOWN[obj])
    return [{k: (str(v) if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows]


def crosswalk_lookup(
    con: duckdb.DuckDBPyConnection, *, system: str, source_id: str, object: str | None = None
) -> list[dict[str, Any]]:
    """Entity of a source record (one per object that has it)."""
    out = []
    for obj in [object] if object else list(OBJECTS):
        rows = entities.source_record_entities(con, obj, system, source_id)
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
