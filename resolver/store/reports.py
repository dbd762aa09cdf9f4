"""The ``reports`` table: one health-report snapshot (JSON) per run, append-only
across runs (each run's building file carries the earlier ones over)."""

from __future__ import annotations

import duckdb

from resolver.store.connection import table_exists
from resolver.store.schema import REPORTS_COLUMNS, create_table_sql


def stage_reports(
    con: duckdb.DuckDBPyConnection, *, run_id: int, created_at: str, doc: str, prefix: str
) -> None:
    """``{prefix}reports`` = every snapshot of another run + this run's ``doc``."""
    name = f"{prefix}reports"
    if prefix:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    con.execute(create_table_sql(name, REPORTS_COLUMNS))
    if prefix and table_exists(con, "reports"):
        con.execute(f"INSERT INTO {name} SELECT * FROM reports WHERE run_id <> ?", [run_id])
    con.execute(f"DELETE FROM {name} WHERE run_id = ?", [run_id])
    con.execute(f"INSERT INTO {name} VALUES (?, ?, ?)", [run_id, created_at, doc])


def report_docs(con: duckdb.DuckDBPyConnection, *, before: int | None = None) -> list[str]:
    """The stored snapshots (JSON), oldest first; only those of runs before ``before``."""
    if not table_exists(con, "reports"):
        return []
    sql, params = "SELECT json FROM reports", []
    if before is not None:
        sql += " WHERE run_id < ?"
        params.append(before)
    return [doc for (doc,) in con.execute(sql + " ORDER BY run_id", params).fetchall()]


def report_doc(
    con: duckdb.DuckDBPyConnection, *, run_id: int | None = None, before: int | None = None
) -> str | None:
    """The latest stored snapshot (JSON) — of run ``run_id``, or of a run before
    ``before`` — or None."""
    if not table_exists(con, "reports"):
        return None
    sql, params = "SELECT json FROM reports WHERE true", []
    if run_id is not None:
        sql += " AND run_id = ?"
        params.append(run_id)
    if before is not None:
        sql += " AND run_id < ?"
        params.append(before)
    rows = con.execute(sql + " ORDER BY run_id DESC LIMIT 1", params).fetchall()
    return rows[0][0] if rows else None


def report_run_ids(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The runs a snapshot is stored for, in order."""
    if not table_exists(con, "reports"):
        return []
    return [int(r[0]) for r in con.execute("SELECT run_id FROM reports ORDER BY run_id").fetchall()]


def latest_complete_run_id(con: duckdb.DuckDBPyConnection) -> int | None:
    """The highest run id recorded complete in ``runs`` (None: none)."""
    if not table_exists(con, "runs"):
        return None
    rows = con.execute("SELECT max(run_id) FROM runs WHERE status = 'complete'").fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else None
