from __future__ import annotations

import pytest

from resolver import tuning
from resolver.demo.fixtures import DemoStore
from resolver.store import decisions as store_decisions
from resolver.tuning import Workspace
from resolver.tuning.review import truth_verdict


@pytest.fixture(scope="module")
def reviewed(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the demo store with 40 simulated decisions (shared by this module)."""
    env = {"RESOLVER_DB": str(demo_store.db), "RESOLVER_DATA": str(demo_store.data_dir)}
    copy = tuning.workspace(tmp_path_factory.mktemp("reviewed"), env=env).writable_copy()
    con = copy.connect(read_only=False)
    made = tuning.simulate_reviewer(con, copy.truth_dir, n=40, seed=1)
    yield copy, con, made
    con.close()


def test_simulated_reviewer_decides_from_the_truth(reviewed, ws: Workspace) -> None:
    copy, con, made = reviewed
    assert len(made) == 40 and set(made["action"]) <= {"accept", "reject"}
    decisions = store_decisions.load(con)
    assert len(decisions) == 40
    entities = {o: tuning.truth_entities(copy.truth_dir, o) for o in ("customer", "invoice")}
    for d in decisions.itertuples():
        same = truth_verdict(list(d.record_keys), entities[d.object])
        assert d.action == ("accept" if same else "reject")
    # the original store is untouched
    original = ws.connect()
    try:
        assert store_decisions.load(original).empty
    finally:
        original.close()


def test_review_analytics_add_up(reviewed) -> None:
    copy, con, made = reviewed
    report = tuning.review_analytics(con, truth_dir=copy.truth_dir, sample=50)
    assert set(report) == {
        "decisions_over_time",
        "acceptance_by_band",
        "auto_merge_precision",
        "orphan_backlog",
    }
    assert report["decisions_over_time"]["decisions"].sum() == 40
    bands = report["acceptance_by_band"]
    assert bands["accepted"].sum() == (made["action"] == "accept").sum()
    assert bands["rejected"].sum() == (made["action"] == "reject").sum()
    assert bands["proposals"].sum() == len(tuning.all_proposals(con))
    decided = bands["accepted"] + bands["rejected"] + bands["split"]
    rate = bands["acceptance_rate"].where(decided > 0)
    assert (rate.dropna() == (bands["accepted"] / decided)[decided > 0]).all()

    amp = report["auto_merge_precision"].set_index("object")
    assert (amp["sampled"] <= 50).all() and (amp["judged_by"] == "truth").all()
    assert (amp["ci_low"] <= amp["precision"]).all() and (amp["precision"] <= amp["ci_high"]).all()
    by_decisions = tuning.auto_merge_precision(con, sample=10**6).set_index("object")
    accepted_auto = tuning.all_proposals(con).query(
        "suggested_action == 'auto_merge' and status == 'accepted'"
    )
    assert by_decisions["correct"].sum() == len(accepted_auto)


def test_orphan_backlog_counts_every_orphan(reviewed) -> None:
    copy, con, _ = reviewed
    assert tuning.ensure_orphans(con, copy.rules_dir) in ("store", "computed")
    backlog = tuning.orphan_backlog(con)
    total = con.execute("SELECT count(*) FROM orphans").fetchall()[0][0]
    assert total > 0 and backlog["orphans"].sum() == total
    assert set(backlog["resolution"]) <= {"open", "expected", "linked"}


def test_wilson_interval() -> None:
    lo, hi = tuning.wilson_interval(200, 200)
    assert lo == pytest.approx(0.98115, abs=1e-4) and hi == 1.0
    lo, hi = tuning.wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-3) and hi == pytest.approx(0.7634, abs=1e-3)
    assert all(x != x for x in tuning.wilson_interval(0, 0))


def test_simulated_decisions_cover_every_band(reviewed) -> None:
    _, con, _ = reviewed
    bands = tuning.acceptance_by_band(con)
    proposals = bands.groupby("band")["proposals"].sum()
    decided = bands.assign(d=bands["accepted"] + bands["rejected"] + bands["split"])
    decided = decided.groupby("band")["d"].sum()
    # 40 decisions, taken band by band: every band with proposals gets some
    assert (decided[proposals > 0] > 0).all()
