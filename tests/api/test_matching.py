"""POST /match and resolver.matching: agreement with Splink, sensible candidates, errors."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from api_helpers import headers

from resolver import store
from resolver.linkage.predict import score_table
from resolver.linkage.term_frequency import effective_frequencies, tf_levels, value_counts
from resolver.matching import Matcher

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


@pytest.fixture(scope="module")
def matcher(api_db: Path) -> Matcher:
    con = store.connect(api_db, read_only=True)
    try:
        return Matcher.from_store(con, rules_dir="rules", models_dir="models", prior="model")
    finally:
        con.close()


@pytest.mark.parametrize("obj", ["customer", "invoice"])
def test_agrees_with_splink(matcher: Matcher, obj: str) -> None:
    """Every pair among 60 records (20 entities' members and some others): our match
    weight and levels equal Splink's predict on the same table to 1e-6."""
    index = matcher._indexes[obj]
    ent = index.data.column("entity_id").to_pandas()
    multi = ent[ent.duplicated(keep=False)].sort_values()
    rng = np.random.default_rng(5)
    rows = np.unique(
        np.concatenate([multi.index[:45].to_numpy(), rng.choice(len(ent), 15, replace=False)])
    )
    table = index.data.take(rows).to_pandas()[["record_key", *index.columns]]
    # Splink computes term frequencies on the table it scores; give ours the same
    levels = tf_levels(index.model.splink)
    tf = {c: effective_frequencies(value_counts(table[c]), levels[c]).to_dict() for c in index.tf}
    theirs = score_table(table, index.model)
    theirs = {
        tuple(sorted((a, b))): r
        for a, b, r in zip(
            theirs.record_key_l, theirs.record_key_r, theirs.itertuples(), strict=True
        )
    }
    compared = tf_used = 0
    for i in range(len(rows)):
        ours = matcher.score_rows(obj, matcher.values_of(obj, int(rows[i])), rows, tf=tf)
        for j in range(len(rows)):
            if i == j:
                continue
            ref = theirs[tuple(sorted((table.record_key[i], table.record_key[j])))]
            assert abs(ours["match_weight"][j] - ref.match_weight) < 1e-6
            assert abs(ours["match_probability"][j] - ref.match_probability) < 1e-6
            for e in ours["evidence"][j]:
                assert e.gamma == getattr(ref, f"gamma_{e.comparison}")
                tf_used += e.tf_adjustment != 0
            compared += 1
    assert compared == len(rows) * (len(rows) - 1)
    # the sample exercises term-frequency adjustments wherever the counts of its shared
    # values differ (values equally common are all adjusted by 0 bits)
    moved = [
        abs(np.log2(tf[c][v]) - levels[c].log2_u_exact) > 1e-9
        for c in tf
        for v, n in value_counts(table[c]).items()
        if n >= 2
    ]
    if obj == "customer":
        assert any(moved)
    if any(moved):
        assert tf_used > 0


@pytest.mark.parametrize("obj", ["customer", "invoice"])
def test_python_levels_equal_duckdb_levels(matcher: Matcher, obj: str) -> None:
    """The levels and vetoes evaluated in Python (what /match uses) equal the DuckDB
    scoring query's, pair for pair, on 40 records x 300 others (same-entity pairs
    and random ones, nulls included)."""
    index = matcher._indexes[obj]
    assert index.levels is not None  # every level of the committed models compiles
    rng = np.random.default_rng(11)
    n = index.data.num_rows
    others = rng.choice(n, min(n, 300), replace=False)
    vetoed = 0
    for i in rng.choice(n, 40, replace=False):
        values = matcher.values_of(obj, int(i))
        rows = np.unique(np.concatenate([others, [i]]))
        py = matcher.score_rows(obj, values, rows, engine="python")
        sql = matcher.score_rows(obj, values, rows, engine="sql")
        assert py["veto"] == sql["veto"]
        np.testing.assert_allclose(py["match_weight"], sql["match_weight"], atol=1e-9)
        for k in range(len(rows)):
            assert [e.gamma for e in py["evidence"][k]] == [e.gamma for e in sql["evidence"][k]]
        vetoed += sum(v is not None for v in py["veto"])
    if index.rules.vetoes:
        assert vetoed > 0  # the sample exercises the veto (a rules file that declares one)


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
    r = client.post("/match", headers=V, json={"object": "customer", "record": {"city": "Nowhere"}})
    assert r.status_code == 200 and r.json()["candidates"] == []


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


def test_block_index_holds_duckdbs_hashes(matcher: Matcher, api_db: Path) -> None:
    """Each blocking index holds exactly DuckDB's hash of the rule's columns for every
    record that has them all, bit for bit: a rule on a sometimes-empty column (email,
    phone) included, whose hashes must never pass through float64."""
    index = matcher._indexes["customer"]
    keys = index.data.column("record_key").to_pylist()
    con = store.connect(api_db, read_only=True)
    try:
        with_nulls = 0
        for cols, hashes, rows in index.blocks:
            assert hashes.dtype == np.uint64 and rows.dtype == np.int64
            filled = " AND ".join(f"{c} IS NOT NULL" for c in cols)
            expected = dict(
                con.execute(
                    f"SELECT record_key, hash({', '.join(cols)}) FROM customers "
                    f"JOIN customer_members USING (record_key) WHERE {filled}"
                ).fetchall()
            )
            got = {keys[int(r)]: int(h) for h, r in zip(hashes, rows, strict=True)}
            assert got == expected, cols
            with_nulls += len(expected) < len(keys)
    finally:
        con.close()
    assert with_nulls > 0  # some rule's columns are empty on some records


def test_block_keys_keep_every_bit() -> None:
    from resolver.matching.index import block_keys

    def chunk(values: list[int], nulls: list[bool]) -> pa.Array:
        return pa.array(np.array(values, dtype=np.uint64), mask=np.array(nulls))

    col = pa.chunked_array(
        [chunk([0, 371526531117136059], [True, False]), chunk([2**64 - 1, 0], [False, True])]
    )
    keys, rows = block_keys(col)
    assert keys.dtype == np.uint64 and keys.tolist() == [371526531117136059, 2**64 - 1]
    assert rows.tolist() == [1, 2]
