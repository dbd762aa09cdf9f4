"""A decision that meets a full disk answers 507 in the error shape, and nothing is
written. A real uvicorn server (in this process) over its own store copy; the
journal's connections are capped at the pages the file already has (SQLite's
``max_page_count``), so SQLite itself fails the write with ``SQLITE_FULL`` —
"database or disk is full" — exactly as on a full disk."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from api_helpers import LiveServer, copy_store, make_app

from resolver.demo.fixtures import DemoStore
from resolver.store.journal import Journal


@pytest.fixture
def live_full(demo_store: DemoStore, tmp_path: Path) -> Iterator[LiveServer]:
    db = copy_store(demo_store, tmp_path / "store")
    with LiveServer(make_app(db), db) as server:
        yield server


def _cap_at_current_size(monkeypatch: pytest.MonkeyPatch) -> None:
    opened = Journal._connect

    @contextmanager
    def capped(self: Journal):
        with opened(self) as db:
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            db.execute(f"PRAGMA max_page_count = {pages}")
            yield db

    monkeypatch.setattr(Journal, "_connect", capped)


def test_a_decision_on_a_full_disk_is_507_and_writes_nothing(
    live_full: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with live_full.client("viewer") as c:
        items = c.get(
            "/proposals", params={"limit": 10, "sort": "id", "status": "open", "kind": "link"}
        ).json()["items"]
    assert len(items) == 10
    _cap_at_current_size(monkeypatch)
    answers = []
    with live_full.client("reviewer") as c:
        # a long reason: each decision needs a page of its own, so the cap bites at once
        for p in items:
            r = c.post(
                f"/proposals/{p['proposal_id']}/decisions",
                json={"action": "reject", "version": p["version"], "reason": "x" * 2000},
            )
            answers.append((p, r))
    codes = [r.status_code for _, r in answers]
    assert set(codes) <= {201, 507}, codes
    full = [(p, r) for p, r in answers if r.status_code == 507]
    assert len(full) >= 8, codes  # at most a page's free room was left
    for _, r in full:
        err = r.json()["error"]
        assert err["code"] == "insufficient_storage"
        assert err["message"] == "the server's disk is full: nothing was written; retry later"
        assert err["details"] is None
    monkeypatch.undo()
    with live_full.client("reviewer") as c:
        for p, _ in full:  # nothing was written: still open, same version, decidable now
            now = c.get(f"/proposals/{p['proposal_id']}").json()
            assert now["status"] == "open" and now["version"] == p["version"]
        p = full[0][0]
        r = c.post(
            f"/proposals/{p['proposal_id']}/decisions",
            json={"action": "reject", "version": p["version"]},
        )
        assert r.status_code == 201, r.text


def test_the_openapi_document_lists_507(live_full: LiveServer) -> None:
    with live_full.client("viewer") as c:
        doc = c.get("/openapi.json").json()
    responses = doc["paths"]["/proposals/{proposal_id}/decisions"]["post"]["responses"]
    assert "507" in responses and "400" in responses
