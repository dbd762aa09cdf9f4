from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from resolver.demo.fixtures import RULES, DemoStore
from resolver.linkage.rules import load_rules, write_thresholds
from resolver.store.journal import journal_path
from resolver.tuning import Workspace, workspace


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*.yaml")):
        h.update(p.read_bytes())
    return h.hexdigest()


def test_env_names_an_existing_store_and_its_truth(ws: Workspace, demo_store: DemoStore) -> None:
    assert ws.db == demo_store.db
    assert not ws.demo
    assert ws.truth_dir == demo_store.data_dir / "truth"
    assert ws.rules_dir == RULES


def test_a_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make demo"):
        workspace(tmp_path, env={"RESOLVER_DB": str(tmp_path / "nope.duckdb")})


def test_without_env_a_demo_store_is_built(tmp_path: Path) -> None:
    ws = workspace(tmp_path, customers=60, seed=3, env={})
    assert ws.demo and ws.db.is_file() and ws.truth_dir is not None
    con = ws.connect()
    try:
        assert con.execute("SELECT count(*) FROM customers").fetchall()[0][0] > 60
    finally:
        con.close()


def test_thresholds_go_to_a_copy_unless_rules_out_is_set(ws: Workspace, tmp_path: Path) -> None:
    before = _digest(RULES)
    target = ws.rules_for_writing()
    assert target != RULES and (target / "customers.yaml").is_file()
    write_thresholds(target, "customer", auto_link=0.97, review=0.6)
    assert load_rules(target, "customer", models_dir="models").thresholds.auto_link == 0.97
    assert _digest(RULES) == before

    out = tmp_path / "out"
    env = {"RESOLVER_DB": str(ws.db), "RESOLVER_RULES_OUT": str(out)}
    assert workspace(tmp_path / "w2", env=env).rules_for_writing() == out
    assert (out / "invoices.yaml").is_file()


def test_writable_copy_carries_the_journal(ws: Workspace) -> None:
    copy = ws.writable_copy()
    assert copy.db != ws.db and copy.db.is_file()
    assert journal_path(copy.db).is_file() == journal_path(ws.db).is_file()
