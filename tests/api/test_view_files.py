"""A real server reads the review view from the files written beside the store: a
re-publish swaps in the new view whole, and worker processes share one copy."""

from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from api_helpers import LiveServer, copy_store, headers, make_app, served_by_workers

from resolver import store
from resolver.review.view_file import view_key, view_root

PAGE = {"sort": "id", "limit": 500, "status": "open"}


def _key(db: Path) -> str:
    con = store.connect(db, read_only=True)
    try:
        return str(view_key(con))
    finally:
        con.close()


def _view_mappings(pid: int | str, folder: Path) -> dict[str, dict[str, int]]:
    """Per view file mapped by process ``pid``: its smaps counters (kB), summed."""
    out: dict[str, dict[str, int]] = {}
    current = None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 5 and "-" in parts[0] and not parts[0].endswith(":"):
            path = parts[5] if len(parts) >= 6 else ""
            current = out.setdefault(path, {}) if path.startswith(str(folder)) else None
        elif current is not None and len(parts) >= 2 and parts[1].isdigit():
            current[parts[0][:-1]] = current.get(parts[0][:-1], 0) + int(parts[1])
    return out


def test_a_republish_swaps_the_served_view_whole(demo_store, tmp_path) -> None:
    """While a batch run publishes over the served store, every answer is the whole
    old view or the whole new one; afterwards the server maps the new view's files."""
    db = copy_store(demo_store, tmp_path / "served")
    old = view_root(db) / _key(db)
    with LiveServer(make_app(db), db) as server, server.client("viewer") as c:
        before = c.get("/proposals", params=PAGE).json()
        assert before["items"] and {i["run_id"] for i in before["items"]} == {1}
        assert str(old / "proposals.arrow") in _view_mappings("self", old)
        answers: list[tuple[int, dict]] = []
        stop = threading.Event()

        def poll() -> None:
            with server.client("viewer") as c2:
                while not stop.is_set():
                    r = c2.get("/proposals", params=PAGE)
                    answers.append((r.status_code, r.json()))

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            subprocess.run(demo_store.run_command(db), check=True, capture_output=True)
            deadline = time.monotonic() + 60
            while c.get("/proposals", params=PAGE).json()["items"][0]["run_id"] != 2:
                assert time.monotonic() < deadline, "the server never moved to the new run"
                time.sleep(0.1)
            time.sleep(0.3)
        finally:
            stop.set()
            poller.join()
        after = c.get("/proposals", params=PAGE).json()
        new = view_root(db) / _key(db)
        assert new != old and new.is_dir()
        # the new view is the new run's, whole: the same proposals, now of run 2
        assert [i["proposal_id"] for i in after["items"]] == [
            i["proposal_id"] for i in before["items"]
        ]
        assert {i["run_id"] for i in after["items"]} == {2}
        ok = [body for code, body in answers if code == 200]
        assert len(ok) > 5
        assert all(body in (before, after) for body in ok)
        # anything else is a retry answer, never a mix
        assert all(code == 503 for code, _ in answers if code != 200)
        assert ok[-1] == after
        assert str(new / "proposals.arrow") in _view_mappings("self", new)
        assert sorted(p.name for p in view_root(db).iterdir()) == sorted([old.name, new.name])


def test_two_workers_share_one_copy_of_the_view(demo_store, tmp_path) -> None:
    """Both worker processes map the same view files, and the same ``POST /match``
    index files (built by the first worker beside the view); after both served pages
    and matches, the pages are shared (in both page tables: Shared_Clean or
    Shared_Dirty, the latter while the copied files are not yet written back), and none
    is a private copy (no anonymous, copied-on-write page in a view mapping)."""
    db = copy_store(demo_store, tmp_path / "served")
    folder = view_root(db) / _key(db)
    with served_by_workers(db, tmp_path) as (server, url, log):
        deadline = time.monotonic() + 90

        def workers() -> list[int]:  # the server's children that serve (map the view)
            children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text()
            return [int(p) for p in children.split() if _view_mappings(p, folder)]

        while len(workers()) != 2:
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.3)

        def read(sort: str) -> int:  # fresh connections: spread over both workers
            with httpx.Client(base_url=url, headers=headers("viewer"), timeout=30) as c:
                page = c.get("/proposals", params={**PAGE, "sort": sort}).json()
                for item in page["items"][:5]:
                    c.get(f"/proposals/{item['proposal_id']}").raise_for_status()
                record = {"first_name": "Maria", "last_name": "Garcia", "city": "Springfield"}
                c.post("/match", json={"object": "customer", "record": record}).raise_for_status()
                return len(page["items"])

        files = {str(p) for p in folder.rglob("*.arrow")}  # the view's and the index's
        index = {f for f in files if "/match-" in f}
        assert {Path(f).parent.name.split("-")[1] for f in index} == {"customer", "invoice"}

        def counts(w: int) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
            maps = _view_mappings(w, folder)
            keys = ("Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Anonymous")
            total = {k: sum(m.get(k, 0) for m in maps.values()) for k in keys}
            total["Shared"] = total["Shared_Clean"] + total["Shared_Dirty"]
            return maps, total

        # which worker answers a connection is the kernel's choice: read in rounds
        # until both have served (then both hold the pages every read starts from)
        for _ in range(30):
            with ThreadPoolExecutor(max_workers=8) as pool:
                assert all(list(pool.map(read, ["stake", "confidence", "records", "id"] * 4)))
            if all(counts(w)[1]["Shared"] > 0 for w in workers()) and all(
                sum(
                    m.get("Shared_Clean", 0) + m.get("Shared_Dirty", 0)
                    for f, m in counts(w)[0].items()
                    if f in index
                )
                > 0
                for w in workers()
            ):
                break
        for w in workers():
            maps, total = counts(w)
            assert set(maps) == files, w  # every file of the view and index, in each worker
            shared = {
                f: m.get("Shared_Clean", 0) + m.get("Shared_Dirty", 0) for f, m in maps.items()
            }
            assert sum(shared[f] for f in index) > 0, (w, maps)  # the index: one copy
            assert total["Shared"] > 0, (w, maps)  # pages both hold: one copy, not two
            assert total["Pss"] < total["Rss"], (w, total)
            assert total["Anonymous"] == 0, (w, maps)  # never copied into the process
