"""Real public data sets the rules were not written for, configured by contracts only.

For each of ``fake_1000`` (Splink's synthetic people) and ``restaurants`` (Fodor's and
Zagat), a rules folder holding nothing but the source contract of
``benchmarks/real/<case>/sources/`` goes through the whole batch job with a model derived
from the data (``retrain=True``), scored against the data set's truth
(``tests/data/real/<case>/truth.csv``; README there). Records missing from the result
(rejected by ingest) count as singletons. The floors sit well below the figures
``benchmarks/accuracy.py`` measures: a regression guard, not a benchmark.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from resolver import store
from resolver.pipeline import run_batch
from resolver.report.accuracy import score_clusters

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "real"
CONTRACTS = ROOT / "benchmarks" / "real"

# pairwise F1 floors (placeholders until the lead sets the final ones)
FLOORS = {"fake_1000": 0.55, "restaurants": 0.8}


def _truth(case: str) -> pd.Series:
    t = pd.read_csv(DATA / case / "truth.csv", dtype=str, keep_default_na=False)
    return pd.Series(t["entity_id"].to_numpy(), index=t["system"] + ":" + t["source_id"])


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(FLOORS))
def test_contracts_only_run_scores_above_floor(case: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(CONTRACTS / case / "sources", rules / "sources")
    assert sorted(p.name for p in rules.iterdir()) == ["sources"]  # contracts only
    db = tmp_path / "store.duckdb"
    run_batch(
        rules_dir=rules,
        db_path=db,
        data_dir=DATA / case,
        models_dir=tmp_path / "models",
        retrain=True,
    )
    con = store.connect(db, read_only=True)
    try:
        pred = con.execute("SELECT record_key, entity_id FROM customer_members").df()
    finally:
        con.close()
    truth = _truth(case)
    pred = pred.set_index("record_key")["entity_id"].reindex(truth.index).astype(object)
    missing = pred.isna()
    pred[missing] = "missing:" + pred.index[missing]  # rejected rows stay, as singletons
    scores = score_clusters(pred, truth, obj="customer")
    assert scores.records == len(truth)
    assert scores.pair_f1 >= FLOORS[case], scores.format()
