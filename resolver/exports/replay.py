"""Replay safety: which fixes an earlier run exported that the sources have still not
applied, as the update-handling check "fix not applied"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from resolver.errors import Problem
from resolver.exports.lists import fix_list
from resolver.exports.log import exported, store_file
from resolver.ingest.contracts import parse_contract
from resolver.report.checks import check
from resolver.store.decisions import store_path
from resolver.store.source_loads import contract_paths


def fixes_not_applied(
    con: duckdb.DuckDBPyConnection, *, run_id: int, prefix: str = ""
) -> pd.DataFrame:
    """Fixes exported from an earlier run that run ``run_id`` (its tables: ``prefix``)
    still proposes: fix_id, kind, system, object, run_id (the run it was exported from)."""

    columns = ["fix_id", "kind", "system", "object", "run_id"]
    try:
        db = store_path(con)
    except ValueError:
        return pd.DataFrame(columns=columns)
    sent = exported(db, before_run=run_id)
    if sent.empty:
        return pd.DataFrame(columns=columns)
    out = []
    for (kind, system), group in sent.groupby(["kind", "system"], sort=True):
        contracts = _contracts_of(con, system, prefix)
        if not contracts:
            continue
        current = fix_list(con, kind, contracts, include_suggested=True, prefix=prefix)
        still = group.merge(current[["fix_id", "object"]], on="fix_id")
        out.append(still)
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)[columns]


def _contracts_of(con: duckdb.DuckDBPyConnection, system: str, prefix: str) -> dict:
    """The contracts a run loaded ``system`` with (their paths are in source_loads)."""

    paths = contract_paths(con, system, prefix=prefix)
    problems: list[Problem] = []
    out = {}
    for path in paths:
        if Path(path).is_file():
            c = parse_contract(Path(path), data_dir=None, problems=problems)
            if c is not None:
                out[c.object] = c
    return out


def fix_checks(
    con: duckdb.DuckDBPyConnection, prefix: str, run_id: int | None
) -> list[dict[str, Any]]:
    """The update-handling check "fix not applied": per system, fix list and object,
    the exported fixes this run still proposes (none when nothing was exported)."""

    if run_id is None:
        return []
    pending = fixes_not_applied(con, run_id=run_id, prefix=prefix)
    sent = exported(store_file(con), before_run=run_id) if len(pending) else None
    out = []
    for (kind, system, obj), group in pending.groupby(["kind", "system", "object"], sort=True):
        total = int(((sent["kind"] == kind) & (sent["system"] == system)).sum())
        out.append(
            check(
                category="updates",
                key=f"fix_not_applied_{kind}",
                title=f"fix not applied: {kind} exported to {system}",
                obj=obj,
                system=system,
                count=len(group),
                total=total,
                severity="high",
                at_least="warn",  # handed to the system, and still wrong a run later
                examples=[
                    {"fix_id": r.fix_id, "exported_from_run": int(r.run_id)}
                    for r in group.itertuples()
                ],
            )
        )
    return out
