"""Strings the store or a JSON response cannot take, over a real uvicorn server: every
endpoint, one field or parameter at a time, answers 2xx or a 4xx in the one error
shape with a message, never a 5xx; a lone surrogate or a NUL in anything a body
carries is a 422."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from api_helpers import LiveServer, copy_store, make_app

from resolver.ingest.canonical import FIELDS

ODD = {
    "high surrogate": "\ud800",
    "low surrogate": "ab\udc00cd",
    "NUL": "a\x00b",
    "long": "x" * 20_000,  # under the body limit, over every field's
}
URL_LONG = "x" * 5_000


@pytest.fixture(scope="module")
def server(demo_store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = copy_store(demo_store, tmp_path_factory.mktemp("odd-store"))
    with LiveServer(make_app(db), db) as s:
        yield s


@pytest.fixture(scope="module")
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client("admin") as c:
        yield c


def _enc(value: str) -> str:
    """A value as a URL carries it: UTF-8 percent-encoded, a surrogate as the three
    bytes it would have (not UTF-8: the server decodes them as U+FFFD)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _get(http: httpx.Client, path: str, params: dict[str, str] | None = None) -> httpx.Response:
    query = "&".join(f"{k}={_enc(v)}" for k, v in (params or {}).items())
    return http.get(path + (f"?{query}" if query else ""))


def _post(http: httpx.Client, path: str, body: object) -> httpx.Response:
    # json.dumps escapes a lone surrogate as "\ud800", which a JSON parser reads back
    content = json.dumps(body).encode()
    return http.post(path, content=content, headers={"Content-Type": "application/json"})


def _answered(r: httpx.Response, what: str) -> None:
    assert r.status_code < 500, (what, r.status_code, r.text[:300])
    if r.status_code >= 400:
        err = r.json()
        assert set(err) == {"error"} and set(err["error"]) == {"code", "message", "details"}
        assert isinstance(err["error"]["message"], str) and err["error"]["message"], (what, err)


def _refused(r: httpx.Response, what: str) -> None:
    _answered(r, what)
    assert r.status_code == 422, (what, r.status_code, r.text[:300])
    assert r.json()["error"]["code"] in ("invalid_request", "invalid_record"), (what, r.text)


@pytest.fixture(scope="module")
def proposal(http: httpx.Client) -> dict:
    items = http.get("/proposals", params={"kind": "link", "limit": 1}).json()["items"]
    return items[0]


@pytest.fixture(scope="module")
def orphan(http: httpx.Client) -> dict:
    return http.get("/orphans", params={"limit": 1}).json()["items"][0]


PROPOSAL_PARAMS = ["object", "system", "status", "action", "kind"]
PROPOSAL_PARAMS += ["min_confidence", "max_confidence", "sort", "cursor", "limit"]
ORPHAN_PARAMS = ["object", "system", "expectation", "include_resolved", "cursor", "limit"]


@pytest.mark.parametrize("name", list(ODD))
def test_query_parameters(http: httpx.Client, name: str) -> None:
    value = ODD[name] if name != "long" else URL_LONG
    for p in PROPOSAL_PARAMS:
        _answered(_get(http, "/proposals", {p: value}), f"GET /proposals?{p}")
    for p in ORPHAN_PARAMS:
        _answered(_get(http, "/orphans", {p: value}), f"GET /orphans?{p}")
    base = {"system": "crm", "source_id": "CT0000001"}
    for p in ("system", "source_id", "object"):
        _answered(_get(http, "/crosswalk", {**base, p: value}), f"GET /crosswalk?{p}")
    for path in ("/report", "/runs", "/healthz"):
        r = _get(http, path, {"x": value})
        _answered(r, path)
        assert r.status_code == 200
    if name == "NUL" or name == "long":  # text the server sees (surrogates arrive as U+FFFD)
        for p in ("system", "expectation", "cursor"):
            _refused(_get(http, "/orphans", {p: value}), f"GET /orphans?{p}")
        _refused(_get(http, "/proposals", {"system": value}), "GET /proposals?system")
        for p in ("system", "source_id"):
            _refused(_get(http, "/crosswalk", {**base, p: value}), f"GET /crosswalk?{p}")


@pytest.mark.parametrize("name", list(ODD))
def test_path_parameters(http: httpx.Client, name: str, proposal: dict, orphan: dict) -> None:
    seg = _enc(ODD[name] if name != "long" else URL_LONG)
    paths = [f"/proposals/{seg}", f"/entities/{seg}"]
    for path in paths:
        r = http.get(path)
        _answered(r, f"GET {path[:30]}")
        assert r.status_code in (404, 422)
    r = _post(http, f"/proposals/{seg}/decisions", {"action": "accept", "version": "1"})
    _answered(r, "POST decisions on an odd id")
    r = _post(http, f"/orphans/{seg}/resolution", {"action": "expected", "reason": "fine"})
    _answered(r, "POST resolution of an odd id")
    if name in ("NUL", "long"):
        _refused(http.get(f"/proposals/{seg}"), "GET /proposals/{id}")
        _refused(http.get(f"/entities/{seg}"), "GET /entities/{id}")


