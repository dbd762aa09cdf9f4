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


def test_a_truth_file_is_scored_as_the_object_it_is_named_for(con, tmp_path: Path) -> None:
    """Public data sets ship one truth file under their own name (``truth.csv``): it is
    scored as customers, or as invoices when asked, the folder form left as it is."""
    path = tmp_path / "truth.csv"
    path.write_text("system,source_id,entity_id\nrest,1,a\nrest,3,a\n", encoding="utf-8")
    (scores,) = evaluate(con, path)
    assert (scores.object, scores.records, scores.true_pairs) == ("customer", 2, 1)
    assert scores.pair_recall == 0.0  # the run put rest:1 and rest:3 apart
    con.execute("INSERT INTO invoice_members VALUES ('rest:1', 'I1'), ('rest:3', 'I1')")
    (scores,) = evaluate(con, path, obj="invoice")
    assert (scores.object, scores.pair_recall) == ("invoice", 1.0)
    with pytest.raises(ResolverError, match="no object 'vendor'"):
        evaluate(con, path, obj="vendor")
    # a folder without the named files still finds nothing to score
    assert evaluate(con, tmp_path) == []


def test_the_command_says_which_file_to_pass(con, tmp_path: Path, capsys) -> None:
    """A public set's folder holds its data and ``truth.csv``: the command names the
    truth file to pass, not the data file, and a path that is not there is said so."""
    from resolver import cli

    db = tmp_path / "s.duckdb"  # never opened: the truth is checked first
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "a_people.csv").write_text("id,name,cluster\n1,Ann,1\n", encoding="utf-8")
    (folder / "truth.csv").write_text("system,source_id,entity_id\nx,1,a\n", encoding="utf-8")
    assert cli.main(["evaluate", "--truth", str(folder), "--db", str(db)]) == 2
    assert f"pass it: --truth {folder / 'truth.csv'}" in capsys.readouterr().err
    assert cli.main(["evaluate", "--truth", str(tmp_path / "nope"), "--db", str(db)]) == 2
    assert "nope: no such truth file or folder" in capsys.readouterr().err
