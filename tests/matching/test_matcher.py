"""The matcher behind POST /match (resolver.matching): its scores (Splink's scoring SQL
on the candidates, with resolver's term frequencies and vetoes) agree with Splink's
predict, and its blocking index holds the keys Python computes per call."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from resolver import store
from resolver.demo.fixtures import DemoStore
from resolver.linkage.predict import score_table
from resolver.linkage.term_frequency import effective_frequencies, tf_levels, value_counts
from resolver.matching import Matcher
from resolver.store.match_index import block_key


@pytest.fixture(scope="module")
def matcher(demo_store: DemoStore) -> Matcher:
    con = store.connect(demo_store.db, read_only=True)
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
        values = matcher.values_of(obj, int(rows[i]))
        ours = matcher.score_rows(obj, values, rows, tf=tf)
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


def test_block_index_holds_the_keys_a_call_computes(
    matcher: Matcher, demo_store: DemoStore
) -> None:
    """Each blocking index holds exactly the key a call computes in Python
    (``block_key`` of the values' text) for every record that has the rule's columns
    all, bit for bit: a rule on a sometimes-empty column (email, phone) included, whose
    keys must never pass through float64."""
    index = matcher._indexes["customer"]
    keys = index.data.column("record_key").to_pylist()
    con = store.connect(demo_store.db, read_only=True)
    try:
        with_nulls = 0
        for cols, hashes, rows in index.blocks:
            assert hashes.dtype == np.uint64 and rows.dtype == np.int64
            filled = " AND ".join(f"{c} IS NOT NULL" for c in cols)
            texts = ", ".join(f"{c}::VARCHAR" for c in cols)
            expected = {
                key: block_key(values)
                for key, *values in con.execute(
                    f"SELECT record_key, {texts} FROM customers "
                    f"JOIN customer_members USING (record_key) WHERE {filled}"
                ).fetchall()
            }
            got = {keys[int(r)]: int(h) for h, r in zip(hashes, rows, strict=True)}
            assert got == expected, cols
            with_nulls += len(expected) < len(keys)
    finally:
        con.close()
    assert with_nulls > 0  # some rule's columns are empty on some records


def test_block_keys_keep_every_bit() -> None:
    from resolver.matching.index_file import block_keys

    def chunk(values: list[int], nulls: list[bool]) -> pa.Array:
        return pa.array(np.array(values, dtype=np.uint64), mask=np.array(nulls))

    col = pa.chunked_array(
        [chunk([0, 371526531117136059], [True, False]), chunk([2**64 - 1, 0], [False, True])]
    )
    keys, rows = block_keys(col)
    assert keys.dtype == np.uint64 and keys.tolist() == [371526531117136059, 2**64 - 1]
    assert rows.tolist() == [1, 2]


def test_a_customers_only_store_matches_customers_without_an_invoice_model(tmp_path) -> None:
    """A deployment with customer sources alone trains no invoice model: matching
    customers must still work, and an invoice match says there is nothing to match."""
    import yaml

    from resolver.errors import NotFound
    from resolver.pipeline import run_batch

    data, rules, models = tmp_path / "data", tmp_path / "rules", tmp_path / "models"
    (rules / "sources").mkdir(parents=True)
    data.mkdir()
    rows = ["id,name,street,city,phone"]
    streets = ["Oak", "Elm", "Pine", "Main", "Lake", "Hill", "Park", "Cedar", "Maple", "Birch"]
    for i in range(60):
        street = f"{100 + i} {streets[i % 10]} St"
        rows.append(f"{i},Person{i} Family{i % 17},{street},Springfield,555-{1000 + i:04d}")
    rows.append("60,Person7 Family7,107 Elm St,Springfield,555-1007")
    (data / "people.csv").write_text("\n".join(rows) + "\n")
    contract = {
        "system": "crm",
        "object": "customer",
        "file": "people.csv",
        "id": "id",
        "fields": {"name": "name", "street": "street", "city": "city", "phone": "phone"},
        "parse": {"phone_region": "US", "phone_area_code": "217"},
    }
    (rules / "sources" / "crm.yaml").write_text(yaml.safe_dump(contract))
    db = tmp_path / "s.duckdb"
    run_batch(rules_dir=rules, db_path=db, data_dir=data, models_dir=models, retrain=True)
    assert not (models / "invoices.json").exists()
    con = store.connect(db, read_only=True)
    try:
        m = Matcher.from_store(con, rules_dir=rules, models_dir=models)
    finally:
        con.close()
    assert m.objects == ["customer"]
    found = m.match("customer", {"phone": "555-1007"}, system="crm").candidates
    assert any(c.record_key.endswith(":7") for c in found)  # by the phone alone
    with pytest.raises(NotFound):
        m.match("invoice", {"invoice_number": "1"})


def test_concurrent_splink_calls_get_their_own_scores(matcher: Matcher) -> None:
    """Splink's scorer runs the calls that arrive while a query runs as one batch:
    16 threads scoring different records at once each get exactly the scores they get
    alone (same candidates, same order)."""
    import threading

    index = matcher._indexes["customer"]
    rng = np.random.default_rng(3)
    n = index.data.num_rows
    jobs = [
        (int(i), np.sort(rng.choice(n, int(rng.integers(1, 60)), replace=False)))
        for i in rng.choice(n, 16, replace=False)
    ]

    def score(i: int, rows: np.ndarray) -> dict:
        return matcher.score_rows("customer", matcher.values_of("customer", i), rows)

    alone = [score(i, rows) for i, rows in jobs]
    together: list = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(k: int) -> None:
        start.wait()
        together[k] = score(*jobs[k])

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a["match_weight"], b["match_weight"])
        assert a["veto"] == b["veto"]
        assert a["evidence"] == b["evidence"]


def test_cents_beyond_64_bits_are_a_problem_in_the_record(matcher: Matcher) -> None:
    """An ``amount_cents`` no 64-bit column holds is the client's error (422), not a
    failure of the blocking lookup or the scoring (500)."""
    from resolver.errors import ValidationProblems

    with pytest.raises(ValidationProblems, match="amount_cents"):
        matcher.match("invoice", {"invoice_number": "INV-1", "amount_cents": 2**70})


def test_candidates_come_from_the_rarest_keys_within_the_budget() -> None:
    """Blocking keys are taken the fewest records first; a key whose records would
    take the call past the budget is left out whole (and the call says so), while
    a later, overlapping key that still fits is taken; within the budget every
    key's records are candidates, exactly as without one."""
    from resolver.matching.matcher import take_within

    rare, overlapping, common, huge = (
        np.array([3, 9]),
        np.array([1, 3, 5, 9]),
        np.arange(100, 110),
        np.arange(1000, 1100),
    )
    spans = [huge, common, overlapping, rare]
    rows, left_out = take_within(spans, 10**6)
    assert rows.tolist() == sorted({*rare, *overlapping, *common, *huge}) and not left_out
    rows, left_out = take_within(spans, 12)
    assert rows.tolist() == [1, 3, 5, 9] and left_out  # common (10 more) would pass 12
    rows, left_out = take_within(spans, 14)
    assert rows.tolist() == [1, 3, 5, 9, *range(100, 110)] and left_out  # huge left out
    assert take_within([], 5)[0].tolist() == []


def test_a_budget_keeps_the_records_of_the_rarest_keys(demo_store) -> None:
    """On the demo store, a budget below a stored record's candidate count leaves
    out some of them (the call says so): those scored are a subset of the unbudgeted
    ones, and the record's own copy, sharing its rarest keys, still comes first."""
    con = store.connect(demo_store.db, read_only=True)
    try:
        m = Matcher.from_store(con, rules_dir="rules", models_dir="models", prior="model")
        rows = con.execute(
            "SELECT record_key, first_name, last_name, email, phone, city FROM customers "
            "WHERE email IS NOT NULL AND city IS NOT NULL ORDER BY record_key LIMIT 40"
        ).fetchall()
    finally:
        con.close()
    index = m._indexes["customer"]
    checked = 0
    for key, first, last, email, phone, city in rows:
        record = {"first_name": first, "last_name": last, "email": email, "phone": phone}
        record["city"] = city
        values = m._normalize(index, record, None, None)
        m.budget = 10**6
        everything, left_out = m._candidates(index, values)
        assert not left_out
        full = m.match("customer", record, top=1)
        if len(everything) < 4 or full.candidates[0].record_key != key:
            continue
        m.budget = len(everything) - 1
        some, left_out = m._candidates(index, values)
        assert left_out and set(some) < set(everything)
        if not len(some):  # every key the record shares holds more than the budget
            continue
        part = m.match("customer", record, top=1)
        assert part.truncated and part.candidates_considered == len(some)
        assert part.candidates[0].record_key == key
        checked += 1
    assert checked >= 5


@pytest.fixture(scope="module")
def people_matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    """A matcher over a contracts-only run of Splink's fake_1000 people, whose derived
    model compares dates of birth (the demo's does not)."""
    import shutil
    from pathlib import Path

    from resolver.pipeline import run_batch

    root = Path(__file__).resolve().parents[2]
    tmp = tmp_path_factory.mktemp("people")
    rules, models, db = tmp / "rules", tmp / "models", tmp / "s.duckdb"
    shutil.copytree(root / "benchmarks" / "real" / "fake_1000" / "sources", rules / "sources")
    data = root / "tests" / "data" / "real" / "fake_1000"
    run_batch(rules_dir=rules, db_path=db, data_dir=data, models_dir=models, retrain=True)
    con = store.connect(db, read_only=True)
    try:
        return Matcher.from_store(con, rules_dir=rules, models_dir=models)
    finally:
        con.close()


def test_a_birth_date_alone_is_read_as_ingest_reads_it(people_matcher: Matcher) -> None:
    """POST /match with only a date of birth (canonical form): a full date finds the
    people born that day, a partial one ('1971') is a year, never a server error; a
    date that cannot be read is a problem naming the field (a 422)."""
    from resolver.errors import ValidationProblems

    assert "birth_date" in people_matcher._indexes["customer"].columns
    found = people_matcher.match("customer", {"birth_date": "1971-06-24"}, top=50).candidates
    assert any(c.record_key == "fake:0" for c in found)  # fake_1000's first row
    people_matcher.match("customer", {"birth_date": "1971", "last_name": "Allen"})
    with pytest.raises(ValidationProblems, match="birth_date: cannot read date"):
        people_matcher.match("customer", {"birth_date": "24/06/1971"})


def _same(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for k in a:
        x, y = a[k], b[k]
        if np.asarray(x).dtype.kind == "f":
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
        else:
            assert [None if v is np.ma.masked else v for v in np.ma.asarray(x).tolist()] == [
                None if v is np.ma.masked else v for v in np.ma.asarray(y).tolist()
            ], k


def test_splinks_sql_is_planned_once_and_scores_as_a_fresh_query(matcher: Matcher) -> None:
    """The scorer plans Splink's SQL once, when it is built, and every call reuses that
    plan: its rows go in as a parameter, not as tables (DuckDB re-plans a prepared
    statement that scans a table on every execute, at ~50 ms of CPU for this SQL).

    60 random records against random candidate sets (1 to 300 rows, records with
    empty fields among them) get exactly the scores the same SQL gives run as a query
    of its own. Then a setting that changes how SQL binds (``default_collation =
    'nocase'``: 'JON' = 'jon') is set on the scorer's connection: a fresh query sees it,
    the scorer's calls do not, because their plan was made before it."""
    index = matcher._indexes["customer"]
    scorer = index.splink
    data = index.data.select(scorer.schema.names)
    rng = np.random.default_rng(11)
    n = data.num_rows
    for i in rng.choice(n, 60, replace=False):
        left = data.take([int(i)])
        right = data.take(np.sort(rng.choice(n, int(rng.integers(1, 300)), replace=False)))
        _same(scorer.score(left, right), scorer.score_fresh(left, right))

    row = data.take([0]).to_pylist()[0]
    empty = {k: None for k in row}
    left = pa.Table.from_pylist(
        [{**empty, "record_key": "a", "first_name_norm": "JON", "last_name_norm": "smith"}],
        schema=scorer.schema,
    )
    right = pa.Table.from_pylist(
        [{**empty, "record_key": "b", "first_name_norm": "jon", "last_name_norm": "smith"}],
        schema=scorer.schema,
    )
    nocase = "SET default_collation = 'nocase'"
    before = scorer.score(left, right)
    # the probe can tell: planned under the setting, Splink's SQL scores the pair otherwise
    replanned = scorer.score_fresh(left, right, setting=nocase)
    assert replanned["gamma_first_name"][0] != before["gamma_first_name"][0]
    scorer._con.execute(nocase)
    try:
        live = scorer._con.execute("SELECT 'JON' = 'jon'").fetchall()
        after = scorer.score(left, right)
    finally:
        scorer._con.execute("RESET default_collation")
    assert live == [(True,)]  # the setting holds on the scorer's connection
    _same(after, before)  # and its plan, made before, does not see it


def test_a_record_that_finds_nothing_is_told_why(matcher: Matcher) -> None:
    """A last name no stored customer has fills a key (or none): either way the answer
    names the keys the record fills and those it would fill with one value more; a
    record that finds candidates carries no such note."""
    index = matcher._indexes["customer"]
    lone = matcher.match("customer", {"last_name": "Qwxzyvk"})
    assert lone.candidates == [] and lone.candidates_considered == 0
    why = lone.no_candidates
    filled = [cols for cols, _, _ in index.blocks if all(lone.normalized.get(c) for c in cols)]
    if filled:
        assert why.startswith("no stored customer shares any of the blocking keys")
        assert all(" + ".join(cols) in why for cols in filled)
    else:
        assert why.startswith(f"the record fills none of the {len(index.blocks)}")
    one_more = [
        cols
        for cols, _, _ in index.blocks
        if sum(lone.normalized.get(c) is None for c in cols) == 1 and len(cols) > 1
    ]
    assert one_more and any(" + ".join(cols) + " (needs" in why for cols in one_more)
    row = 0
    found = matcher.match("customer", {"email": matcher.values_of("customer", row)["email_norm"]})
    assert found.candidates and found.no_candidates is None
