"""The reviewer's progress figure: "38 of 412 decided today"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from resolver.review.proposal_index import STATUSES, Filters
from resolver.review.proposals import Source, view_of


def progress(source: Source, filters: Filters, *, today: str | None = None) -> dict[str, Any]:
    """``{decided_today, open, total}`` for the proposals the filters select
    (whatever their status): decided today = those whose decision in force was
    taken today (UTC); total = still open + decided today.

    Cheap at any queue size: the open count is one vectorised pass over the index,
    and today's decisions come from one indexed query on the journal (``decided_at``),
    so the work grows with the decisions of the day, not with the queue.
    """
    view = view_of(source)
    day = today or datetime.now(UTC).date().isoformat()
    index = view.proposals
    any_status = Filters(**{**filters.__dict__, "status": None})
    rows = index.select(any_status)
    open_n = int((index.status[rows] == STATUSES.index("open")).sum()) if len(rows) else 0
    chosen = np.zeros(len(index.status), dtype=bool)
    chosen[rows] = True
    decided = set()
    for pid, decision_id in view.log.journal.decided_since(day):
        i = index.pos.get(pid)
        if i is None or not chosen[i] or index.status[i] == 0:
            continue
        d = view.log.in_force(pid)
        if d is not None and d.decision_id == decision_id:
            decided.add(pid)
    return {"decided_today": len(decided), "open": open_n, "total": open_n + len(decided)}
