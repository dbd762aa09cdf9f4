"""The progress figure: decided today out of open + decided today, per filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from resolver import store
from resolver.review import decide, get_proposal, list_proposals
from resolver.review.proposal_index import Filters
from resolver.review.today import progress
from resolver.review.view import ReviewView


def test_progress_counts_the_decisions_in_force_taken_today(workdir) -> None:
    db, _ = workdir
    con = store.connect(db)
    try:
        view = ReviewView(con)
        customers = Filters("customer", None, None, None, None, None, None)
        before = progress(view, customers)
        assert before["decided_today"] == 0 and before["total"] == before["open"] > 3
        items = list_proposals(view, object="customer", kind="link", limit=3).items
        for p in items:
            decide(view, p["proposal_id"], action="accept", version=p["version"], reviewer="ana")
        first = items[0]["proposal_id"]
        decide(
            view, first, action="undo", version=get_proposal(view, first)["version"], reviewer="ana"
        )
        now = progress(view, customers)
        assert now["decided_today"] == 2
        assert now["total"] == before["total"]  # decided ones stay in the figure
        assert now["open"] == before["open"] - 2
        invoices = Filters("invoice", None, None, None, None, None, None)
        assert progress(view, invoices)["decided_today"] == 0
        tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
        assert progress(view, customers, today=tomorrow)["decided_today"] == 0
    finally:
        con.close()
