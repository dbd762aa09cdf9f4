"""`resolver train --engine spark` end to end: both models trained on Spark, saved
engine-neutrally, and the saved models run on DuckDB."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from resolver.cli import main
from resolver.demo.fixtures import RULES, generate_world
from resolver.linkage.model import MODEL_FILES
from resolver.pipeline import run_batch

pytestmark = pytest.mark.slow


def test_resolver_train_on_spark(spark, tmp_path: Path, monkeypatch, capsys) -> None:
    # the command's session is the suite's (getOrCreate), kept as small as the fixture's
    monkeypatch.setenv("RESOLVER_SPARK_PARTITIONS", "1")
    monkeypatch.setenv("RESOLVER_SPARK_CHECKPOINT", str(tmp_path / "checkpoint"))
    world = generate_world(tmp_path / "world", customers=60, seed=3)
    # the demo's rules with two EM passes per object of one iteration each: each iteration
    # is a Spark job, and what is checked is that training runs on Spark and saves
    # engine-neutral models with every level estimated, not how far EM converges
    rules = shutil.copytree(RULES, tmp_path / "rules")
    passes = {
        "customers.yaml": "[[email_key], [phone_digits]]",
        "invoices.yaml": "[[amount_cents, invoice_date], [invoice_number_norm]]",
    }
    for name, em_blocking in passes.items():
        with (rules / name).open("a") as f:
            f.write(f"\ntraining:\n  em_max_iterations: 1\n  em_blocking: {em_blocking}\n")
    models = tmp_path / "models"
    args = ["--rules", str(rules), "--data", str(world), "--models", str(models)]
    code = main(["train", *args, "--db", str(tmp_path / "r.duckdb"), "--engine", "spark"])
    assert code == 0, capsys.readouterr().err
    assert "trained on" in capsys.readouterr().out
    for name in MODEL_FILES.values():
        text = (models / name).read_text()
        assert "sql_dialect" not in text and "`" not in text  # engine-neutral
        levels = [
            lv
            for c in json.loads(text)["splink"]["comparisons"]
            for lv in c["comparison_levels"]
            if not lv.get("is_null_level")
        ]
        assert levels and all(lv["m_probability"] > 0 < lv["u_probability"] for lv in levels)
    db = tmp_path / "run.duckdb"
    run_batch(rules_dir=rules, db_path=db, data_dir=world, models_dir=models)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM customer_pairs").fetchone()[0] > 0
    finally:
        con.close()
