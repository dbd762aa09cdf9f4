"""What `resolver run` prints about orphans names the rules file it actually read."""

from __future__ import annotations

from pathlib import Path

from resolver.demo.fixtures import DemoStore
from resolver.pipeline import RunSummary


def _summary(**kw) -> RunSummary:
    return RunSummary(run_id=1, loads=[], objects={}, timings={}, seconds=1.0, **kw)


def test_a_rules_folder_without_orphans_yaml_says_nothing_was_checked(tmp_path: Path) -> None:
    path = tmp_path / "orphans.yaml"
    line = _summary(orphan_rules=str(path)).format().splitlines()[-1]
    assert line == f"orphans   not checked: no {path}"
    assert "break an expectation" not in line
    path.write_text("expectations: {}\n", encoding="utf-8")
    assert _summary(orphan_rules=str(path)).format().endswith(f"not checked: {path} has none")


def test_the_demo_run_names_its_expectations_and_file(demo_store: DemoStore) -> None:
    line = demo_store.summary.format().splitlines()[-1]
    assert line.startswith("orphans ") and "records break an expectation" in line
    assert line.endswith(f"in {demo_store.rules_dir / 'orphans.yaml'})")


def test_train_names_each_untrained_level_once_with_the_weight_it_got() -> None:
    """Not "Splink would use a default" (it does not: the level gets m = u), and one line
    per level rather than one per missing estimate."""
    from types import SimpleNamespace

    from resolver.cli import _untrained_lines

    level = {"label_for_charts": "initial agrees", "m_probability": 0.2, "u_probability": 0.2}
    model = SimpleNamespace(
        meta={
            "untrained_levels": [
                "first_name/initial agrees: m_probability",
                "first_name/initial agrees: u_probability",
            ]
        },
        splink={
            "comparisons": [{"output_column_name": "first_name", "comparison_levels": [level]}]
        },
    )
    assert _untrained_lines(model) == [
        "  note: level first_name/initial agrees: training did not estimate its m and u; "
        "weight set to +0.0 bits (no evidence either way)"
    ]


def test_a_saved_model_whose_comparisons_see_only_empty_columns_is_named() -> None:
    """A contracts-only rules folder run without --models picks up ./models (the repo's demo
    model): comparisons on columns these sources never fill are a model for other data."""
    from types import SimpleNamespace

    import pyarrow as pa

    from resolver.pipeline import empty_comparisons

    rules = SimpleNamespace(
        comparisons={
            "email": {"kind": "email", "column": "email_norm"},
            "company": {"kind": "company", "column": "company_key"},
            "phone": {"kind": "phone", "column": "phone_digits", "local_column": "phone_local"},
        }
    )
    table = pa.table(
        {
            "email_norm": pa.array([None, None], pa.string()),
            "company_key": ["arnies", "arnies"],
            "phone_digits": pa.array([None, None], pa.string()),
            "phone_local": ["2461501", None],
        }
    )
    assert empty_comparisons(rules, table) == ["email"]


def test_a_report_piped_into_head_ends_quietly(tmp_path: Path) -> None:
    """`resolver report --summary | head -1`: no BrokenPipeError traceback on stderr."""
    import subprocess
    import sys

    db = tmp_path / "none.duckdb"
    code = (
        "import sys; from unittest import mock; import resolver.cli as c\n"
        "def boom(*a, **k): raise BrokenPipeError(32, 'Broken pipe')\n"
        "with mock.patch.object(c, '_report', boom):\n"
        f"    sys.exit(c.main(['report', '--db', {str(db)!r}, '--summary']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
