"""Every notebook also runs as a plain script (``python notebooks/NN_name.py``, no
IPython): tables are printed, charts saved as HTML, and the rules come from
``RESOLVER_RULES`` through ``resolver.tuning.load_rules``."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from notebook_helpers import NOTEBOOKS, digest, store_env

from resolver.demo.fixtures import REPO, RULES, DemoStore

pytest.importorskip("altair")  # the notebooks draw charts

BUDGET_SECONDS = 120


def _run(path: Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("RESOLVER_")}
    full["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [full.get("PYTHONPATH")])])
    full.update(env)
    return subprocess.run(
        [sys.executable, str(path)],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=BUDGET_SECONDS,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_as_a_plain_script(path: Path, demo_store: DemoStore, tmp_path: Path) -> None:
    rules_before = digest(RULES)
    out = tmp_path / "rules-out"
    env = store_env(demo_store, tmp_path) | {"RESOLVER_RULES_OUT": str(out)}
    done = _run(path, env, tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    # charts were saved where the workspace says, and their paths printed
    charts = sorted((tmp_path / "work" / "charts").glob(f"{path.stem}-*.html"))
    assert charts, done.stdout[-2000:]
    assert all(c.stat().st_size > 1000 for c in charts)
    assert done.stdout.count("chart saved to ") == len(charts)
    assert digest(RULES) == rules_before, "a notebook changed the repository's rules"
    if path.stem.startswith(("02", "03")):
        assert "review (chosen)" in done.stdout  # the bands table was printed
        assert digest(out) != rules_before  # thresholds were written to the copy


def _own_rules(tmp_path: Path) -> Path:
    """A user's rules folder: the repository's with other thresholds."""
    own = tmp_path / "my rules"
    shutil.copytree(RULES, own)
    path = own / "customers.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^(\s+auto_link:\s*)[0-9.]+", r"\g<1>0.93", text, count=1, flags=re.M)
    text = re.sub(r"^(\s+review:\s*)[0-9.]+", r"\g<1>0.41", text, count=1, flags=re.M)
    path.write_text(text, encoding="utf-8")
    return own


@pytest.mark.slow
def test_a_notebook_reads_and_tunes_the_rules_named_by_resolver_rules(
    demo_store: DemoStore, tmp_path: Path
) -> None:
    own = _own_rules(tmp_path)
    before = digest(own), digest(RULES)
    env = store_env(demo_store, tmp_path) | {"RESOLVER_RULES": str(own)}
    done = _run(REPO / "notebooks" / "02_tune_customer_model.py", env, tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    assert f"rules {own / 'customers.yaml'}" in done.stdout
    assert "Thresholds(auto_link=0.93, review=0.41)" in done.stdout
    # thresholds were written to a scratch copy of *these* rules: the diff starts there
    assert re.search(r"^-\s+auto_link: 0\.93$", done.stdout, flags=re.M)
    # review is kept (context) or replaced (removed), never from the repository's 0.5
    assert re.search(r"^[- ]\s+review: 0\.41$", done.stdout, flags=re.M)
    assert (digest(own), digest(RULES)) == before


def _calls(tree: ast.AST) -> set[str]:
    return {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_get_rules_and_display_from_resolver_tuning(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imports = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    # rules through the one function the tuning package offers, never the files directly
    assert not any(module == "resolver.linkage.rules" for module, _ in imports)
    if path.stem.startswith(("02", "03")):
        assert "tuning.load_rules" in _calls(tree)
    # display is defined by the notebook itself, not left to Jupyter
    if "display" in _calls(tree):
        assert ("resolver.tuning", "display") in imports
