"""POST /match and resolver.matching: agreement with Splink, sensible candidates, errors."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest
from api_helpers import headers

from api.schemas import MatchResponse
from resolver import store

V = headers("viewer")
FIELDS = [
    "first_name",
    "last_name",
    "company",
    "email",
    "phone",
    "street",
    "unit",
    "city",
    "state",
    "postal_code",
]


def _customers(api_db: Path, n: int) -> list[dict]:
    con = store.connect(api_db, read_only=True)
    try:
        cur = con.execute(
            f"SELECT r.record_key, m.entity_id, {', '.join('r.' + f for f in FIELDS)} "
            "FROM customers r JOIN customer_members m USING (record_key) "
            "WHERE r.first_name IS NOT NULL AND r.last_name IS NOT NULL "
            "AND r.email IS NOT NULL AND r.phone IS NOT NULL ORDER BY hash(r.record_key) LIMIT ?",
            [n],
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def _typo(s: str) -> str:
    return s[:-2] + s[-1] + s[-2] if len(s) > 3 else s + "e"


def test_changed_record_finds_its_own_entity_first(client, api_db: Path) -> None:
    for row in _customers(api_db, 25):
        record = {f: row[f] for f in FIELDS if row[f] is not None}
        record["first_name"] = _typo(record["first_name"])  # a typo
        record["email"] = record["email"].upper()  # another system's casing
        record.pop("unit", None)  # and a field missing
        r = client.post("/match", headers=V, json={"object": "customer", "record": record})
        assert r.status_code == 200, r.text
        body = r.json()
        top = body["candidates"][0]
        assert top["entity_id"] == row["entity_id"], (row, body["candidates"][:2])
        assert top["match_probability"] > 0.5
        levels = {e["comparison"]: e["level"] for e in top["evidence"]}
        # phone and address are one piece of evidence (the derived `contact` comparison)
        assert levels["email"] == "exact" and levels["contact"] == "same phone and address"


def test_source_form_through_the_contract(client, demo_store) -> None:
    path = demo_store.data_dir / "crm" / "contacts.csv"
    with path.open(encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    source_id = row.pop("ContactID")
    body = {"object": "customer", "system": "crm", "source_record": row, "top": 3}
    r = client.post("/match", headers=V, json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["candidates"][0]["record_key"] == f"crm:{source_id}"
    assert len(out["candidates"]) <= 3 and out["normalized"]["system"] == "crm"


def test_invoice_match(client, api_db: Path) -> None:
    con = store.connect(api_db, read_only=True)
    try:
        _key, system, number, amount, day, ref, entity = con.execute(
            "SELECT record_key, system, invoice_number, amount_cents, invoice_date, "
            "customer_ref, m.entity_id FROM invoices JOIN invoice_members m USING (record_key) "
            "WHERE system = 'billing' ORDER BY record_key LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    record = {
        "invoice_number": number,
        "amount": f"{amount / 100:.2f}",
        "invoice_date": str(day),
        "customer_ref": ref,
    }
    r = client.post(
        "/match", headers=V, json={"object": "invoice", "system": system, "record": record}
    )
    assert r.status_code == 200, r.text
    assert r.json()["candidates"][0]["entity_id"] == entity


@pytest.mark.parametrize(
    "body, code",
    [
        ({"object": "customer", "record": {"shoe_size": "9"}}, "invalid_record"),
        ({"object": "customer", "record": {}}, "invalid_record"),
        (
            {"object": "customer", "record": {"email": "a@b.c"}, "source_record": {}},
            "invalid_record",
        ),
        ({"object": "customer", "source_record": {"Email": "a@b.c"}}, "invalid_record"),
        ({"object": "customer", "system": "erp", "source_record": {"x": "1"}}, "invalid_record"),
        (
            {"object": "customer", "system": "crm", "source_record": {"Status": "Zombie"}},
            "invalid_record",
        ),
        ({"object": "invoice", "record": {"amount": "lots"}}, "invalid_record"),
        ({"object": "vendor", "record": {"email": "a@b.c"}}, "invalid_request"),
        ({"object": "customer", "record": {"email": ["a"]}}, "invalid_request"),
        ({"object": "customer", "record": {"email": "a@b.c"}, "top": 0}, "invalid_request"),
    ],
)
def test_bad_match_requests_are_422(client, body, code) -> None:
    r = client.post("/match", headers=V, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code


def test_nothing_to_block_on_gives_no_candidates(client) -> None:
    """And says why: the keys the record fills, and those a value more would fill."""
    r = client.post("/match", headers=V, json={"object": "customer", "record": {"city": "Nowhere"}})
    assert r.status_code == 200 and r.json()["candidates"] == []
    why = r.json()["no_candidates"]
    assert "so no stored record was compared" in why
    assert re.search(r"\+ city_norm \(needs \w+\)", why), why


# -- finding a stored customer by any one identifying field ------------------------

SAMPLE = 40  # stored customers, each looked up by one field (or field group) at a time
LOOKUPS = {  # request -> the canonical fields it sends (alternatives: the first filled)
    "email alone": [("email",)],
    "phone and name": [("phone", "first_name", "last_name"), ("phone", "name")],
    "name alone": [("first_name", "last_name"), ("name",)],
    "address alone": [("street", "city", "postal_code"), ("address",)],
}
NAME_PREFIXES = ("name_", "first_", "last_", "full_name")


def _stored_customers(db: Path, n: int) -> list[dict]:
    con = store.connect(db, read_only=True)
    try:
        cur = con.execute(
            "SELECT r.record_key, m.entity_id, r.* EXCLUDE (record_key) "
            "FROM customers r JOIN customer_members m USING (record_key) "
            "ORDER BY hash(r.record_key) LIMIT ?",
            [n],
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def _lookup(row: dict, alternatives: list[tuple[str, ...]]) -> dict | None:
    for fields in alternatives:
        if all(row.get(f) is not None for f in fields):
            return {f: str(row[f]) for f in fields}
    return None


def test_one_identifying_field_finds_the_stored_customer(live, demo_store) -> None:
    """For a sample of stored customers, a request with only their email, only phone
    and name, only their name (where the model blocks on names) or only their address
    (street, city and zip, or the one-line address) returns the customer's entity
    among the candidates, over HTTP: whenever the normalized record fills every
    column of one of the model's blocking rules, blocking must reach the record."""
    from resolver.linkage.model import load_model_and_rules

    _, rules = load_model_and_rules(demo_store.models_dir, demo_store.rules_dir, "customer")
    blocking = [list(cols) for cols in rules.doc["blocking"]]
    lookups = dict(LOOKUPS)
    if not any(all(c.startswith(NAME_PREFIXES) for c in cols) for cols in blocking):
        del lookups["name alone"]  # a model that does not block on names alone
    tried: Counter = Counter()
    missed = []
    with live.client("viewer") as c:
        for row in _stored_customers(live.db, SAMPLE):
            for what, alternatives in lookups.items():
                record = _lookup(row, alternatives)
                if record is None:
                    continue
                r = c.post("/match", json={"object": "customer", "record": record, "top": 50})
                assert r.status_code == 200, r.text
                body = r.json()
                norm = body["normalized"]
                usable = [cols for cols in blocking if all(norm.get(x) is not None for x in cols)]
                assert usable, (what, record, norm)  # the model blocks on each of them
                tried[what] += 1
                found = {cand["entity_id"] for cand in body["candidates"]}
                if row["entity_id"] not in found:
                    missed.append((what, row["record_key"], record, body["candidates_considered"]))
    assert all(tried[what] >= 10 for what in lookups), tried
    assert not missed, f"{len(missed)} of {sum(tried.values())} lookups missed: {missed[:5]}"


def test_the_body_is_the_documented_response_field_for_field(client, api_db: Path) -> None:
    """The route writes the matcher's result as JSON itself (no MatchResponse built per
    call): the body must still be exactly MatchResponse, the model the docs publish,
    for a customer and an invoice, with evidence, and for a record that finds nothing."""
    row = _customers(api_db, 1)[0]
    bodies = [
        {"object": "customer", "record": {f: row[f] for f in FIELDS if row[f] is not None}},
        {"object": "customer", "record": {"last_name": "Qqxzzy"}, "top": 1},
        {"object": "invoice", "record": {"invoice_number": "INV-1", "amount": 10.5}},
    ]
    for req in bodies:
        r = client.post("/match", headers=V, json=req)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
        body = r.json()
        assert set(body) == set(MatchResponse.model_fields)
        assert MatchResponse.model_validate(body).model_dump(mode="json") == body
        assert "timing" not in body and "candidates;dur=" in r.headers["Server-Timing"]
    assert body["candidates"] == [] or body["candidates"][0]["evidence"]
