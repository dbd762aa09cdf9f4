"""Which fixes were handed to which system, and whether a later run still finds them.

Every export logs its rows' fix ids, with the run they came from, in the store's
journal (the SQLite file beside it, the system of record for what people and jobs
did). A fix exported from run N and still proposed by a run after N was not applied
by its system: :func:`fixes_not_applied` lists them, and :func:`fix_checks` turns
them into the report's update-handling check "fix not applied".
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from resolver.errors import Problem
from resolver.store.journal import journal_path

_SCHEMA = """CREATE TABLE IF NOT EXISTS fix_exports (
  fix_id TEXT NOT NULL, kind TEXT NOT NULL, system TEXT NOT NULL, run_id INTEGER NOT NULL,
  exported_at TEXT NOT NULL, PRIMARY KEY (fix_id, run_id))"""


@contextlib.contextmanager
def _db(db_path: Path | str) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(journal_path(db_path), timeout=30)
    try:
        con.execute(_SCHEMA)
        yield con
        con.commit()
    finally:
        con.close()


def log_export(
    db_path: Path | str, *, kind: str, system: str, run_id: int, fix_ids: list[str]
) -> None:
    """Record that these fixes of run ``run_id`` were handed to ``system``."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    with _db(db_path) as con:
        con.executemany(
            "INSERT OR IGNORE INTO fix_exports VALUES (?, ?, ?, ?, ?)",
            [(f, kind, system, run_id, now) for f in fix_ids],
        )


def exported(db_path: Path | str, *, before_run: int) -> pd.DataFrame:
    """Fixes exported from runs before ``before_run``: fix_id, kind, system, run_id."""
    if not journal_path(db_path).is_file():
        return pd.DataFrame(columns=["fix_id", "kind", "system", "run_id"])
    with _db(db_path) as con:
        return pd.read_sql_query(
            "SELECT fix_id, kind, system, min(run_id) AS run_id FROM fix_exports "
            "WHERE run_id < ? GROUP BY fix_id, kind, system ORDER BY kind, system, fix_id",
            con,
            params=[before_run],
        )


def fixes_not_applied(
    con: duckdb.DuckDBPyConnection, *, run_id: int, prefix: str = ""
) -> pd.DataFrame:
    """Fixes exported from an earlier run that run ``run_id`` (its tables: ``prefix``)
    still proposes: fix_id, kind, system, object, run_id (the run it was exported from)."""
    from resolver.exports.lists import fix_list
    from resolver.store.decisions import store_path

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
    from resolver.contracts import parse_contract
    from resolver.store.connection import table_exists

    if not table_exists(con, f"{prefix}source_loads"):
        return {}
    paths = con.execute(
        f"SELECT DISTINCT contract FROM {prefix}source_loads WHERE system = ? ORDER BY 1",
        [system],
    ).fetchall()
    problems: list[Problem] = []
    out = {}
    for (path,) in paths:
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
    from resolver.report.checks import check

    if run_id is None:
        return []
    pending = fixes_not_applied(con, run_id=run_id, prefix=prefix)
    sent = exported(_store_file(con), before_run=run_id) if len(pending) else None
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
                examples=[
                    {"fix_id": r.fix_id, "exported_from_run": int(r.run_id)}
                    for r in group.itertuples()
                ],
            )
        )
    return out


def _store_file(con: duckdb.DuckDBPyConnection) -> Path:
    from resolver.store.decisions import store_path

    return store_path(con)
