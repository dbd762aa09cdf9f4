"""Seeded faults on the demo world: each flips exactly the verdict it should, and clean
re-runs raise no alert. One baseline (the demo store, then a clean re-run), one run per
fault on a copy of it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import health_faults as F
import pytest

from resolver.demo.fixtures import DemoStore
from resolver.report.verdicts import grid
from resolver.store.journal import Journal, journal_path

HEALTH_YAML = """\
timing:
  sync_lag_days: {warn: 3, fail: 7}
completeness_fields:
  by_system:
    billing: {invoice: [amount, invoice_date, customer_ref, invoice_number, due_date]}
"""


def _diff(before: dict, after: dict) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    cells = {(s, c) for g in (before, after) for s in g for c in g[s]}
    return {
        (s, c): (before.get(s, {}).get(c), after.get(s, {}).get(c))
        for s, c in sorted(cells)
        if before.get(s, {}).get(c) != after.get(s, {}).get(c)
    }


@pytest.fixture(scope="module")
def baseline(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The demo store re-run twice on its world (with one unmapped column added and a
    health.yaml that tightens the sync-lag limit): the grids of both re-runs."""
    base = tmp_path_factory.mktemp("health")
    db, world = demo_store.copy_to(base)
    rules = base / "rules"
    shutil.copytree(demo_store.rules_dir, rules)
    (rules / "health.yaml").write_text(HEALTH_YAML, encoding="utf-8")
    F.add_unmapped_column(world)
    added = demo_store.run(db, world, rules_dir=rules)
    clean = demo_store.run(db, world, rules_dir=rules)
    yield {
        "dir": base,
        "db": db,
        "world": world,
        "rules": rules,
        "added": grid(added.checks),
        "clean": grid(clean.checks),
        "added_checks": added.checks,
        "clean_checks": clean.checks,
    }


def test_an_added_column_warns_and_a_clean_rerun_raises_no_alert(baseline, demo_store) -> None:
    first = {c["scope"]: c for c in baseline["added_checks"] if c["check"] == "timing"}
    drift = [m for m in first["crm"]["measures"] if "added Notes" in m["what"]]
    assert [m["verdict"] for m in drift] == ["warn"]
    # re-runs of the same world: nothing warns or fails that did not on its first run
    # (which had no earlier run to compare volumes, schemas or the run log with)
    was = grid(demo_store.summary.checks)
    for scope, row in baseline["clean"].items():
        for check, verdict in row.items():
            if verdict != "pass":
                assert was.get(scope, {}).get(check) == verdict, (scope, check, verdict)
    clean_timing = [c for c in baseline["clean_checks"] if c["check"] == "timing"]
    assert not [
        m
        for c in clean_timing
        for m in c["measures"]
        if "schema" in m["what"] and m["verdict"] != "pass"
    ]


def _copy_store(baseline: dict, dest: Path) -> Path:
    for f in baseline["dir"].glob("s.*"):
        if f.is_dir():  # the review view written beside the store
            shutil.copytree(f, dest / f.name)
        else:
            shutil.copy(f, dest / f.name)
    return dest / "s.duckdb"


def test_clean_nights_raise_no_alert_and_a_missed_night_is_said(
    baseline, demo_store, tmp_path
) -> None:
    """The same world re-run night after night (``as_of`` a day apart): every verdict
    stays as it was, each report compares with the night before; then two nights are
    missed, and only the run-log measure of timing says so."""
    db = _copy_store(baseline, tmp_path)
    started = Journal(journal_path(db)).runs()[0]["started_at"]
    night = datetime.fromisoformat(started) + timedelta(days=1)
    previous = None
    for _ in range(3):
        summary = demo_store.run(db, baseline["world"], rules_dir=baseline["rules"], as_of=night)
        assert _diff(baseline["clean"], grid(summary.checks)) == {}, night
        report = summary.report
        assert report["run_time"].startswith(night.date().isoformat())
        if previous is not None:
            assert report["previous_run_id"] == previous
            assert report["timing"]["run_log"]["hours_since_last_complete"] == 24.0
            assert {v["change"] for v in report["timing"]["volumes"]} == {0.0}
        previous = summary.run_id
        night += timedelta(days=1)
    assert [h["run_id"] for h in report["history"]][-3:] == [previous - 2, previous - 1, previous]
    late = demo_store.run(
        db, baseline["world"], rules_dir=baseline["rules"], as_of=night + timedelta(days=2)
    )
    assert _diff(baseline["clean"], grid(late.checks)) == {
        ("all systems", "timing"): ("pass", "fail")
    }
    gap = late.report["timing"]["run_log"]
    assert gap["hours_since_last_complete"] == 72.0 and gap["last_complete_run"] == previous


@pytest.mark.parametrize("fault", list(F.FAULTS))
def test_a_seeded_fault_flips_exactly_its_verdict(baseline, demo_store, fault, tmp_path) -> None:
    apply, cells = F.FAULTS[fault]
    world = tmp_path / "world"
    shutil.copytree(baseline["world"], world)
    db = _copy_store(baseline, tmp_path)
    apply(world)
    summary = demo_store.run(db, world, rules_dir=baseline["rules"])
    changed = _diff(baseline["clean"], grid(summary.checks))
    want = {(s, c): (baseline["clean"].get(s, {}).get(c), v) for (s, c), v in cells.items()}
    assert changed == want, fault


def test_a_wrong_date_format_fails_error_handling_and_the_job(
    demo_store: DemoStore, tmp_path: Path
) -> None:
    """A first run (nothing to shrink against) on billing invoices dated DD/MM/YYYY: the
    error-handling verdict fails and `resolver run` exits non-zero, by default."""
    world = tmp_path / "world"
    shutil.copytree(demo_store.data_dir, world)
    F.wrong_date_format(world)
    db = tmp_path / "fresh.duckdb"
    cmd = demo_store.run_command(db)
    cmd[cmd.index("--data") + 1] = str(world)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 3, done.stderr[-2000:]
    assert "billing error_handling fail" in done.stderr
    before = grid(demo_store.summary.checks)
    assert before["billing"]["error_handling"] == "pass"


def test_resolver_run_as_of_sets_the_runs_clock(
    demo_store: DemoStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`resolver run --as-of` is the time the run log, the report and the orphans read
    (years after the store's last run: the job exits 3, its schedule missed); a time it
    cannot read is a usage error saying what to write."""
    from resolver.cli import main
    from resolver.report import load_report
    from resolver.store import connect

    db, _ = demo_store.copy_to(tmp_path)
    cmd = demo_store.run_command(db, "--as-of", "2031-05-04T02:00:00+02:00")[3:]
    assert main(cmd) == 3
    assert "all systems timing fail" in capsys.readouterr().err
    started = Journal(journal_path(db)).runs()[0]["started_at"]
    assert started.startswith("2031-05-04 00:00:")
    con = connect(db, read_only=True)
    try:
        report = load_report(con)
        ages = con.execute("SELECT min(age_days) FROM orphans").fetchall()[0][0]
    finally:
        con.close()
    assert report["run_time"].startswith("2031-05-04T00:00:")
    assert report["changes"] is not None and report["changes"]["since_run"] == 1
    assert ages > 365 * 5  # the demo's invoices are dated up to 2025-01-31
    with pytest.raises(SystemExit):
        main(demo_store.run_command(db, "--as-of", "yesterday")[3:])
    assert "write 2025-02-01 or 2025-02-01T02:00" in capsys.readouterr().err
