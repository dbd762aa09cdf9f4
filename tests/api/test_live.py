"""Against a real uvicorn server: the routes over HTTP, and parallel reviewers."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pandas as pd

from resolver import store
from resolver.store import decisions as store_decisions


def test_routes_over_http(live) -> None:
    with live.client("viewer") as c:
        assert c.get("/healthz").json()["status"] == "ok"
        page = c.get("/proposals", params={"limit": 5}).json()
        assert len(page["items"]) == 5 and page["next_cursor"] == "5"
        pid = page["items"][0]["proposal_id"]
        assert c.get(f"/proposals/{pid}").json()["proposal_id"] == pid
        assert c.get("/orphans").status_code == 200
        assert c.get("/runs").status_code == 200
        assert c.get("/report").status_code == 200
        r = c.post("/match", json={"object": "customer", "record": {"email": "x@example.com"}})
        assert r.status_code == 200
        assert c.post(f"/proposals/{pid}/decisions", json={}).status_code == 403
    with live.client(None) as anon:
        assert anon.get("/proposals").status_code == 401
        big = anon.post("/match", content=b"x" * (65 * 1024))
        assert big.status_code == 413


def test_parallel_reviewers(live) -> None:
    """8 threads decide at once: 4 proposals each raced by 4 decisions (one wins, the
    rest get 409), and 12 proposals decided by one thread each (all win). Every 201 is
    in the journal; every other answer is a 409."""
    with live.client("viewer") as c:
        items = c.get(
            "/proposals", params={"limit": 16, "sort": "id", "kind": "link", "status": "open"}
        ).json()["items"]
    assert len(items) == 16
    raced, solo = items[:4], items[4:]
    jobs = [(p, "accept") for p in raced for _ in range(4)] + [(p, "accept") for p in solo]
    results: list[tuple[str, int]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker(share: list) -> None:
        with live.client("reviewer") as client:
            barrier.wait()
            for p, action in share:
                r = client.post(
                    f"/proposals/{p['proposal_id']}/decisions",
                    json={"action": action, "version": p["version"]},
                )
                with lock:
                    results.append((p["proposal_id"], r.status_code))

    shares = [jobs[i::8] for i in range(8)]
    threads = [threading.Thread(target=worker, args=(s,)) for s in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == len(jobs)
    assert {code for _, code in results} <= {201, 409}
    won = Counter(pid for pid, code in results if code == 201)
    assert all(won[p["proposal_id"]] == 1 for p in items)  # exactly one winner each
    lost = Counter(pid for pid, code in results if code == 409)
    assert all(lost[p["proposal_id"]] == 3 for p in raced)
    # every accepted write is in the journal, once, by the key's identity
    db = live.db
    con = store.connect(db, read_only=True)
    try:
        d: pd.DataFrame = store_decisions.load(con)
    finally:
        con.close()
    mine = d[d["proposal_id"].isin(won)]
    assert Counter(mine["proposal_id"]) == won
    assert set(mine["reviewer"]) == {"rex"} and set(mine["action"]) == {"accept"}


def _race(live, jobs: list[tuple[str, dict]], threads: int = 8) -> list[tuple[str, int, dict]]:
    """Send ``(proposal_id, decision body)`` jobs from ``threads`` reviewers at once."""
    results: list[tuple[str, int, dict]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def worker(share: list) -> None:
        with live.client("reviewer") as client:
            barrier.wait()
            for pid, body in share:
                r = client.post(f"/proposals/{pid}/decisions", json=body)
                with lock:
                    results.append((pid, r.status_code, r.json()))

    pool = [threading.Thread(target=worker, args=(jobs[i::threads],)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert len(results) == len(jobs)
    return results


def test_racing_undos_and_decisions(live, monkeypatch) -> None:
    """Reviewers race undos on accepted proposals, and undos against rejects and
    accepts on the same version: each proposal changes once (201), every other
    attempt gets 409 with the current state, never a 422 or 5xx. Reading a proposal's
    evidence is slowed down (the server runs in this process) so that the decision
    log moves on while a decision is being checked, as it does under load."""
    from resolver.review.view import ReviewView

    evidence = ReviewView.evidence

    def slow_evidence(self, proposal_id: str):
        time.sleep(0.005)
        return evidence(self, proposal_id)

    monkeypatch.setattr(ReviewView, "evidence", slow_evidence)
    with live.client("viewer") as c:
        items = c.get(
            "/proposals", params={"limit": 12, "sort": "-confidence", "kind": "link"}
        ).json()["items"]
    assert len(items) == 12
    with live.client("reviewer") as c:
        versions = {}
        for p in items:
            r = c.post(
                f"/proposals/{p['proposal_id']}/decisions",
                json={"action": "accept", "version": p["version"]},
            )
            assert r.status_code == 201, r.text
            versions[p["proposal_id"]] = r.json()["version"]
    for round_ in range(3):
        undo_only, mixed = list(versions)[:6], list(versions)[6:]
        jobs = [(pid, {"action": "undo", "version": versions[pid]}) for pid in undo_only * 4]
        jobs += [
            (pid, {"action": action, "version": versions[pid]})
            for pid in mixed
            for action in ("undo", "reject", "undo", "accept")
        ]
        results = _race(live, jobs)
        codes = Counter(code for _, code, _ in results)
        assert set(codes) <= {201, 409}, (round_, codes, [b for _, c, b in results if c >= 410])
        won = Counter(pid for pid, code, _ in results if code == 201)
        assert all(won[pid] == 1 for pid in versions), (round_, won)
        for pid, code, body in results:
            if code == 409:
                assert body["error"]["details"]["current"]["proposal_id"] == pid
            else:
                versions[pid] = body["version"]
        # put every proposal back to accepted for the next round
        with live.client("reviewer") as c:
            for pid in versions:
                p = c.get(f"/proposals/{pid}").json()
                if p["status"] != "accepted":
                    if p["status"] != "open":
                        p = c.post(
                            f"/proposals/{pid}/decisions",
                            json={"action": "undo", "version": p["version"]},
                        ).json()
                    r = c.post(
                        f"/proposals/{pid}/decisions",
                        json={"action": "accept", "version": p["version"]},
                    )
                    assert r.status_code == 201, r.text
                    p = r.json()
                versions[pid] = p["version"]


def test_a_new_run_replacing_the_file_is_seen(demo_store, tmp_path) -> None:
    """A batch run renames a new file over the store; the server reopens it."""
    import os

    from api_helpers import LiveServer, copy_store, make_app

    from resolver.pipeline import run_batch

    db = copy_store(demo_store, tmp_path / "served")
    newer = copy_store(demo_store, tmp_path / "newer")
    run_batch(
        rules_dir=demo_store.rules_dir,
        db_path=newer,
        data_dir=demo_store.data_dir,
        models_dir=demo_store.models_dir,
    )
    record = {"object": "customer", "record": {"first_name": "Ann", "last_name": "Lee"}}
    with LiveServer(make_app(db), db) as server, server.client("viewer") as c:
        assert c.get("/healthz").json()["run_id"] == 1
        assert c.get("/proposals", params={"limit": 1}).status_code == 200
        assert c.post("/match", json=record).json()["run_id"] == 1
        os.replace(newer, db)
        assert c.get("/healthz").json()["run_id"] == 2
        assert c.get("/proposals", params={"limit": 1}).json()["items"][0]["run_id"] == 2
        # the matcher is rebuilt in the background; the old one answers meanwhile
        deadline = time.monotonic() + 60
        while (got := c.post("/match", json=record)).json()["run_id"] != 2:
            assert got.status_code == 200
            assert time.monotonic() < deadline, "the matcher never moved to the new run"
            time.sleep(0.2)
