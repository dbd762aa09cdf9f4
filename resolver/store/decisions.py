"""Decisions: append-only, keyed by the records concerned, never by a cluster.

They live in the store's journal (see :mod:`resolver.store.journal`); these
functions find it from a store connection, so callers hold only that connection.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from resolver.store.connection import table_exists
from resolver.store.journal import Journal, journal_path


def store_path(con: duckdb.DuckDBPyConnection) -> Path:
    """The file a store connection has open."""
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    if not rows or not rows[0][0]:
        raise ValueError("this connection is not to a store file")
    return Path(rows[0][0])


@lru_cache(maxsize=32)
def _journal(path: Path) -> Journal:
    return Journal(path)


def journal_of(con: duckdb.DuckDBPyConnection) -> Journal:
    return _journal(journal_path(store_path(con)))


def append(
    con: duckdb.DuckDBPyConnection,
    row: dict[str, Any],
    *,
    expect: tuple[str, int] | None = None,
    expect_last_on: tuple[str, str, int] | None = None,
) -> int:
    """Append one decision; returns its id. Never updates or deletes. ``expect`` and
    ``expect_last_on``: see :meth:`Journal.append_decision` (Conflict when stale)."""
    return journal_of(con).append_decision(row, expect=expect, expect_last_on=expect_last_on)


def last_decision_on(con: duckdb.DuckDBPyConnection, expectation: str, record_key: str) -> int:
    """The newest decision on an orphan (its resolution or an undo of it); 0 with none."""
    return journal_of(con).last_decision_on(expectation, record_key)


def load(con: duckdb.DuckDBPyConnection, obj: str | None = None) -> pd.DataFrame:
    """Decisions (of one object, or all), oldest first."""
    return journal_of(con).decisions(obj)


def record_hashes(con: duckdb.DuckDBPyConnection, obj: str, keys: list[str]) -> dict[str, str]:
    """The current content hash of each record (what a decision is made on, see
    :mod:`resolver.store.content_hash`): the run being built's, else the last
    published run's."""
    return {k: v[0] for k, v in record_fingerprints(con, obj, keys).items()}


def record_fingerprints(
    con: duckdb.DuckDBPyConnection, obj: str, keys: list[str]
) -> dict[str, tuple[str, str]]:
    """record_key -> (content_hash, row_hash) now: the run being built's records (its
    staged table), else the last published run's. A store written before content
    hashes existed answers its row hash for both."""

    table = {"customer": "customers", "invoice": "invoices"}[obj]
    if table_exists(con, f"stage_{table}"):
        table = f"stage_{table}"
    columns = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    content = "content_hash" if "content_hash" in columns else "row_hash"
    rows = con.execute(
        f"SELECT record_key, {content}, row_hash FROM {table} WHERE list_contains(?, record_key)",
        [keys],
    ).fetchall()
    return {k: (c, r) for k, c, r in rows}
