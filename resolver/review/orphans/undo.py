"""Undo an orphan's resolution: the link or the "expected" it was given stops
counting (the next run no longer honours it), and the orphan is open again."""

from __future__ import annotations

import duckdb

from resolver.errors import Conflict, InvalidDecision
from resolver.review.orphans.compute import orphan_decisions
from resolver.review.orphans.review import append_on_orphan, get_orphan, orphan_state
from resolver.store import decisions as store_decisions


def undo_orphan_resolution(
    con: duckdb.DuckDBPyConnection,
    orphan_id: str,
    *,
    reviewer: str,
    reason: str | None = None,
) -> int:
    """Record an undo of the resolution in force on this orphan; return its decision id.

    Raises NotFound for an unknown orphan, InvalidDecision when it was never resolved,
    and Conflict when its resolution was undone already or changed while this undo was
    being made (racing reviewers: one undo wins, the others get the state now).
    """
    orphan = get_orphan(con, orphan_id)
    if not (reviewer or "").strip():
        raise InvalidDecision("reviewer is required: who undid the resolution")
    seen = store_decisions.last_decision_on(con, orphan["expectation"], orphan["record_key"])
    d = orphan_decisions(con)
    hit = d[(d["record_key"] == orphan["record_key"]) & (d["expectation"] == orphan["expectation"])]
    if hit.empty and seen:  # resolved once, and undone since (by a racing reviewer?)
        raise Conflict(
            f"orphan {orphan_id} has no resolution in force: it was undone (decision {seen})",
            orphan_state(con, orphan),
        )
    if hit.empty:
        raise InvalidDecision(f"orphan {orphan_id} has no resolution to undo")
    decision_id = int(hit["decision_id"].iloc[0])
    row = store_decisions.load(con)
    row = row[row["decision_id"] == decision_id].iloc[0]
    undo = {
        "object": row["object"],
        "action": "undo",
        "record_keys": list(row["record_keys"]),
        "record_hashes": {},
        "undoes": decision_id,
        "expectation": orphan["expectation"],
        "reviewer": reviewer.strip(),
        "reason": reason,
    }
    return append_on_orphan(con, orphan, undo, seen=seen)
