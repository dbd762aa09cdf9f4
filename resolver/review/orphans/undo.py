"""Undo an orphan's resolution: the link or the "expected" it was given stops
counting (the next run no longer honours it), and the orphan is open again."""

from __future__ import annotations

import duckdb

from resolver.errors import InvalidDecision
from resolver.review.orphans.compute import orphan_decisions
from resolver.review.orphans.review import get_orphan
from resolver.store import decisions as store_decisions


def undo_orphan_resolution(
    con: duckdb.DuckDBPyConnection,
    orphan_id: str,
    *,
    reviewer: str,
    reason: str | None = None,
) -> int:
    """Record an undo of the resolution in force on this orphan; return its decision id.

    Raises NotFound for an unknown orphan and InvalidDecision when the orphan has no
    resolution in force (never resolved, or already undone).
    """
    orphan = get_orphan(con, orphan_id)
    if not (reviewer or "").strip():
        raise InvalidDecision("reviewer is required: who undid the resolution")
    d = orphan_decisions(con)
    hit = d[(d["record_key"] == orphan["record_key"]) & (d["expectation"] == orphan["expectation"])]
    if hit.empty:
        raise InvalidDecision(f"orphan {orphan_id} has no resolution to undo")
    decision_id = int(hit["decision_id"].iloc[0])
    row = store_decisions.load(con)
    row = row[row["decision_id"] == decision_id].iloc[0]
    return store_decisions.append(
        con,
        {
            "object": row["object"],
            "action": "undo",
            "record_keys": list(row["record_keys"]),
            "record_hashes": {},
            "undoes": decision_id,
            "expectation": orphan["expectation"],
            "reviewer": reviewer.strip(),
            "reason": reason,
        },
    )
