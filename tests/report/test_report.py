"""The health report: its figures against counts taken from the raw demo files."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from resolver.demo._util import EXPORT_DATE
from resolver.demo.fixtures import DemoStore
from resolver.report import build_report, load_report, render, stage_report, summary_lines
from resolver.review.orphans import load_orphan_rules, stage_orphans

ROOT = Path(__file__).resolve().parents[2]
STAGED = (
    "customers",
    "invoices",
    "rejects",
    "source_loads",
    "orphans",
    *(f"{o}_{t}" for o in ("customer", "invoice") for t in ("members", "pairs")),
)


@pytest.fixture(scope="module")
def store(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private copy of the demo store with orphans and a first report snapshot."""
    db = tmp_path_factory.mktemp("report") / "store.duckdb"
    shutil.copy(demo_store.db, db)
    con = duckdb.connect(str(db))
    stage_orphans(con, load_orphan_rules(ROOT / "rules"), prefix="", run_id=1, as_of=EXPORT_DATE)
    stage_report(con, run_id=1, prefix="")
    con.close()
    yield db


@pytest.fixture(scope="module")
def report(store: Path) -> dict:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return build_report(con, run_id=1)
    finally:
        con.close()


@pytest.fixture(scope="module")
def files(demo_store: DemoStore):
    """Accepted rows of every export (rows the truth lists as rejects dropped)."""
    rejects = pd.read_csv(demo_store.truth_dir / "rejects.csv")

    def accepted(name: str) -> pd.DataFrame:
        path = demo_store.data_dir / name
        df = pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path, dtype=str)
        bad = (rejects.loc[rejects["file"] == name, "row"] - 1).tolist()
        return df.drop(index=bad).reset_index(drop=True)

    return accepted


def _by_id(report: dict) -> dict[str, dict]:
    return {c["id"]: c for c in report["findings"]}


def test_rejected_rows_per_system_match_the_truth(report: dict, demo_store: DemoStore) -> None:
    truth = pd.read_csv(demo_store.truth_dir / "rejects.csv")
    want = truth.groupby(["system", "reason_kind"]).size().to_dict()
    got: dict[tuple[str, str], int] = {}
    for c in report["findings"]:
        if c["category"] == "rejects":
            key = (c["system"], c["reason_kind"])
            got[key] = got.get(key, 0) + c["count"]
    assert got == want
    per_system = truth.groupby("system").size().to_dict()
    loads = _sum_by_system(report)
    assert loads == {s: int(per_system.get(s, 0)) for s in loads}


