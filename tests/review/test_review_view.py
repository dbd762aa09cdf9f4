"""The in-memory review view answers what the store's SQL answers, and follows the
journal (decisions from any writer) without being rebuilt."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from resolver import store
from resolver.demo.fixtures import DemoStore
from resolver.review import ReviewView, decide, get_proposal, list_proposals
from resolver.review.proposal_index import SORTS
from resolver.store.journal import Journal, journal_path

_ORDER = {  # the API's documented orders, as SQL
    "stake": "stake_cents DESC NULLS LAST, confidence ASC NULLS LAST, proposal_id",
    "confidence": "confidence ASC NULLS LAST, proposal_id",
    "-confidence": "confidence DESC NULLS LAST, proposal_id",
    "records": "records_affected DESC NULLS LAST, proposal_id",
    "id": "proposal_id",
}


@pytest.fixture(scope="module")
def view_and_con(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("view") / "s.duckdb"
    shutil.copy(demo_store.db, db)
    con = store.connect(db, read_only=True)
    yield ReviewView(con), con
    con.close()


def test_pages_equal_sql_for_random_filters(view_and_con) -> None:
    view, con = view_and_con
    systems = [r[0] for r in con.execute("SELECT DISTINCT system FROM customers").fetchall()]
    rng = random.Random(4)
    union = " UNION ALL ".join(f"SELECT * FROM {o}_proposals" for o in ("customer", "invoice"))
    checked_rows = 0
    for _ in range(120):
        f = {
            "object": rng.choice([None, "customer", "invoice"]),
            "system": rng.choice([None, *systems, "nowhere"]),
            "action": rng.choice([None, "auto_merge", "review", "none"]),
            "kind": rng.choice([None, "duplicate", "link", "review_pair"]),
            "min_confidence": rng.choice([None, 0.5, 0.99]),
            "max_confidence": rng.choice([None, 0.999, 1.0]),
        }
        sort = rng.choice(SORTS)
        offset, limit = rng.choice([0, 0, 7, 40]), rng.choice([1, 5, 50])
        where, params = ["TRUE"], []
        for col, key in (("object", "object"), ("suggested_action", "action"), ("kind", "kind")):
            if f[key] is not None:
                where.append(f"{col} = ?")
                params.append(f[key])
        if f["system"] is not None:
            where.append("list_contains(systems, ?)")
            params.append(f["system"])
        if f["min_confidence"] is not None:
            where.append("confidence >= ?")
            params.append(f["min_confidence"])
        if f["max_confidence"] is not None:
            where.append("confidence <= ?")
            params.append(f["max_confidence"])
        expected = [
            r[0]
            for r in con.execute(
                f"SELECT proposal_id FROM ({union}) WHERE {' AND '.join(where)} "
                f"ORDER BY {_ORDER[sort]} LIMIT ? OFFSET ?",
                [*params, limit + 1, offset],
            ).fetchall()
        ]
        page = list_proposals(view, sort=sort, cursor=str(offset), limit=limit, **f)
        assert [p["proposal_id"] for p in page.items] == expected[:limit], (f, sort)
        assert (page.next_cursor is not None) == (len(expected) > limit)
        checked_rows += len(page.items)
    assert checked_rows > 200


def test_list_items_equal_the_stored_rows(view_and_con) -> None:
    view, con = view_and_con
    page = list_proposals(view, sort="id", limit=200)
    cols = (
        "proposal_id, object, kind, entity_ids, record_keys, systems, confidence, "
        "suggested_action, stake_cents, records_affected, run_id"
    )
    union = " UNION ALL ".join(f"SELECT {cols} FROM {o}_proposals" for o in ("customer", "invoice"))
    cur = con.execute(f"SELECT * FROM ({union}) ORDER BY proposal_id LIMIT 200")
    names = [d[0] for d in cur.description]
    for item, row in zip(page.items, cur.fetchall(), strict=True):
        assert {k: item[k] for k in names} == dict(zip(names, row, strict=True))
        assert item["status"] == "open" and item["version"].endswith(".0")


def test_decisions_from_another_writer_are_seen_without_a_rebuild(
    demo_store: DemoStore, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    shutil.copy(demo_store.db, db)
    con = store.connect(db, read_only=True)
    try:
        view = ReviewView(con)
        p = list_proposals(view, object="customer", kind="link", limit=1).items[0]
        # another process would hold its own view; a second one stands for it here
        other = ReviewView(store.connect(db, read_only=True))
        decided = decide(
            other, p["proposal_id"], action="reject", version=p["version"], reviewer="bo"
        )
        assert get_proposal(view, p["proposal_id"])["status"] == "rejected"
        assert list_proposals(view, status="rejected").items[0]["proposal_id"] == p["proposal_id"]
        assert p["proposal_id"] not in {
            q["proposal_id"] for q in list_proposals(view, object="customer", limit=500).items
        }
        decide(view, p["proposal_id"], action="undo", version=decided["version"], reviewer="bo")
        assert get_proposal(other, p["proposal_id"])["status"] == "open"
        assert len(Journal(journal_path(db)).decision_rows()) == 2
    finally:
        con.close()


def test_a_store_without_proposals(tmp_path: Path) -> None:
    from resolver.errors import NotFound

    con = store.connect(tmp_path / "empty.duckdb", create=True)
    try:
        view = ReviewView(con)
        assert list_proposals(view, system="crm", min_confidence=0.5).items == []
        with pytest.raises(NotFound):
            get_proposal(view, "P-CUS-0000001")
    finally:
        con.close()


def test_concurrent_readers_catch_up_without_starting_over(tmp_path: Path) -> None:
    """Threads refreshing while another appends: no refresh mistakes a value read
    before another thread caught up for a replaced journal (which would reread
    everything), and the mirror ends equal to the journal."""
    import threading

    from resolver.review.decision_log import DecisionLog

    journal = Journal(tmp_path / "j.sqlite")
    log = DecisionLog(journal)
    done = threading.Event()

    def write() -> None:
        for i in range(300):
            journal.append_decision(
                {
                    "object": "customer",
                    "action": "accept",
                    "record_keys": ["a", "b"],
                    "proposal_id": f"P-{i % 40}",
                    "reviewer": "w",
                }
            )
        done.set()

    def read() -> None:
        while not done.is_set():
            log.refresh()

    readers = [threading.Thread(target=read) for _ in range(6)]
    writer = threading.Thread(target=write)
    for t in [*readers, writer]:
        t.start()
    for t in [writer, *readers]:
        t.join(timeout=60)
    log.refresh()
    assert log.epoch == 0
    assert log.last_id == 300
    assert sum(log.count(f"P-{i}") for i in range(40)) == 300
    assert log.changed(0, 300) == {f"P-{i}" for i in range(40)}
