"""One rule for which decisions still count, and both of its callers agree on it."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.review.decision_log import DECIDING, _in_force
from resolver.review.decisions import effective_rows, in_force


@st.composite
def histories(draw: st.DrawFn) -> list[dict]:
    """One proposal's decisions in order; an undo names any earlier decision."""
    rows: list[dict] = []
    for i in range(1, draw(st.integers(1, 12)) + 1):
        action = draw(st.sampled_from(["accept", "reject", "split", "undo"]))
        undoes = draw(st.integers(1, i - 1)) if action == "undo" and i > 1 else None
        if action == "undo" and undoes is None:
            action = "accept"
        rows.append({"decision_id": i, "action": action, "undoes": undoes})
    return rows


def test_an_undone_decision_and_the_undo_itself_do_not_count() -> None:
    ids, actions, undoes = (
        [1, 2, 3, 4],
        ["accept", "reject", "undo", "split"],
        [None, None, 2, None],
    )
    assert in_force(ids, actions, undoes) == [True, False, False, True]


def test_undoing_an_undo_does_not_bring_the_decision_back() -> None:
    assert in_force([1, 2, 3], ["reject", "undo", "undo"], [None, 1, 2]) == [False, False, False]


@settings(max_examples=150, deadline=None)
@given(histories())
def test_the_batch_and_the_api_agree_on_the_decision_in_force(rows: list[dict]) -> None:
    frame = pd.DataFrame(rows).astype({"undoes": "Int64"})
    batch = effective_rows(frame)
    batch_last = batch.loc[batch["action"].isin(DECIDING), "decision_id"]
    history = [{**r, "members_key": "k", "record_hashes": {}} for r in rows]
    api = _in_force(history)
    if batch_last.empty:
        assert api is None
    else:
        assert api is not None and api.decision_id == int(batch_last.iloc[-1])
