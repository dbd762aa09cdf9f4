"""Which fixes were handed to which system, and whether a later run still finds them.

Every export logs its rows' fix ids, with the run they came from, in the store's
journal (the SQLite file beside it, the system of record for what people and jobs
did). A fix exported from run N and still proposed by a run after N was not applied
by its system: (:mod:`resolver.exports.replay`) lists them, and turns
them into the report's update-handling check "fix not applied".
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from resolver.store.decisions import store_path
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


def store_file(con: duckdb.DuckDBPyConnection) -> Path:

    return store_path(con)
