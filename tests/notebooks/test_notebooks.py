"""Every notebook runs top to bottom on the small demo world, on the .venv's Python,
and never writes to the repository's rules."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from notebook_helpers import NOTEBOOKS, digest, store_env

from resolver.demo.fixtures import RULES, DemoStore

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

BUDGET_SECONDS = 60


def _execute(path: Path, env: dict[str, str], cwd: Path) -> tuple[object, float]:
    nb = jupytext.read(path)
    # first cell: pin the environment and report the interpreter
    setup = f"import os, sys\nos.environ.update({env!r})\nprint(sys.executable)"
    nb.cells.insert(0, nbformat.v4.new_code_cell(setup))
    client = nbclient.NotebookClient(
        nb,
        timeout=BUDGET_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    started = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - started


def test_there_are_notebooks_and_they_are_output_free() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04"]
    for p in NOTEBOOKS:
        nb = jupytext.read(p)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path, demo_store: DemoStore, tmp_path: Path) -> None:
    rules_before = digest(RULES)
    out = tmp_path / "rules-out"
    env = store_env(demo_store, tmp_path) | {"RESOLVER_RULES_OUT": str(out)}
    nb, seconds = _execute(path, env, tmp_path)
    first = nb.cells[0]["outputs"][0]["text"].strip()
    assert os.path.realpath(first) == os.path.realpath(sys.executable)
    assert seconds < BUDGET_SECONDS, f"{path.name} took {seconds:.0f}s"
    assert digest(RULES) == rules_before, "a notebook changed the repository's rules"
    if path.stem.startswith(("02", "03")):
        assert digest(out) != rules_before  # thresholds were written to the copy
    # under a kernel, tuning.display is IPython's: rich outputs, no chart files
    kinds = {o["output_type"] for c in nb.cells for o in c.get("outputs", [])}
    assert "display_data" in kinds
    assert not (tmp_path / "work" / "charts").exists()


@pytest.mark.slow
def test_a_notebook_builds_its_own_demo_store(tmp_path: Path) -> None:
    env = {"RESOLVER_WORKDIR": str(tmp_path / "work"), "RESOLVER_DEMO_CUSTOMERS": "150"}
    nb, _ = _execute(NOTEBOOKS[0], env, tmp_path)
    assert (tmp_path / "work" / "resolver.duckdb").is_file()
    assert any(
        "demo world: True" in o.get("text", "") for c in nb.cells for o in c.get("outputs", [])
    )
