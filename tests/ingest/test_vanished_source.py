"""A vanished or shrunken source stops the run before anything is published; when the
export comes back, every record keeps its entity id."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from resolver import store
from resolver.demo.fixtures import DemoStore
from resolver.errors import SourceShrank
from resolver.store import runs
from resolver.store.journal import Journal, journal_path

CRM = "crm/contacts.csv"


def _snapshot(db: Path) -> tuple[int, pd.DataFrame]:
    con = store.connect(db, read_only=True)
    try:
        members = con.execute(
            "SELECT record_key, entity_id FROM customer_members ORDER BY record_key"
        ).df()
        return runs.latest_run(con)["run_id"], members
    finally:
        con.close()


def _crm_loaded(db: Path) -> int:
    con = store.connect(db, read_only=True)
    try:
        return con.execute(
            "SELECT rows_loaded FROM source_loads WHERE system = 'crm' AND object = 'customer'"
        ).fetchall()[0][0]
    finally:
        con.close()


def test_a_header_only_export_stops_the_run_and_ids_survive(workdir, demo_store: DemoStore) -> None:
    db, world = workdir
    before_run, before = _snapshot(db)
    n = _crm_loaded(db)
    original = (world / CRM).read_bytes()
    (world / CRM).write_bytes(original.split(b"\n", 1)[0] + b"\n")  # the header alone
    with pytest.raises(SourceShrank) as err:
        demo_store.run(db, world)
    message = str(err.value)
    assert "crm/customer loaded 0 of 0 rows read" in message
    assert f"the last good run (run {before_run}) loaded {n:,}" in message
    run_id, now = _snapshot(db)
    assert run_id == before_run  # nothing published
    pd.testing.assert_frame_equal(now, before)
    assert Journal(journal_path(db)).runs()[0]["status"] == "failed"
    assert not db.with_name(db.name + ".building").exists()
    # the export comes back: the same records keep the same entity ids
    (world / CRM).write_bytes(original)
    demo_store.run(db, world)
    _, after = _snapshot(db)
    pd.testing.assert_frame_equal(after, before)


def test_a_shrunken_export_stops_the_run_naming_both_counts(
    workdir, demo_store: DemoStore, tmp_path: Path
) -> None:
    db, world = workdir
    before_run, _ = _snapshot(db)
    n = _crm_loaded(db)
    df = pd.read_csv(world / CRM, dtype=str, keep_default_na=False)
    df.head(len(df) // 3).to_csv(world / CRM, index=False)
    cmd = [sys.executable, "-m", "resolver", "run", "--rules", str(demo_store.rules_dir)]
    cmd += ["--data", str(world), "--db", str(db), "--models", str(demo_store.models_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "resolver run: error: 1 source(s) shrank or vanished" in proc.stderr
    kept = len(df) // 3
    assert re.search(rf"crm/customer loaded \d+ of {kept:,} rows read", proc.stderr)
    assert f"(run {before_run}) loaded {n:,}: under 0.5 of it" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _snapshot(db)[0] == before_run
    # a contract that expects it says so: min_rows_ratio
    rules = tmp_path / "rules"
    shutil.copytree(demo_store.rules_dir, rules)
    contract = rules / "sources" / "crm_customers.yaml"
    contract.write_text(contract.read_text() + "min_rows_ratio: 0.2\n")
    assert demo_store.run(db, world, rules_dir=rules).run_id > before_run
