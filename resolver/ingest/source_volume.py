"""A vanished source stops the run: nothing is published on a fraction of the data.

An export that arrives header-only (or with every row rejected) would otherwise retire
every entity of its system, and when the file came back its records would get new
entity ids. So a source that loads no rows, or fewer than its contract's
``min_rows_ratio`` (default 0.5) of what it loaded in the last good run, stops the run
before anything is published; the live store stays as that run left it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from resolver.errors import SourceShrank
from resolver.ingest.contracts import Contract
from resolver.ingest.load import SourceLoad


def last_good_loads(run: dict[str, Any] | None) -> dict[tuple[str, str], int]:
    """(system, object) -> rows loaded, from a complete run's summary (None: no run)."""
    if not run:
        return {}
    loads = run.get("summary", {}).get("loads", [])
    return {(x["system"], x["object"]): int(x["rows_loaded"]) for x in loads}


def check_volumes(
    loads: Sequence[SourceLoad],
    contracts: Sequence[Contract],
    last_run: dict[str, Any] | None,
) -> None:
    """Raise SourceShrank naming every source that loaded no rows or far fewer than in
    ``last_run`` (the last complete run, as ``runs.latest_run`` gives it)."""
    ratios = {(c.system, c.object): (c.min_rows_ratio, c.path) for c in contracts}
    before = last_good_loads(last_run)
    run_id = (last_run or {}).get("run_id")
    problems = []
    for load in loads:
        key = (load.system, load.object)
        ratio, contract_path = ratios.get(key, (0.0, None))
        if ratio <= 0:
            continue
        was = before.get(key)
        got = f"loaded {load.rows_loaded:,} of {load.rows_read:,} rows read from {load.file}"
        if load.rows_loaded == 0:
            then = f"; the last good run (run {run_id}) loaded {was:,}" if was else ""
            problems.append(f"{load.system}/{load.object} {got}{then}")
        elif was and load.rows_loaded < ratio * was:
            problems.append(
                f"{load.system}/{load.object} {got}; the last good run (run {run_id}) loaded "
                f"{was:,}: under {ratio:g} of it (min_rows_ratio in {contract_path})"
            )
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise SourceShrank(
            f"{len(problems)} source(s) shrank or vanished; nothing was published, the store "
            f"is as the last good run left it. Fix the export, or lower min_rows_ratio "
            f"in its contract if this is expected:\n{lines}"
        )
