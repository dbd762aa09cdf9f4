"""Orphans, entities, crosswalk, runs, report, health, limits and error shapes."""

from __future__ import annotations

import pytest
from api_helpers import headers

V = headers("viewer")
R = headers("reviewer")


def test_orphans_pages_and_filters(client) -> None:
    seen, cursor = [], None
    while True:
        page = client.get(
            "/orphans", headers=V, params={"limit": 7, **({"cursor": cursor} if cursor else {})}
        ).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    ids = [o["orphan_id"] for o in seen]
    assert ids and ids == sorted(set(ids))
    inv = client.get("/orphans", headers=V, params={"object": "invoice", "limit": 500}).json()
    assert inv["items"] and all(o["object"] == "invoice" for o in inv["items"])


def test_resolve_orphan(client) -> None:
    o = client.get("/orphans", headers=V, params={"limit": 1}).json()["items"][0]
    url = f"/orphans/{o['orphan_id']}/resolution"
    r = client.post(url, headers=R, json={"action": "expected"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_decision"
    r = client.post(url, headers=V, json={"action": "expected", "reason": "fine"})
    assert r.status_code == 403
    r = client.post(url, headers=R, json={"action": "expected", "reason": "voided"})
    assert r.status_code == 201 and r.json()["decision_id"] > 0
    ids = [
        x["orphan_id"]
        for x in client.get("/orphans", headers=V, params={"limit": 500}).json()["items"]
    ]
    assert o["orphan_id"] not in ids
    resolved = client.get(
        "/orphans", headers=V, params={"limit": 500, "include_resolved": True}
    ).json()["items"]
    mine = next(x for x in resolved if x["orphan_id"] == o["orphan_id"])
    assert mine["resolution"] == "expected" and mine["resolved_by"] == "rex"
    r = client.post(
        "/orphans/O-nope/resolution", headers=R, json={"action": "expected", "reason": "x"}
    )
    assert r.status_code == 404


def test_entity_and_crosswalk(client) -> None:
    cw = client.get(
        "/crosswalk", headers=V, params={"system": "crm", "source_id": "CT0000001"}
    ).json()
    assert cw[0]["record_key"] == "crm:CT0000001"
    e = client.get(f"/entities/{cw[0]['entity_id']}", headers=V).json()
    assert e["current"] and "crm:CT0000001" in {m["record_key"] for m in e["members"]}
    assert client.get("/entities/CUS-9999999", headers=V).status_code == 404
    r = client.get("/crosswalk", headers=V, params={"system": "crm", "source_id": "nope"})
    assert r.status_code == 404
    assert client.get("/crosswalk", headers=V, params={"system": "crm"}).status_code == 422


def test_runs_report_health(client) -> None:
    runs = client.get("/runs", headers=V).json()
    assert runs[0]["run_id"] == 1 and runs[0]["status"] == "complete"
    report = client.get("/report", headers=V).json()
    assert report["run_id"] == 1 and report["checks"]
    assert client.get("/healthz").json()["status"] == "ok"


def test_body_limit_is_413(client) -> None:
    r = client.post("/match", headers=R, content=b"{" + b" " * 70_000 + b"}")
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


def test_error_shapes(client) -> None:
    for r, status, code in [
        (client.get("/nowhere", headers=V), 404, "not_found"),
        (client.delete("/proposals", headers=V), 405, "method_not_allowed"),
    ]:
        assert r.status_code == status
        assert r.json() == {
            "error": {"code": code, "message": r.json()["error"]["message"], "details": None}
        }


def test_openapi_documents_every_route(client) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in [
        "/proposals",
        "/proposals/{proposal_id}",
        "/proposals/{proposal_id}/decisions",
        "/orphans",
        "/orphans/{orphan_id}/resolution",
        "/entities/{entity_id}",
        "/crosswalk",
        "/match",
        "/runs",
        "/report",
        "/healthz",
    ]:
        assert path in paths, path
        for op in paths[path].values():
            assert op.get("summary"), path


@pytest.mark.parametrize("path", ["/orphans", "/proposals"])
def test_the_api_answers_422_to_an_odd_cursor(client, path: str) -> None:
    """Found by `make fuzz`: "²" passed str.isdigit and made a 500."""
    for cursor in ("²", "9" * 19):
        r = client.get(path, headers=V, params={"cursor": cursor, "sort": "money"})
        if path == "/proposals":
            r = client.get(path, headers=V, params={"cursor": cursor})
        assert r.status_code == 422, (path, cursor, r.text)
        assert r.json()["error"]["code"] in ("invalid_decision", "invalid_request")
