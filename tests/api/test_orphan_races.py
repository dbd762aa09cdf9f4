"""Reviewers racing on orphans over a real uvicorn server: resolutions and undos of
the same orphan at once get 201 or 409 only (never a 422 or 5xx), one undo wins per
resolution, and no resolution is undone twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import LiveServer, copy_store, make_app

from resolver.demo.fixtures import DemoStore
from resolver.store.journal import Journal, journal_path


@pytest.fixture
def server(demo_store: DemoStore, tmp_path: Path) -> Iterator[LiveServer]:
    db = copy_store(demo_store, tmp_path / "store")
    with LiveServer(make_app(db), db) as s:
        yield s


def _race(server: LiveServer, jobs: list[tuple[str, str, dict]], threads: int = 8):
    """Send ``(orphan_id, path, body)`` jobs from ``threads`` reviewers at once."""
    results: list[tuple[str, str, int, dict]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def worker(share: list) -> None:
        with server.client("reviewer") as c:
            barrier.wait()
            for oid, path, body in share:
                r = c.post(f"/orphans/{oid}/{path}", json=body)
                with lock:
                    results.append((oid, path, r.status_code, r.json()))

    pool = [threading.Thread(target=worker, args=(jobs[i::threads],)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert len(results) == len(jobs)
    return results


def test_racing_orphan_undos_and_resolutions_get_201_or_409(server: LiveServer) -> None:
    with server.client("viewer") as c:
        orphans = c.get("/orphans", params={"limit": 8}).json()["items"]
    assert len(orphans) == 8
    ids = [o["orphan_id"] for o in orphans]
    expected = {"action": "expected", "reason": "checked by hand"}
    for round_ in range(3):
        with server.client("reviewer") as c:
            for oid in ids:
                r = c.post(f"/orphans/{oid}/resolution", json=expected)
                assert r.status_code == 201, r.text
        undo_only, mixed = ids[:4], ids[4:]
        jobs = [(oid, "undo", {"reason": "wrong"}) for oid in undo_only * 4]
        jobs += [
            (oid, path, body)
            for oid in mixed
            for path, body in (
                ("undo", {"reason": "wrong"}),
                ("resolution", expected),
                ("undo", {"reason": "wrong"}),
                ("resolution", expected),
            )
        ]
        results = _race(server, jobs)
        codes = Counter(code for _, _, code, _ in results)
        assert set(codes) <= {201, 409}, (round_, codes, [b for *_, c, b in results if c > 409])
        won_undo = Counter(oid for oid, path, code, _ in results if path == "undo" and code == 201)
        assert all(won_undo[oid] == 1 for oid in undo_only), (round_, won_undo)
        for oid, _, code, body in results:
            if code == 409:
                assert body["error"]["code"] == "conflict"
                assert body["error"]["details"]["current"]["orphan_id"] == oid
        # put every orphan back to open for the next round
        with server.client("reviewer") as c:
            for oid in ids:
                c.post(f"/orphans/{oid}/undo", json={"reason": "reset"})
    # the journal: no resolution was ever undone twice
    undone = [
        d["undoes"]
        for d in Journal(journal_path(server.db)).decision_rows()
        if d["action"] == "undo" and d["expectation"] is not None
    ]
    assert undone and len(undone) == len(set(undone))
