"""The reviewer's progress figure: "38 of 412 decided today"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from resolver.review.decision_log import DECIDING
from resolver.review.proposal_index import STATUSES, Filters
from resolver.review.proposals import Source, view_of


def progress(source: Source, filters: Filters, *, today: str | None = None) -> dict[str, Any]:
    """``{decided_today, open, total}`` for the proposals the filters select
    (whatever their status): decided today = those whose decision in force was
    taken today (UTC); total = still open + decided today."""
    view = view_of(source)
    day = today or datetime.now(UTC).date().isoformat()
    index = view.proposals
    any_status = Filters(**{**filters.__dict__, "status": None})
    rows = index.select(any_status)
    open_n = int((index.status[rows] == STATUSES.index("open")).sum()) if len(rows) else 0
    decided = 0
    for i in rows[index.status[rows] != 0].tolist() if len(rows) else []:
        d = view.log.in_force(index.ids[i])
        if d is None:
            continue
        h = next(
            (x for x in view.log.history(index.ids[i]) if x["decision_id"] == d.decision_id),
            None,
        )
        if h is not None and h["action"] in DECIDING and h["decided_at"].startswith(day):
            decided += 1
    return {"decided_today": decided, "open": open_n, "total": open_n + decided}