@pytest.mark.parametrize("name", list(ODD))
def test_decision_fields(http: httpx.Client, name: str, proposal: dict) -> None:
    """Each field odd, the others valid (the current version: the value would reach
    the journal), then each odd field alone."""
    url = f"/proposals/{proposal['proposal_id']}/decisions"
    value = ODD[name]
    valid = {"action": "accept", "version": proposal["version"], "reason": "same person"}
    for field in ("action", "version", "reason", "groups"):
        odd = [[value], ["x"]] if field == "groups" else value
        body = {**valid, "action": "split"} if field == "groups" else valid
        _refused(_post(http, url, {**body, field: odd}), f"decision {field}")
        _refused(_post(http, url, {field: odd}), f"decision with only {field}")
    after = http.get(f"/proposals/{proposal['proposal_id']}").json()
    assert after["status"] == "open" and after["history"] == []


@pytest.mark.parametrize("name", list(ODD))
def test_orphan_resolution_fields(http: httpx.Client, name: str, orphan: dict) -> None:
    url = f"/orphans/{orphan['orphan_id']}/resolution"
    value = ODD[name]
    target = orphan.get("candidate_record_key")
    assert target  # a valid link: an odd reason would reach the journal
    valid = {"action": "link", "record_key": target, "reason": "checked"}
    for field in ("action", "reason", "record_key"):
        _refused(_post(http, url, {**valid, field: value}), f"resolution {field}")
        _refused(_post(http, url, {field: value}), f"resolution with only {field}")
    _refused(_post(http, url, {"action": "expected", "reason": value}), "expected, odd reason")
    still = http.get("/orphans", params={"object": orphan["object"], "limit": 500}).json()
    assert orphan["orphan_id"] in {o["orphan_id"] for o in still["items"]}  # unresolved


@pytest.mark.parametrize("name", list(ODD))
@pytest.mark.parametrize("obj", ["customer", "invoice"])
def test_match_fields(http: httpx.Client, name: str, obj: str) -> None:
    value = ODD[name]
    system = "crm" if obj == "customer" else "billing"
    for field in [*FIELDS[obj], *(["amount_cents"] if obj == "invoice" else [])]:
        for extra in ({}, {"system": system}):
            body = {"object": obj, **extra, "record": {field: value}}
            _refused(_post(http, "/match", body), f"match {obj}.{field} {extra}")
    good = {"customer": {"email": "a@example.com"}, "invoice": {"invoice_number": "1"}}[obj]
    cases = {
        "system": {"object": obj, "system": value, "record": good},
        "record key": {"object": obj, "record": {value: "x"}},
        "record key, a list value": {"object": obj, "record": {value: ["x"]}},
        "source_record key": {"object": obj, "system": system, "source_record": {value: "x"}},
        "source_record value": {
            "object": obj,
            "system": system,
            "source_record": {"Email" if obj == "customer" else "INV_NO": value},
        },
    }
    for what, body in cases.items():
        _refused(_post(http, "/match", body), f"match {what}")
    for what, body in {
        "object": {"object": value, "record": good},
        "top": {"object": obj, "record": good, "top": value},
    }.items():
        _refused(_post(http, "/match", body), f"match {what}")


def test_a_body_that_is_not_json_is_400(http: httpx.Client, proposal: dict) -> None:
    for path in (f"/proposals/{proposal['proposal_id']}/decisions", "/match"):
        for content in (b"{not json", b'{"object": "customer", "record": {"email": "a}', b"\xff"):
            r = http.post(path, content=content, headers={"Content-Type": "application/json"})
            _answered(r, f"POST {path} {content!r}")
            assert r.status_code == 400
            # not even UTF-8: FastAPI's own 400, before any JSON parsing
            code = "bad_request" if content == b"\xff" else "malformed_json"
            assert r.json()["error"]["code"] == code, r.text


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1e3", b"5, 5", b"99999999999999999999999"])
def test_a_malformed_content_length_gets_the_error_shape(server: LiveServer, length) -> None:
    """uvicorn refuses a Content-Length it cannot parse before the app sees the
    request; `api.protocol` makes that 400 the API's JSON error, not plain text."""
    import socket

    from api_helpers import KEYS

    request = (
        b"POST /match HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + KEYS["viewer"].encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: "
        + length
        + b"\r\nConnection: close\r\n\r\n{}"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), data[:200]
    assert b"content-type: application/json" in head.lower()
    err = json.loads(body)["error"]
    assert err["code"] == "bad_request" and "Content-Length" in err["message"]
