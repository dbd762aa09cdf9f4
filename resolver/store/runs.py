"""Runs, entity numbering and the tables a batch run publishes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from resolver.clock import utc_now
from resolver.store import run_lock
from resolver.store.connection import meta_value, table_exists
from resolver.store.decisions import journal_of, store_path
from resolver.store.journal import INTERRUPTED
from resolver.store.schema import create_table_sql

RUNS_DDL = """
CREATE TABLE IF NOT EXISTS runs (
  run_id BIGINT PRIMARY KEY,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  status VARCHAR NOT NULL,          -- running | complete | failed
  summary VARCHAR                   -- JSON: counts, priors, model versions, timings
)"""

EVENTS_COLUMNS = {
    "run_id": "BIGINT NOT NULL",
    "object": "VARCHAR NOT NULL",
    "entity_id": "VARCHAR NOT NULL",
    "event": "VARCHAR NOT NULL",  # created | merged_from | merged_into | split_from | split_into | retired
    "related": "VARCHAR",  # comma-separated entity ids
    "members": "BIGINT",
}

# tables one batch run publishes together, per object
RUN_TABLES = ("{o}_pairs", "{o}_members", "{o}_golden", "{o}_proposals")


def complete_run_sql(
    run_id: int,
    started_at: str,
    summary: dict[str, Any],
    *,
    finished_at: datetime | None = None,
) -> tuple[str, list]:
    """The statement that records a complete run in the store (inside the publish)."""
    return (
        "INSERT INTO runs VALUES (?, ?, ?, 'complete', ?)",
        [
            run_id,
            started_at,
            finished_at or utc_now(),
            json.dumps(summary, default=str, sort_keys=True),
        ],
    )


def ensure_runs(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(RUNS_DDL)


def _complete_runs(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> list[dict]:
    """The ``runs`` rows of the complete runs this store holds, newest first."""
    if not table_exists(con, "runs"):
        return []
    rows = con.execute(
        "SELECT run_id, started_at, finished_at, status, summary FROM runs "
        "WHERE status = 'complete' ORDER BY run_id DESC"
        + ("" if limit is None else f" LIMIT {int(limit)}")
    ).fetchall()
    return [
        {
            "run_id": run_id,
            "started_at": started,
            "finished_at": finished,
            "status": status,
            "summary": json.loads(summary or "{}"),
        }
        for run_id, started, finished, status, summary in rows
    ]


def latest_run(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The last complete run, or None."""
    rows = _complete_runs(con, limit=1)
    return rows[0] if rows else None


def published_runs(con: duckdb.DuckDBPyConnection) -> dict[int, dict[str, Any]]:
    """run id -> the ``runs`` row of every complete run this store holds (times as text,
    as the journal's run log keeps them)."""
    return {
        int(r["run_id"]): r
        | {
            "run_id": int(r["run_id"]),
            "started_at": str(r["started_at"]),
            "finished_at": str(r["finished_at"]),
        }
        for r in _complete_runs(con)
    }


def list_runs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every run, newest first, failed and interrupted ones included: the journal's run
    log, reconciled with the store's own ``runs`` table — a run the store holds as
    complete is complete, whatever a log line lost to a kill says."""

    logged = {r["run_id"]: r for r in journal_of(con).runs()}
    for run_id, run in published_runs(con).items():
        if logged.get(run_id, {}).get("status") != "complete":
            logged[run_id] = run
    running = [r for r in logged.values() if r["status"] == "running"]
    if running and _no_run_alive(con):  # killed: the next run will log it failed
        for r in running:
            logged[r["run_id"]] = r | {"status": "failed", "summary": {"error": INTERRUPTED}}
    return [logged[k] for k in sorted(logged, reverse=True)]


def _no_run_alive(con: duckdb.DuckDBPyConnection) -> bool:

    try:
        return run_lock.holder_is_gone(store_path(con))
    except ValueError:  # not a store file
        return False


def next_entity_number(con: duckdb.DuckDBPyConnection, obj: str) -> int:
    value = meta_value(con, f"next_{obj}_number")
    return int(value) if value is not None else 1


def next_number_sql(obj: str, number: int) -> tuple[str, list]:
    return (
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        [f"next_{obj}_number", str(number)],
    )


def last_run_id(con: duckdb.DuckDBPyConnection) -> int:
    """The highest run id the store's ``runs`` table holds (0: none)."""
    return int(con.execute("SELECT coalesce(max(run_id), 0) FROM runs").fetchall()[0][0])


def members(con: duckdb.DuckDBPyConnection, obj: str, *, table: str = "") -> pd.DataFrame:
    """record_key, entity_id of every record of ``obj`` in the published run (or in
    ``table``, a members table of that layout)."""
    return con.execute(f"SELECT record_key, entity_id FROM {table or obj + '_members'}").df()


def previous_members(con: duckdb.DuckDBPyConnection, obj: str) -> pd.DataFrame | None:
    """record_key -> entity_id of the last published run (None on a new store)."""
    for name in (f"previous_{obj}_members", f"{obj}_members"):
        if table_exists(con, name):
            return members(con, obj, table=name)
    return None


def marker(con: duckdb.DuckDBPyConnection) -> tuple:
    """What tells one store file from the next: its runs and its meta values."""
    runs = (
        con.execute("SELECT max(run_id), count(*) FROM runs").fetchone()
        if table_exists(con, "runs")
        else None
    )
    meta = tuple(con.execute("SELECT key, value FROM meta ORDER BY key").fetchall())
    return (runs, meta)


def stage_events(con: duckdb.DuckDBPyConnection, frames: list[pd.DataFrame]) -> None:
    """stage_entity_events = this run's events (``append_events_sql`` adds them to the
    history when the run is published: the table is append-only)."""

    con.execute("DROP TABLE IF EXISTS stage_entity_events")
    con.execute(create_table_sql("stage_entity_events", EVENTS_COLUMNS))
    for frame in frames:
        if len(frame):
            con.register("_events", frame[list(EVENTS_COLUMNS)])
            con.execute("INSERT INTO stage_entity_events SELECT * FROM _events")
            con.unregister("_events")


def append_events_sql() -> list[tuple[str, list]]:
    """Statements (for ``publish``'s transaction) appending the staged events to the
    history the building file carried over, rather than copying all of it again."""

    return [
        (create_table_sql("entity_events", EVENTS_COLUMNS), []),
        ("INSERT INTO entity_events SELECT * FROM stage_entity_events", []),
        ("DROP TABLE stage_entity_events", []),
    ]


def write_stage(con: duckdb.DuckDBPyConnection, name: str, data: Any) -> None:
    """(Re)create stage_<name> from a DataFrame or Arrow table."""
    con.execute(f"DROP TABLE IF EXISTS stage_{name}")
    con.register("_stage_data", data)
    try:
        con.execute(f"CREATE TABLE stage_{name} AS SELECT * FROM _stage_data")
    finally:
        con.unregister("_stage_data")
