"""The report's next steps name the rules folder the run read, not the repository's
`rules/`: an ops manager with their own folder must find the file to edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from resolver import store
from resolver.pipeline import run_batch
from resolver.report.build import load_report
from resolver.report.gate import webhook_payload
from resolver.report.render import render, summary_lines

ROOT = Path(__file__).resolve().parents[2]


def test_next_steps_name_the_rules_folder_of_the_run(tmp_path: Path) -> None:
    rules = tmp_path / "acme_rules"
    shutil.copytree(ROOT / "benchmarks" / "real" / "fake_1000" / "sources", rules / "sources")
    db = tmp_path / "s.duckdb"
    summary = run_batch(
        rules_dir=rules,
        db_path=db,
        data_dir=ROOT / "tests" / "data" / "real" / "fake_1000",
        models_dir=tmp_path / "models",
        retrain=True,
    )
    con = store.connect(db, read_only=True)
    try:
        stored = load_report(con)
    finally:
        con.close()
    for report in (summary.report, stored):
        steps = [c["next_step"] for c in report["checks"] if c["verdict"] != "pass"]
        texts = {
            "steps": "\n".join(steps),
            "summary": "\n".join(summary_lines(report)),
            "markdown": render(report, "md"),
            "html": render(report, "html"),
            "webhook": "\n".join(webhook_payload(report)["next_steps"]),
        }
        for name, text in texts.items():
            # fake_1000 keeps no email for some people (completeness) and has no orphans.yaml
            assert f"{rules}/health.yaml" in text, (name, text)
            assert f"{rules}/orphans.yaml" in text, (name, text)
            assert " rules/" not in text.replace(str(rules), "RULES"), (name, text)


def test_a_cut_priority_list_says_how_many_more_and_where(demo_store) -> None:
    """The summary shows the ten most severe non-passing checks; when there are more, it
    says how many and where the rest are, instead of ending as if the list were whole."""
    report = demo_store.summary.report
    failing = [c for c in report["checks"] if c["verdict"] != "pass"]
    assert len(failing) > 10  # the demo world has more than a page of findings
    more = f"and {len(failing) - 10} more non-passing check(s)"
    assert more in "\n".join(summary_lines(report))
    assert more in render(report, "md")
    assert more in render(report, "html")


def test_a_failed_run_is_found_where_its_next_step_says(tmp_path: Path) -> None:
    """A first run that failed (too few rows to derive a model), then one that completes:
    the timing check's next step points at the report's timing detail, and that detail
    holds the failed run's error."""
    import pandas as pd
    import pytest

    from resolver.errors import RulesError

    data = tmp_path / "data"
    data.mkdir()
    people = pd.read_csv(ROOT / "tests" / "data" / "real" / "fake_1000" / "fake_1000.csv")
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "benchmarks" / "real" / "fake_1000" / "sources", rules / "sources")
    db, models = tmp_path / "s.duckdb", tmp_path / "models"
    people.head(3).to_csv(data / "fake_1000.csv", index=False)
    with pytest.raises(RulesError):
        run_batch(rules_dir=rules, db_path=db, data_dir=data, models_dir=models, retrain=True)
    people.to_csv(data / "fake_1000.csv", index=False)
    summary = run_batch(rules_dir=rules, db_path=db, data_dir=data, models_dir=models)
    failed = next(
        c for c in summary.report["checks"] if c["check"] == "timing" and c["verdict"] != "pass"
    )
    assert "the timing detail of `resolver report`" in failed["next_step"]
    detail = " ".join(render(summary.report, "md").split("### Timing", 1)[1].split())
    assert "e.g. run 1 started" in detail and "no field can be compared" in detail


def test_a_source_without_dates_says_freshness_is_not_measured(tmp_path: Path) -> None:
    """fake_1000 maps no updated_at: its timing line says freshness is not measured and
    which field would measure it, not "newest customer record None, None days behind"."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "benchmarks" / "real" / "fake_1000" / "sources", rules / "sources")
    summary = run_batch(
        rules_dir=rules,
        db_path=tmp_path / "s.duckdb",
        data_dir=ROOT / "tests" / "data" / "real" / "fake_1000",
        models_dir=tmp_path / "models",
        retrain=True,
    )
    text = render(summary.report, "md")
    assert "None" not in text.split("## Detail", 1)[1].split("### Timing", 1)[1].split("###")[0]
    assert "fake's customer records have no updated_at: freshness not measured" in " ".join(
        text.split()
    )