def _sum_by_system(report: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in report["systems"]:
        out[s["system"]] = out.get(s["system"], 0) + s["rows_rejected"]
    return out


@pytest.mark.parametrize(
    ("file", "column", "check_id"),
    [
        ("crm/contacts.csv", "Email", "completeness.customer.crm.email"),
        ("dispatch/customers.csv", "Email", "completeness.customer.dispatch.email"),
        ("billing/customers.csv", "PHONE", "completeness.customer.billing.phone"),
        ("ledger/customers.parquet", "phone", "completeness.customer.ledger.phone"),
        ("billing/invoices.csv", "TAX", "completeness.invoice.billing.tax_cents"),
    ],
)
def test_completeness_matches_the_files(report, files, file, column, check_id) -> None:
    df = files(file)
    missing = int(df[column].isna().sum() + (df[column].astype(str).str.strip() == "").sum())
    c = _by_id(report)[check_id]
    assert (c["count"], c["total"]) == (missing, len(df))
    assert c["rate"] == pytest.approx(missing / len(df), abs=1e-4)


def test_within_system_duplicates_against_the_truth(report, demo_store: DemoStore) -> None:
    got = {
        (c["object"], c["system"]): c["count"]
        for c in report["findings"]
        if c["category"] == "duplicates"
    }
    for obj, name in (("customer", "customers"), ("invoice", "invoices")):
        truth = pd.read_csv(demo_store.truth_dir / f"{name}.csv", dtype=str)
        size = truth.groupby(["system", "entity_id"]).size()
        want = size[size > 1].groupby(level="system").sum().to_dict()
        for system in truth["system"].unique():
            w, g = int(want.get(system, 0)), got[(obj, system)]
            print(f"\n{obj} {system}: duplicates in truth {w}, in report {g}")
            # the report counts what linkage found: exact but for a missed link or two
            assert abs(g - w) <= max(2, 0.15 * w), (obj, system)
    assert got[("invoice", "billing")] == 6  # the sync that ran twice, exactly


def _cents(values: pd.Series) -> pd.Series:
    return (values.str.replace(r"[$,]", "", regex=True).astype(float) * 100).round().astype(int)


def test_ledger_billing_amount_disagreements_match_the_files(
    report, files, demo_store: DemoStore
) -> None:
    truth = pd.read_csv(demo_store.truth_dir / "invoices.csv", dtype=str)
    billing = files("billing/invoices.csv").merge(
        truth[truth["system"] == "billing"], left_on="INVOICE_ID", right_on="source_id"
    )
    ledger = files("ledger/invoices.parquet").merge(
        truth[truth["system"] == "ledger"], left_on="txn_id", right_on="source_id"
    )
    billing["cents"], ledger["cents"] = _cents(billing["AMOUNT"]), _cents(ledger["total"])
    ledger["tax"] = _cents(ledger["tax"].fillna("0"))
    pairs = billing.merge(ledger, on="entity_id", suffixes=("_b", "_l"))
    differs = pairs[pairs["cents_b"] != pairs["cents_l"]]
    tax_added = int((differs["cents_l"] - differs["cents_b"] == differs["tax"]).sum())
    c = _by_id(report)["agreement.invoice.billing~ledger.amount_cents"]
    print(
        f"\namount disagreements: files {len(differs)} (tax {tax_added}), report {c['count']} "
        f"{c['breakdown']}"
    )
    assert c["count"] == len(differs)
    assert c["total"] == len(pairs)
    assert c["breakdown"]["tax_added"] == tax_added
    assert c["severity"] == "critical"


def test_orphan_counts(report, demo_store: DemoStore, store: Path) -> None:
    truth = pd.read_csv(demo_store.truth_dir / "orphans.csv").groupby("expectation").size()
    got = {c["expectation"]: c for c in report["findings"] if c["category"] == "orphans"}
    assert set(got) == set(truth.index)
    for exp, want in truth.items():
        print(f"\norphans {exp}: truth {want}, report {got[exp]['count']}")
        assert want <= got[exp]["count"] <= want / 0.9  # the orphan precision floor
    con = duckdb.connect(str(store), read_only=True)
    n = con.execute("SELECT count(*) FROM orphans WHERE resolution = 'open'").fetchall()[0][0]
    con.close()
    assert sum(c["count"] for c in got.values()) == n
    assert got["invoice_in_ledger"]["severity"] == "critical"


def test_checks_have_severity_examples_and_trend(report) -> None:
    for c in report["findings"]:
        assert c["severity"] in ("critical", "high", "medium", "low", "info")
        assert len(c["examples"]) <= 3
        assert c["examples"] or not c["count"] or c["category"] == "coverage"
        assert "delta" in c
    t = report["totals"]
    assert t["findings"] == sum(t["by_severity"].values()) > 0
    json.dumps(report)  # serialisable as is


def test_snapshots_are_append_only_and_give_trends(store: Path, tmp_path: Path) -> None:
    db = tmp_path / "again.duckdb"
    shutil.copy(store, db)
    con = duckdb.connect(str(db))
    try:
        for t in STAGED:  # what a run leaves staged before publishing
            con.execute(f"CREATE TABLE stage_{t} AS SELECT * FROM {t}")
        con.execute("DELETE FROM stage_rejects WHERE system = 'crm'")
        second = stage_report(con, run_id=2, prefix="stage_")
        rows = con.execute("SELECT run_id FROM stage_reports ORDER BY run_id").fetchall()
        assert rows == [(1,), (2,)]
        assert second["previous_run_id"] == 1
        c = {c["id"]: c for c in second["findings"]}
        unchanged = c["completeness.customer.crm.email"]
        assert unchanged["delta"] == 0 and unchanged["previous"] == unchanged["count"]
        assert "rejects.customer.crm.bad_enum" not in c  # gone: no rows rejected now
        con.execute("DROP TABLE reports")
        con.execute("ALTER TABLE stage_reports RENAME TO reports")
        assert load_report(con)["run_id"] == 2
        assert load_report(con, 1)["run_id"] == 1
    finally:
        con.close()


def test_renderings(report) -> None:
    md = render(report, "md")
    assert md.startswith("# Integration health report")
    assert md.index("## Verdicts") < md.index("## Priorities") < md.index("## Trend")
    assert md.index("## Trend") < md.index("## Detail")
    assert max(len(line) for line in md.splitlines()) <= 100
    page = render(report, "html")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "</svg>" in page
    assert not re.search(r"<script|https?://(?!www\.w3\.org/2000/svg)", page)
    assert json.loads(render(report, "json"))["run_id"] == 1
    lines = summary_lines(report)
    assert lines[0].startswith("health report, run 1: ")
    assert max(len(line) for line in lines) <= 100
    with pytest.raises(ValueError, match="unknown report format"):
        render(report, "pdf")  # type: ignore[arg-type]


def test_a_reject_counts_under_its_first_kind_as_ingest_summarises_it() -> None:
    """A row with two problems counts once, under the first ``[kind]`` of its reason:
    the same kind ingest's per-source summary gives it."""
    import duckdb

    from resolver.report.checks import rejects
    from resolver.store.schema import REJECT_COLUMNS, SOURCE_LOAD_COLUMNS, create_table_sql

    con = duckdb.connect()
    con.execute(create_table_sql("rejects", REJECT_COLUMNS))
    con.execute(create_table_sql("source_loads", SOURCE_LOAD_COLUMNS))
    con.execute(
        "INSERT INTO source_loads VALUES ('crm', 'customer', 'f.csv', 'x', 'c', 10, 9, 1, now(), NULL)"
    )
    con.execute(
        "INSERT INTO rejects VALUES ('crm', 'customer', 'f.csv', 3, 'C9', 'id', "
        "'column ''id'': empty [missing_required]; column ''updated'': 31/02 [bad_date]', '{}')"
    )
    found = rejects(con, "")
    assert [(c["reason_kind"], c["count"]) for c in found] == [("missing_required", 1)]


def test_priorities_read_most_severe_first_after_a_round_trip_through_the_store(report) -> None:
    """The stored report is JSON with sorted keys: the priorities must still read
    critical, high, medium, low, and the grid's checks keep their order."""
    from resolver.report.verdicts import SEVERITIES, priorities

    stored = json.loads(json.dumps(report, sort_keys=True))
    ranks = [SEVERITIES.index(c["severity"]) for c in priorities(stored["checks"])]
    assert ranks == sorted(ranks)
    md = render(stored, "md")
    head = next(line for line in md.splitlines() if line.startswith("integration"))
    assert head.split()[1:3] == ["completeness", "field"]


def test_report_names_a_failed_run_after_the_reported_one(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a killed or failed night, `resolver report` still shows the last complete run,
    but says so; `--run N` of a run without a report is an error, not another run's report."""
    from resolver.cli import main
    from resolver.store.journal import Journal, journal_path

    db = tmp_path / "store.duckdb"
    shutil.copy(store, db)
    journal = Journal(journal_path(db))
    failed = journal.start_run(after=1)
    journal.end_run(failed, "failed", {"error": "interrupted"})

    assert main(["report", "--db", str(db), "--summary"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("health report, run 1: ")
    assert f"note: run {failed}, started " in out and "is failed (interrupted)" in out

    assert (
        main(["report", "--db", str(db), "--format", "html", "--out", str(tmp_path / "r.html")])
        == 0
    )
    assert f"run {failed}" in capsys.readouterr().err
    assert f"<b>Note:</b> run {failed}" in (tmp_path / "r.html").read_text(encoding="utf-8")

    assert main(["report", "--db", str(db), "--run", str(failed)]) == 2
    err = capsys.readouterr().err
    assert (
        f"run {failed} has no report: it is failed (interrupted); reports exist for run(s) 1" in err
    )
    assert main(["report", "--db", str(db), "--run", "99"]) == 2
    assert "no run 99 in this store" in capsys.readouterr().err
    assert main(["report", "--db", str(db), "--run", "1", "--summary"]) == 0
    assert "note:" not in capsys.readouterr().out


def test_a_partial_birth_date_is_unusable_not_missing(tmp_path: Path) -> None:
    """'1987' and '05/1987' are present (birth_year kept, ingest counts them unusable):
    the completeness checks must not call them missing."""
    from resolver.cli import main
    from resolver.report.checks import completeness

    (tmp_path / "rules" / "sources").mkdir(parents=True)
    (tmp_path / "people.csv").write_text(
        "ID,Last,DOB\n1,Smith,1987\n2,Jones,05/1987\n3,Brown,24/05/1987\n4,Green,\n",
        encoding="utf-8",
    )
    (tmp_path / "rules" / "sources" / "people.yaml").write_text(
        "system: people\nobject: customer\nfile: people.csv\nid: ID\n"
        "fields: {last_name: Last, birth_date: DOB}\n"
        'parse: {date_format: "%d/%m/%Y"}\nmin_rows_ratio: 0\n',
        encoding="utf-8",
    )
    db = tmp_path / "store.duckdb"
    data = str(tmp_path)
    assert (
        main(["ingest", "--rules", str(tmp_path / "rules"), "--data", data, "--db", str(db)]) == 0
    )
    con = duckdb.connect(str(db), read_only=True)
    try:
        found = {c["title"]: c for c in completeness(con, "")}
    finally:
        con.close()
    assert found["birth_date missing"]["count"] == 1  # row 4 only
    unusable = found["birth_date present but unusable (not complete)"]
    assert (unusable["count"], unusable["kinds"]) == (2, {"partial": 2})


def test_an_orphan_rate_is_of_the_records_the_expectation_covers(report, store: Path) -> None:
    """452 open orphans of 18,000 billing invoices is not a rate of 100%: the `of` column
    counts the expectation's systems' records, not the orphans listed."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        for c in (c for c in report["findings"] if c["category"] == "orphans"):
            systems = c["system"].split("~")
            table = "invoices" if c["object"] == "invoice" else "customers"
            marks = ", ".join("?" for _ in systems)
            (n,) = con.execute(
                f"SELECT count(*) FROM {table} WHERE system IN ({marks})", systems
            ).fetchone()
            assert c["total"] == n, c["id"]
            assert c["rate"] < 0.5, c["id"]
    finally:
        con.close()
