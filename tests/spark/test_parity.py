"""Parity is the feature: the same inputs and model give, on Spark, the same pairs
(weights within 1e-9), the same clusters and the same entity ids as on DuckDB, with
reviewers' decisions in place (an accept, a reject and a split, recorded after a first
run, honoured by both engines' next run alike)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from resolver import store
from resolver.demo.fixtures import MODELS, RULES, generate_world
from resolver.engine import open_engine
from resolver.pipeline import run_batch
from resolver.review import decide, get_proposal, list_proposals
from resolver.store.journal import journal_path

pytestmark = pytest.mark.slow

WEIGHT_TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """A first run on DuckDB, then a reviewer's decisions on three of its link
    proposals: (world, store, {action: record keys})."""
    world = generate_world(tmp_path_factory.mktemp("parity-world"), customers=150, seed=5)
    db = tmp_path_factory.mktemp("parity-first") / "resolver.duckdb"
    run_batch(rules_dir=RULES, db_path=db, data_dir=world, models_dir=MODELS)
    con = store.connect(db)
    try:
        links = list_proposals(con, object="customer", kind="link", limit=500).items
        pairs = [p for p in links if p["records_affected"] == 2]
        trios = [p for p in links if p["records_affected"] == 3]
        assert len(pairs) >= 2 and trios, "the world gives too few link proposals"
        decided = {}
        for action, p in (("accept", pairs[0]), ("reject", pairs[1]), ("split", trios[0])):
            keys = sorted(p["record_keys"])
            version = get_proposal(con, p["proposal_id"])["version"]
            groups = [keys[:1], keys[1:]] if action == "split" else None
            decide(
                con, p["proposal_id"], action=action, version=version, reviewer="ana", groups=groups
            )
            decided[action] = keys
    finally:
        con.close()
    return world, db, decided


@pytest.fixture(scope="module")
def both_runs(spark, first_run, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The next run on each engine, each on its own copy of the decided store."""
    world, first, _ = first_run
    out = []
    for engine in ("duckdb", open_engine("spark", session=spark)):
        db = tmp_path_factory.mktemp("parity") / "resolver.duckdb"
        shutil.copy(first, db)
        journal = journal_path(first)
        for part in journal.parent.glob(journal.name + "*"):  # with its write-ahead log
            if not part.name.endswith(".lock"):
                shutil.copy(part, journal_path(db).parent / part.name)
        run_batch(rules_dir=RULES, db_path=db, data_dir=world, models_dir=MODELS, engine=engine)
        out.append(db)
    return out[0], out[1]


def _read(db: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


@pytest.mark.parametrize("obj", ["customer", "invoice"])
def test_the_same_pairs_with_the_same_weights(both_runs, obj: str) -> None:
    sql = f"SELECT * FROM {obj}_pairs ORDER BY record_key_l, record_key_r"
    duck, spark = (_read(db, sql) for db in both_runs)
    assert len(duck) > 50
    keys = ["record_key_l", "record_key_r"]
    assert duck[keys].equals(spark[keys])
    assert sorted(duck.columns) == sorted(spark.columns)
    for col in duck.columns:
        if col.startswith(("match_weight", "match_probability", "mw_")):
            diff = (duck[col].astype(float) - spark[col].astype(float)).abs().max()
            assert diff <= WEIGHT_TOLERANCE, col
        elif col not in keys:
            assert (
                duck[col].astype(object).fillna("-").tolist()
                == spark[col].astype(object).fillna("-").tolist()
            ), col


@pytest.mark.parametrize("obj", ["customer", "invoice"])
def test_the_same_entities_and_ids(both_runs, obj: str) -> None:
    sql = f"SELECT record_key, entity_id FROM {obj}_members ORDER BY record_key"
    duck, spark = (_read(db, sql) for db in both_runs)
    assert duck["entity_id"].nunique() < len(duck)  # some records were merged
    assert duck.equals(spark)


def test_the_same_golden_records_and_proposals(both_runs) -> None:
    for table in ("customer_golden", "customer_proposals", "invoice_proposals"):
        duck, spark = (_read(db, f"SELECT * FROM {table}") for db in both_runs)
        order = sorted(duck.columns)
        # rows in the order of their key: a table's own row order is not part of it
        key = "entity_id" if "entity_id" in order and table.endswith("golden") else "proposal_id"
        duck = duck[order].sort_values(key).reset_index(drop=True)
        spark = spark[order].sort_values(key).reset_index(drop=True)
        assert len(duck) == len(spark), table
        pd.testing.assert_frame_equal(duck, spark, check_exact=False, rtol=1e-9), table


def test_both_engines_honour_the_decisions(first_run, both_runs) -> None:
    decided = first_run[2]
    sql = "SELECT record_key, entity_id FROM customer_members"
    for db in both_runs:
        entity = dict(_read(db, sql).itertuples(index=False))
        accepted, rejected, split = decided["accept"], decided["reject"], decided["split"]
        assert entity[accepted[0]] == entity[accepted[1]]
        assert entity[rejected[0]] != entity[rejected[1]]
        assert entity[split[1]] == entity[split[2]] != entity[split[0]]
