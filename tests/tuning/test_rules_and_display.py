"""``RESOLVER_RULES`` and ``tuning.load_rules``; ``tuning.display`` outside IPython."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from resolver import tuning
from resolver.demo.fixtures import RULES, DemoStore
from resolver.linkage.rules import write_thresholds
from resolver.tuning import workspace


@pytest.fixture
def own_rules(tmp_path: Path) -> Path:
    own = tmp_path / "own-rules"
    shutil.copytree(RULES, own)
    write_thresholds(own, "customer", auto_link=0.93, review=0.41)
    return own


def test_rules_folder_defaults_to_the_repository_and_follows_the_env(
    own_rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tuning.rules_folder({}) == RULES
    assert tuning.rules_folder({"RESOLVER_RULES": ""}) == RULES
    assert tuning.rules_folder({"RESOLVER_RULES": str(own_rules)}) == own_rules
    monkeypatch.chdir(tmp_path)  # a relative folder is the working directory's
    assert tuning.rules_folder({"RESOLVER_RULES": "own-rules"}) == own_rules.resolve()
    with pytest.raises(FileNotFoundError, match="RESOLVER_RULES=nope is not a folder"):
        tuning.rules_folder({"RESOLVER_RULES": "nope"})


def test_load_rules_reads_every_object_from_the_folder_or_the_env(
    own_rules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tuning.load_rules(own_rules)
    assert set(rules) == {"customer", "invoice"}
    assert rules["customer"].thresholds.auto_link == 0.93
    monkeypatch.delenv("RESOLVER_RULES", raising=False)
    assert Path(tuning.load_rules()["customer"].path) == RULES / "customers.yaml"
    monkeypatch.setenv("RESOLVER_RULES", str(own_rules))
    assert tuning.load_rules()["customer"].thresholds.review == 0.41


def test_the_workspace_uses_resolver_rules(
    demo_store: DemoStore, own_rules: Path, tmp_path: Path
) -> None:
    env = {"RESOLVER_DB": str(demo_store.db), "RESOLVER_RULES": str(own_rules)}
    ws = workspace(tmp_path / "work", env=env)
    assert ws.rules_dir == own_rules
    # thresholds are tuned on a scratch copy of those rules, not of the repository's
    target = ws.rules_for_writing()
    assert tuning.load_rules(target)["customer"].thresholds.auto_link == 0.93


def test_display_prints_tables_and_saves_charts_without_ipython(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    alt = pytest.importorskip("altair")
    assert not tuning.show.under_ipython()
    monkeypatch.setenv("RESOLVER_CHARTS", str(tmp_path / "charts"))
    table = pd.DataFrame({"band": ["auto_link", "review"], "threshold": [0.95, 0.5]})
    chart = alt.Chart(table).mark_bar().encode(x="band:N", y="threshold:Q")
    tuning.display(table, None, "a line")
    tuning.display(chart, name="bands")
    out = capsys.readouterr().out
    assert "auto_link" in out and "0.95" in out and "a line" in out
    saved = list((tmp_path / "charts").glob("bands-*.html"))
    assert len(saved) == 1 and f"chart saved to {saved[0]}" in out
    assert "vega" in saved[0].read_text(encoding="utf-8").lower()


def test_without_env_charts_go_beside_the_workspace(
    demo_store: DemoStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alt = pytest.importorskip("altair")
    monkeypatch.setattr(tuning.show, "_charts_dir", None)  # restored afterwards
    monkeypatch.delenv("RESOLVER_CHARTS", raising=False)
    monkeypatch.delenv("RESOLVER_WORKDIR", raising=False)
    ws = workspace(tmp_path / "work", env={"RESOLVER_DB": str(demo_store.db)})
    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    assert tuning.save_chart(chart, "x").parent == ws.workdir / "charts"


def test_load_rules_of_a_customers_only_folder_has_no_invoice_object(tmp_path: Path) -> None:
    """A deployment with customer contracts alone trains no invoice model: the notebooks'
    rules are the customer's, not a ModelError about invoices.json; a folder with an
    invoice contract but no invoice model still says that model is missing."""
    from resolver.demo.fixtures import MODELS
    from resolver.errors import ModelError

    own, models = tmp_path / "rules", tmp_path / "models"
    (own / "sources").mkdir(parents=True)
    models.mkdir()
    shutil.copy(RULES / "customers.yaml", own)
    shutil.copy(RULES / "sources" / "crm_customers.yaml", own / "sources")
    shutil.copy(MODELS / "customers.json", models)
    rules = tuning.load_rules(own, models)
    assert list(rules) == ["customer"]
    shutil.copy(RULES / "sources" / "billing_invoices.yaml", own / "sources")
    with pytest.raises(ModelError, match=r"invoices\.json"):
        tuning.load_rules(own, models)
