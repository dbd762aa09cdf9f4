"""The batch job end to end on the demo world: accuracy floor, idempotence, stable ids,
atomicity, input order, and the committed models."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from resolver import store
from resolver.demo.fixtures import DemoStore, generate_world
from resolver.linkage.model import MODEL_FORMAT, load_model_and_rules
from resolver.linkage.predict import score_table, tf_columns
from resolver.linkage.term_frequency import effective_frequencies, tf_levels, value_counts
from resolver.report.accuracy import evaluate
from resolver.store import runs

# Floors a regression must not cross (measured figures are in the README).
FLOORS = {"customer": 0.95, "invoice": 0.95}


def _read(db: Path, sql: str) -> pd.DataFrame:
    con = store.connect(db, read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _members(db: Path, obj: str) -> pd.Series:
    m = _read(db, f"SELECT record_key, entity_id FROM {obj}_members ORDER BY record_key")
    return m.set_index("record_key")["entity_id"]


def _partition(members: pd.Series) -> set[frozenset[str]]:
    return {frozenset(g.index) for _, g in members.groupby(members)}


def test_accuracy_floor_on_the_demo_world(demo_store: DemoStore) -> None:
    con = store.connect(demo_store.db, read_only=True)
    try:
        scores = {s.object: s for s in evaluate(con, demo_store.truth_dir)}
    finally:
        con.close()
    for obj, floor in FLOORS.items():
        assert scores[obj].pair_f1 >= floor, scores[obj].format()
        assert scores[obj].bcubed_f1 >= floor, scores[obj].format()


def test_every_loaded_record_has_an_entity_and_a_golden_record(demo_store: DemoStore) -> None:
    for obj, table in (("customer", "customers"), ("invoice", "invoices")):
        counts = _read(
            demo_store.db,
            f"SELECT (SELECT count(*) FROM {table}) AS records, "
            f"(SELECT count(*) FROM {obj}_members) AS members, "
            f"(SELECT count(DISTINCT entity_id) FROM {obj}_members) AS entities, "
            f"(SELECT count(*) FROM {obj}_golden) AS golden",
        ).iloc[0]
        assert counts["records"] == counts["members"]
        assert counts["entities"] == counts["golden"]


def test_golden_values_name_their_source_record(demo_store: DemoStore) -> None:
    g = _read(demo_store.db, "SELECT * FROM customer_golden WHERE member_count > 1 LIMIT 50")
    m = _members(demo_store.db, "customer")
    for row in g.itertuples():
        if pd.notna(row.email):
            assert m[row.email_source] == row.entity_id


def test_a_second_run_on_the_same_inputs_changes_nothing(
    demo_store: DemoStore, tmp_path: Path
) -> None:
    db = tmp_path / "again.duckdb"
    shutil.copy(demo_store.db, db)
    before = {o: _members(db, o) for o in ("customer", "invoice")}
    golden = _read(db, "SELECT * FROM customer_golden ORDER BY entity_id")
    demo_store.run(db)
    for obj, members in before.items():
        pd.testing.assert_series_equal(members, _members(db, obj))
    pd.testing.assert_frame_equal(
        golden, _read(db, "SELECT * FROM customer_golden ORDER BY entity_id")
    )
    events = _read(db, "SELECT * FROM entity_events WHERE run_id = 2")
    assert events.empty, events
    # the history is kept: run 1's events are still there, once each
    first = _read(db, "SELECT entity_id, event FROM entity_events WHERE run_id = 1")
    assert len(first) > 0 and not first.duplicated().any()


def _copy_world(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_ids_of_untouched_entities_survive_a_one_percent_change(
    demo_store: DemoStore, tmp_path: Path
) -> None:
    world = _copy_world(demo_store.data_dir, tmp_path / "world")
    crm = world / "crm" / "contacts.csv"
    df = pd.read_csv(crm, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(5)
    touched = rng.choice(len(df), size=max(1, len(df) // 100), replace=False)
    df.loc[touched, "Phone"] = (
        "(312) 555-0" + pd.Series(range(100, 100 + len(touched))).astype(str).to_numpy()
    )
    df.to_csv(crm, index=False)
    db = tmp_path / "s.duckdb"
    shutil.copy(demo_store.db, db)
    before = _members(db, "customer")
    demo_store.run(db, world)
    after = _members(db, "customer")
    touched_keys = set("crm:" + df.loc[touched, "ContactID"])
    touched_entities = set(before[before.index.isin(touched_keys)])
    untouched = before[~before.isin(touched_entities)]
    same = (after.loc[untouched.index] == untouched).mean()
    assert same == 1.0


def test_row_order_of_the_inputs_changes_nothing(demo_store: DemoStore, tmp_path: Path) -> None:
    world = _copy_world(demo_store.data_dir, tmp_path / "world")
    for path in world.rglob("*.csv"):
        if "truth" in path.parts:
            continue
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        df.sample(frac=1.0, random_state=3).to_csv(path, index=False)
    db = tmp_path / "shuffled.duckdb"
    demo_store.run(db, world)
    for obj in ("customer", "invoice"):
        assert _partition(_members(db, obj)) == _partition(_members(demo_store.db, obj))


def test_a_killed_run_leaves_the_previous_run_readable(
    demo_store: DemoStore, tmp_path: Path
) -> None:
    db = tmp_path / "killed.duckdb"
    shutil.copy(demo_store.db, db)
    before = _members(db, "customer")
    cmd = demo_store.run_command(db)
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env={**os.environ})
    deadline = time.time() + 120
    assert proc.stderr is not None
    for line in proc.stderr:  # wait until linking has started, then kill without warning
        if "link customer started" in line or time.time() > deadline:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    con = store.connect(db, read_only=True)
    try:
        assert runs.latest_run(con)["run_id"] == 1
        assert con.execute("SELECT count(*) FROM customer_members").fetchall()[0][0] == len(before)
    finally:
        con.close()
    pd.testing.assert_series_equal(_members(db, "customer"), before)
    # the next run marks the killed one failed and completes
    demo_store.run(db)
    con = store.connect(db, read_only=True)
    try:
        log = runs.list_runs(con)
        assert runs.latest_run(con)["run_id"] == log[0]["run_id"]
    finally:
        con.close()
    assert [r["status"] for r in reversed(log)][-2:] == ["failed", "complete"]


@pytest.mark.parametrize("obj", ["customer", "invoice"])
def test_the_committed_model_loads_and_scores(obj: str) -> None:
    model, rules = load_model_and_rules(Path("models"), Path("rules"), obj)
    assert model.meta["format_version"] == MODEL_FORMAT
    assert model.meta["rules_hash"] == rules.rules_hash
    if obj == "customer":
        base = {
            "system": "crm",
            "first_name_norm": "maria",
            "first_name_key": "maria",
            "last_name_norm": "gonzalez",
            "last_name_phonetic": "KNSL",
            "company_key": None,
            "email_norm": "maria.g@example.org",
            "email_key": "maria.g@example.org",
            "phone_digits": "3125550142",
            "address_line": "12 N MAIN ST, CHICAGO, IL 60601",
            "addr_house_number": "12",
            "addr_street": "N MAIN ST",
            "zip5": "60601",
        }
        other = {
            **base,
            "first_name_norm": "peter",
            "first_name_key": "peter",
            "last_name_norm": "novak",
            "last_name_phonetic": "NFK",
            "email_norm": "pn@example.com",
            "email_key": "pn@example.com",
            "phone_digits": "7735550199",
            "address_line": "9 ELM ST, DENVER, CO 80202",
            "addr_house_number": "9",
            "addr_street": "ELM ST",
            "zip5": "80202",
        }
    else:
        base = {
            "system": "billing",
            "invoice_number_norm": "1042",
            "customer_entity_id": "CUS-1",
            "amount_cents": 12550,
            "invoice_date": pd.Timestamp("2024-05-02").date(),
        }
        other = {
            **base,
            "invoice_number_norm": "2077",
            "amount_cents": 99,
            "customer_entity_id": "CUS-9",
            "invoice_date": pd.Timestamp("2023-01-09").date(),
        }
    twin = {**base, "system": "ledger"}
    rows = [{**base, "record_key": "a"}, {**twin, "record_key": "b"}, {**other, "record_key": "c"}]
    # term frequencies come from the table scored: pad it with distinct records, as a
    # real store is, so a value shared by the twins is rare, not one in three
    rows += [
        {k: (f"{v}{i}" if isinstance(v, str) and k != "system" else v) for k, v in other.items()}
        | {"record_key": f"z{i:03d}"}
        for i in range(200)
    ]
    table = pd.DataFrame(rows)
    for col in rules.input_columns():
        if col not in table:
            table[col] = None
    scored = score_table(
        table, model, blocking_rules=["l.record_key <= 'c' AND r.record_key <= 'c'"]
    )
    p = {(r.record_key_l, r.record_key_r): r.match_probability for r in scored.itertuples()}
    assert p[("a", "b")] > 0.99
    assert p[("a", "c")] < 0.01


def test_score_table_takes_term_frequency_lookups() -> None:
    """``tf_tables``: the lookup a run would compute gives the same answer as none; a
    value declared common weighs less when two records share it."""
    model, rules = load_model_and_rules("models", "rules", "customer")
    col = "email_norm"
    assert col in tf_columns(model)
    base = {"first_name_norm": "ann", "last_name_norm": "lee", "email_norm": "ann@x.com"}
    rows = [{**base, "record_key": "a"}, {**base, "record_key": "b"}]
    rows += [{"email_norm": f"p{i}@y.com", "record_key": f"z{i:03d}"} for i in range(50)]
    table = pd.DataFrame(rows)
    for c in rules.input_columns():
        if c not in table:
            table[c] = None
    level = tf_levels(model.splink)[col]
    own = effective_frequencies(value_counts(table[col]), level)
    lookup = own.rename_axis(col).reset_index()
    pair = ["l.record_key = 'a' AND r.record_key = 'b'"]
    plain = score_table(table, model, blocking_rules=pair)
    same = score_table(table, model, blocking_rules=pair, tf_tables={col: lookup})
    assert same.match_weight.iloc[0] == pytest.approx(plain.match_weight.iloc[0], abs=1e-9)
    common = lookup.assign(
        **{f"tf_{col}": lambda d: d[f"tf_{col}"].where(d[col] != "ann@x.com", 0.5)}
    )
    weaker = score_table(table, model, blocking_rules=pair, tf_tables={col: common})
    assert weaker.match_weight.iloc[0] < plain.match_weight.iloc[0] - 1


def test_an_object_without_sources_gets_tables_of_the_same_layout() -> None:
    """With no invoice source, the empty invoice proposals table has the real layout's
    types, so a union with the customer proposals keeps lists as lists and run ids as
    numbers."""
    import duckdb

    from resolver.entities.golden import load_survivorship
    from resolver.pipeline import _stage_empty
    from resolver.review.make_proposals import PROPOSAL_COLUMNS
    from resolver.store.schema import RECORD_COLUMNS, create_table_sql

    con = duckdb.connect()
    for obj, table in (("customer", "stage_customers"), ("invoice", "stage_invoices")):
        con.execute(create_table_sql(table, RECORD_COLUMNS[obj]))
    con.execute("CREATE TABLE stage_customer_members (record_key VARCHAR, entity_id VARCHAR)")
    _stage_empty(con, "invoice", load_survivorship("rules"))
    got = {r[0]: r[1] for r in con.execute("DESCRIBE stage_invoice_proposals").fetchall()}
    assert got == PROPOSAL_COLUMNS


def test_proposal_tables_have_the_declared_layout(demo_store: DemoStore) -> None:
    from resolver.review.make_proposals import PROPOSAL_COLUMNS

    for obj in ("customer", "invoice"):
        got = _read(demo_store.db, f"DESCRIBE {obj}_proposals")
        assert dict(zip(got["column_name"], got["column_type"], strict=True)) == PROPOSAL_COLUMNS


def test_training_leaves_a_running_jobs_building_file_alone(tmp_path: Path) -> None:
    """Training works in its own scratch file (sharing the store's journal), so a
    `resolver run` building at the same time keeps its file; it does not wait for the
    run's lock (it never writes the store), but takes one of its own."""
    from resolver.errors import StoreBusy
    from resolver.pipeline import train
    from resolver.store import run_lock
    from resolver.store.journal import TRAINING_SUFFIX, journal_path

    # what is checked is the files and locks, not the model: a small world trains fast
    demo_world = generate_world(tmp_path / "world", customers=60, seed=3)
    db = tmp_path / "s.duckdb"
    building = tmp_path / "s.duckdb.building"
    building.write_bytes(b"a run's half-built file")
    with run_lock.hold(db):  # a run is working on the store
        train(rules_dir="rules", db_path=db, data_dir=demo_world, models_dir=tmp_path / "models")
    with (
        run_lock.hold(db, suffix=TRAINING_SUFFIX, command="train"),
        pytest.raises(StoreBusy, match="in use by another train"),
    ):
        train(rules_dir="rules", db_path=db, data_dir=demo_world, models_dir=tmp_path / "models")
    assert building.read_bytes() == b"a run's half-built file"
    assert not (tmp_path / "s.duckdb.training").exists()
    assert (tmp_path / "models" / "customers.json").exists()
    assert journal_path(tmp_path / "s.duckdb.training") == journal_path(db)
