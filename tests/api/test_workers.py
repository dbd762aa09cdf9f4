"""`resolver serve --workers 2`: two server processes over one store and journal."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from api_helpers import copy_store, headers, served_by_workers


def test_two_worker_processes_lose_no_decision(demo_store, tmp_path) -> None:
    """Reviewers race on the same proposals through two worker processes: each
    proposal is accepted once (201), every other attempt gets 409; then undos race
    (with a reject on the same version): each proposal is reopened once, every other
    attempt gets 409. The journal holds exactly the decisions that won."""
    db = copy_store(demo_store, tmp_path / "served")
    matcher_ready = lambda r: r.json()["matcher"] == "ready"  # noqa: E731
    with served_by_workers(db, tmp_path, ready=matcher_ready) as (_, url, _log):
        with httpx.Client(base_url=url, headers=headers("reviewer"), timeout=30) as c:
            items = c.get("/proposals", params={"limit": 12, "sort": "id"}).json()["items"]
        assert len(items) == 12

        def decide(job: tuple[dict, str]) -> int:
            item, action = job
            with httpx.Client(base_url=url, headers=headers("reviewer"), timeout=30) as c:
                r = c.post(
                    f"/proposals/{item['proposal_id']}/decisions",
                    json={"action": action, "version": item["version"]},
                )
                return r.status_code

        attempts = [(it, "accept") for it in items for _ in range(4)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(decide, attempts))
        assert Counter(codes) == {201: 12, 409: 36}
        with httpx.Client(base_url=url, headers=headers("viewer"), timeout=30) as c:
            accepted = []
            for it in items:  # every worker sees every decision
                for _ in range(3):
                    p = c.get(f"/proposals/{it['proposal_id']}").json()
                    assert p["status"] == "accepted" and len(p["history"]) == 1
                accepted.append(p)
        # undos race the same way, alone and against a reject on the same version
        attempts = [(p, "undo") for p in accepted for _ in range(3)]
        attempts += [(p, "reject") for p in accepted]
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(decide, attempts))
        assert Counter(codes) == {201: 12, 409: 36}
    from resolver.store.journal import Journal, journal_path

    rows = Journal(journal_path(db)).decision_rows()
    assert Counter(r["proposal_id"] for r in rows) == {it["proposal_id"]: 2 for it in items}
