"""`make test` runs the suite on two processes: a test file on one of them (its module
fixtures built once) and every Spark test on the same one (one JVM)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from suite_groups import run_group

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]


def test_spark_tests_share_one_group_and_other_files_one_each() -> None:
    spark = {run_group(f"tests/spark/{f}::t") for f in ("test_parity.py", "test_normalize.py")}
    assert spark == {"spark"}
    assert run_group("tests/test_clock.py::test_a[x::y]") == "tests/test_clock.py"
    assert run_group("tests/api/test_auth.py::test_b") != run_group("tests/api/test_match.py::t")


def test_a_files_tests_run_on_one_worker() -> None:
    """Two files of several tests each on two processes: each file's tests all ran on one
    worker (pytest-xdist's own grouping spread them over both under pytest 9)."""
    files = ["tests/test_clock.py", "tests/test_errors.py"]
    proc = subprocess.run(
        [*PYTEST, "-n", "2", "--dist", "loadgroup", "-v", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    workers: dict[str, set[str]] = {}
    for worker, nodeid in re.findall(r"^\[(gw\d+)\] \[[ \d]+%\] PASSED (\S+)", proc.stdout, re.M):
        workers.setdefault(nodeid.split("::", 1)[0], set()).add(worker)
    assert sorted(workers) == files, proc.stdout[-3000:]
    assert all(len(w) == 1 for w in workers.values()), workers
