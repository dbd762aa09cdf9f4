"""Proposals: filters, sorting, pagination, detail, decisions and their error shapes."""

from __future__ import annotations

import pytest
from api_helpers import NAMES, headers

V = headers("viewer")
R = headers("reviewer")


def _all(client, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        q = {**params, "limit": 37, **({"cursor": cursor} if cursor else {})}
        page = client.get("/proposals", headers=V, params=q).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_pagination_walks_every_proposal_once(client) -> None:
    everything = _all(client, status="any", sort="id")
    ids = [p["proposal_id"] for p in everything]
    assert len(ids) == len(set(ids)) > 100
    assert ids == sorted(ids)


@pytest.mark.parametrize(
    "params, check",
    [
        ({"object": "invoice"}, lambda p: p["object"] == "invoice"),
        ({"system": "dispatch"}, lambda p: "dispatch" in p["systems"]),
        ({"action": "review"}, lambda p: p["suggested_action"] == "review"),
        ({"min_confidence": 0.9}, lambda p: p["confidence"] >= 0.9),
    ],
)
def test_filters(client, params, check) -> None:
    items = _all(client, status="any", **params)
    assert items and all(check(p) for p in items)


def test_kind_and_confidence_filters_select_exactly_their_proposals(client) -> None:
    """Filter values taken from the store itself, so the test holds whatever mix of
    kinds and confidences the model gives the demo world."""
    everything = _all(client, status="any", sort="id")
    for kind in {p["kind"] for p in everything}:
        got = _all(client, status="any", sort="id", kind=kind)
        assert got == [p for p in everything if p["kind"] == kind]
    confidences = sorted(p["confidence"] for p in everything)
    below_top = [c for c in confidences if c < confidences[-1]]
    assert below_top, "every proposal has one confidence: nothing to tell the filter by"
    cut = below_top[len(below_top) // 2]
    low = _all(client, status="any", sort="id", max_confidence=cut)
    assert low == [p for p in everything if p["confidence"] <= cut]
    assert 0 < len(low) < len(everything)


@pytest.mark.parametrize(
    "sort, key, reverse",
    [
        ("confidence", "confidence", False),
        ("-confidence", "confidence", True),
        ("stake", "stake_cents", True),
        ("records", "records_affected", True),
    ],
)
def test_sorting(client, sort, key, reverse) -> None:
    items = client.get(
        "/proposals", headers=V, params={"sort": sort, "limit": 200, "status": "any"}
    ).json()["items"]
    values = [p[key] for p in items]
    assert values == sorted(values, reverse=reverse)


@pytest.mark.parametrize(
    "params",
    [
        {"status": "maybe"},
        {"sort": "random"},
        {"limit": 0},
        {"limit": 501},
        {"cursor": "abc"},
        {"min_confidence": 2},
        {"max_confidence": "nan"},
        {"object": "vendor"},
    ],
)
def test_bad_query_is_422(client, params) -> None:
    r = client.get("/proposals", headers=V, params=params)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_detail(client) -> None:
    p = client.get("/proposals", headers=V, params={"kind": "link"}).json()["items"][0]
    d = client.get(f"/proposals/{p['proposal_id']}", headers=V).json()
    assert d["current"] and d["version"] == p["version"]
    assert {m["record_key"] for m in d["members"]} == set(p["record_keys"])
    assert d["golden"] and d["evidence"] and d["history"] == []
    assert d["changes_since_decision"] == {}


def test_unknown_proposal_is_404(client) -> None:
    r = client.get("/proposals/P-NOPE", headers=V)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.post(
        "/proposals/P-NOPE/decisions", headers=R, json={"action": "accept", "version": "x"}
    )
    assert r.status_code == 404


def _open(client, n: int, **params) -> list[dict]:
    return client.get("/proposals", headers=V, params={"limit": n, "sort": "id", **params}).json()[
        "items"
    ]


def test_accept_then_stale_is_409_with_current_state(client) -> None:
    p = _open(client, 1, kind="link", min_confidence=0.99)[0]
    url = f"/proposals/{p['proposal_id']}/decisions"
    r = client.post(
        url, headers=R, json={"action": "accept", "version": p["version"], "reason": "ok"}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "accepted"
    assert body["history"][-1]["reviewer"] == NAMES["reviewer"]
    assert body["history"][-1]["reason"] == "ok"
    stale = client.post(url, headers=R, json={"action": "reject", "version": p["version"]})
    assert stale.status_code == 409
    err = stale.json()["error"]
    assert err["code"] == "conflict" and err["details"]["current"]["version"] == body["version"]
    # undo with the current version reopens it
    undo = client.post(url, headers=R, json={"action": "undo", "version": body["version"]})
    assert undo.status_code == 201 and undo.json()["status"] == "open"
    listed = client.get(f"/proposals/{p['proposal_id']}", headers=V).json()
    assert [h["action"] for h in listed["history"]] == ["accept", "undo"]


def test_split(client) -> None:
    p = next(x for x in _open(client, 200, kind="link") if len(x["record_keys"]) >= 3)
    keys = p["record_keys"]
    url = f"/proposals/{p['proposal_id']}/decisions"
    bad = client.post(
        url, headers=R, json={"action": "split", "version": p["version"], "groups": [keys[:1]]}
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_decision"
    ok = client.post(
        url,
        headers=R,
        json={"action": "split", "version": p["version"], "groups": [keys[:1], keys[1:]]},
    )
    assert ok.status_code == 201 and ok.json()["status"] == "split"


def test_accept_with_golden_picks_is_journaled_and_checked(client) -> None:
    p = _open(client, 1, kind="link", sort="-confidence")[0]
    keys = p["record_keys"]
    url = f"/proposals/{p['proposal_id']}/decisions"
    for bad, says in (
        ({"shoe_size": keys[0]}, "not a golden field"),
        ({"email": "crm:nobody"}, "not a record of this proposal"),
    ):
        r = client.post(
            url, headers=R, json={"action": "accept", "version": p["version"], "golden": bad}
        )
        assert r.status_code == 422 and says in r.json()["error"]["message"], r.text
    r = client.post(
        url, headers=R, json={"action": "reject", "version": p["version"], "golden": {}}
    )  # an empty pick list is no pick
    assert r.status_code == 201, r.text
    undo = client.post(url, headers=R, json={"action": "undo", "version": r.json()["version"]})
    picks = {"email": keys[-1], "phone": keys[0]}
    ok = client.post(
        url,
        headers=R,
        json={"action": "accept", "version": undo.json()["version"], "golden": picks},
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["history"][-1]["golden"] == picks
    assert client.get(url.rsplit("/", 1)[0], headers=V).json()["history"][-1]["golden"] == picks


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"action": "merge", "version": "1"},
        {"action": "accept"},
        {"action": "accept", "version": ""},
        {"action": "accept", "version": "1", "reason": "x" * 3000},
        {"action": "accept", "version": "1", "groups": "a"},
    ],
)
def test_bad_decision_body_is_422(client, body) -> None:
    p = _open(client, 1)[0]
    r = client.post(f"/proposals/{p['proposal_id']}/decisions", headers=R, json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_malformed_json_is_400(client) -> None:
    p = _open(client, 1)[0]
    r = client.post(
        f"/proposals/{p['proposal_id']}/decisions",
        headers={**R, "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_json"
    assert r.json()["error"]["message"].startswith("the body is not JSON")
