"""`resolver evaluate` against a truth folder: missing records, wrong files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from resolver.errors import ResolverError
from resolver.report.accuracy import evaluate


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE customer_members (record_key VARCHAR, entity_id VARCHAR)")
    con.execute("CREATE TABLE invoice_members (record_key VARCHAR, entity_id VARCHAR)")
    con.execute("INSERT INTO customer_members VALUES ('rest:1', 'C1'), ('rest:3', 'C2')")
    return con


def _truth(tmp_path: Path, text: str) -> Path:
    (tmp_path / "customers.csv").write_text(text, encoding="utf-8")
    return tmp_path


def test_a_truth_record_the_run_did_not_load_is_a_singleton(con, tmp_path: Path) -> None:
    """rest:2 was rejected by ingest: its true pair with rest:1 is missed (recall 0), as
    the README's benchmark scoring says, not left out of the score."""
    truth = _truth(tmp_path, "system,source_id,entity_id\nrest,1,a\nrest,2,a\nrest,3,b\n")
    (scores,) = evaluate(con, truth)
    assert (scores.records, scores.true_pairs, scores.predicted_pairs) == (3, 1, 0)
    assert scores.pair_recall == 0.0


def test_a_truth_file_with_other_columns_is_named(con, tmp_path: Path) -> None:
    truth = _truth(tmp_path, "system,id,cluster\nrest,1,a\n")
    with pytest.raises(ResolverError, match=r"customers.csv: no column 'source_id', 'entity_id'"):
        evaluate(con, truth)


def test_a_truth_file_naming_no_loaded_record_is_an_error(con, tmp_path: Path) -> None:
    truth = _truth(tmp_path, "system,source_id,entity_id\nresto,1,a\nresto,2,a\n")
    with pytest.raises(ResolverError, match=r"truth systems: resto; loaded customer systems: rest"):
        evaluate(con, truth)
