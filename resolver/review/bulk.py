"""Bulk decisions: accept every proposal suggested for auto-merge that a filter
selects, in one step, and undo that step as one.

The reviewer confirms what they were shown (how many proposals, how much money):
when the selection has changed since (another reviewer decided some, a run
replaced the store), the step is refused with the fresh figures, never applied to
a selection the reviewer did not see. A bulk step is one journal transaction: all
of its decisions are recorded, or none.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from resolver.errors import Conflict, InvalidDecision, NotFound
from resolver.review.proposal_index import Filters
from resolver.review.proposals import _WRITE_LOCK, Source, _decision_row, _detail, view_of

BULK_ACTION = "auto_merge"  # the only proposals a bulk step accepts
MAX_BULK = 100_000  # one journal transaction; beyond it, narrow the filter


def _selection(view: Any, filters: Filters) -> list[int]:
    f = replace(filters, status="open", action=BULK_ACTION)
    return view.proposals.select(f).tolist()


def bulk_preview(source: Source, filters: Filters) -> dict[str, Any]:
    """What a bulk accept with these filters would decide: ``{count, stake_cents}``
    (open proposals suggested for auto-merge only)."""
    view = view_of(source)
    rows = _selection(view, filters)
    stake = view.proposals.stake[rows] if rows else []
    return {
        "count": len(rows),
        "stake_cents": int(sum(0 if s != s else s for s in stake)),
    }


def bulk_accept(
    source: Source,
    filters: Filters,
    *,
    reviewer: str,
    expect_count: int,
    expect_stake_cents: int,
    reason: str | None = None,
) -> dict[str, Any]:
    """Accept every open auto-merge proposal the filters select, as one step.

    ``expect_count`` / ``expect_stake_cents`` are the figures the reviewer
    confirmed; a different selection now raises Conflict with the fresh preview.
    Returns ``{batch_id, count, stake_cents}``.
    """
    if not reviewer:
        raise InvalidDecision("a decision needs a reviewer")
    view = view_of(source)
    with _WRITE_LOCK:
        preview = bulk_preview(view, filters)
        if (preview["count"], preview["stake_cents"]) != (expect_count, expect_stake_cents):
            raise Conflict(
                f"the selection is now {preview['count']} proposals and "
                f"{preview['stake_cents']} cents at stake, not {expect_count} and "
                f"{expect_stake_cents}: confirm the new figures",
                preview,
            )
        if preview["count"] == 0:
            raise InvalidDecision("no open proposal suggested for auto-merge matches the filter")
        if preview["count"] > MAX_BULK:
            raise InvalidDecision(
                f"{preview['count']} proposals in one step; narrow the filter to "
                f"{MAX_BULK:,} or fewer"
            )
        batch_id = f"B-{secrets.token_hex(8)}"
        rows, expects = [], []
        for i in _selection(view, filters):
            pid = view.proposals.ids[i]
            current = _detail(view, pid)
            row = _decision_row(current, "accept", reviewer, reason, None, None)
            row["proposal_id"], row["batch_id"] = pid, batch_id
            rows.append(row)
            expects.append((pid, len(current["history"])))
        try:
            view.log.journal.append_decisions(rows, expects=expects)
        except Conflict as exc:  # another process decided one of them meanwhile
            raise Conflict(f"{exc}; nothing was decided", bulk_preview(view, filters)) from exc
    view.sync()
    return {"batch_id": batch_id, **preview}


def undo_bulk(
    source: Source, batch_id: str, *, reviewer: str, reason: str | None = None
) -> dict[str, Any]:
    """Undo every decision of a bulk step that is still in force, as one step.

    A proposal decided again since (its bulk decision undone or superseded) is left
    as it is. Returns ``{batch_id, count}``: how many decisions were undone.
    """
    if not reviewer:
        raise InvalidDecision("a decision needs a reviewer")
    view = view_of(source)
    with _WRITE_LOCK:
        view.log.refresh()
        members = view.log.batch(batch_id)
        if not members:
            raise NotFound(f"no bulk step {batch_id!r}")
        rows, expects = [], []
        for pid, decision_id in members:
            d = view.log.in_force(pid)
            if d is None or d.decision_id != decision_id:
                continue
            history = view.log.history(pid)
            last = history[-1]
            i = view.proposals.pos.get(pid)
            version = (
                f"{view.proposals.content_version[i]}.{len(history)}"
                if i is not None
                else last["proposal_version"]
            )
            rows.append(
                {
                    "object": last["object"],
                    "action": "undo",
                    "record_keys": last["record_keys"],
                    "record_hashes": d.hashes,
                    "undoes": decision_id,
                    "proposal_id": pid,
                    "proposal_version": version,
                    "reviewer": reviewer,
                    "reason": reason,
                    "batch_id": f"{batch_id}-undo",
                }
            )
            expects.append((pid, len(history)))
        if not rows:
            raise InvalidDecision(f"nothing of bulk step {batch_id} is still in force")
        view.log.journal.append_decisions(rows, expects=expects)
    view.sync()
    return {"batch_id": batch_id, "count": len(rows)}
