"""Runs, entity numbering and the tables a batch run publishes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from resolver.store.connection import table_exists

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


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start_run(con: duckdb.DuckDBPyConnection) -> int:
    """Record a new run as running; runs a killed job left 'running' become 'failed'."""
    con.execute(RUNS_DDL)
    con.execute(
        "UPDATE runs SET status = 'failed', summary = coalesce(summary, '{\"error\": "
        "\"interrupted\"}') WHERE status = 'running'"
    )
    run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchall()[0][0]
    con.execute("INSERT INTO runs VALUES (?, ?, NULL, 'running', NULL)", [run_id, _now()])
    return int(run_id)


def complete_run_sql(run_id: int, summary: dict[str, Any]) -> tuple[str, list]:
    return (
        "UPDATE runs SET status = 'complete', finished_at = ?, summary = ? WHERE run_id = ?",
        [_now(), json.dumps(summary, default=str, sort_keys=True), run_id],
    )


def fail_run(con: duckdb.DuckDBPyConnection, run_id: int, error: str) -> None:
    con.execute(
        "UPDATE runs SET status = 'failed', finished_at = ?, summary = ? WHERE run_id = ?",
        [_now(), json.dumps({"error": error}), run_id],
    )


def latest_run(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The last complete run, or None."""
    if not table_exists(con, "runs"):
        return None
    rows = con.execute(
        "SELECT run_id, started_at, finished_at, status, summary FROM runs "
        "WHERE status = 'complete' ORDER BY run_id DESC LIMIT 1"
    ).fetchall()
    if not rows:
        return None
    run_id, started, finished, status, summary = rows[0]
    return {
        "run_id": run_id,
        "started_at": started,
        "finished_at": finished,
        "status": status,
        "summary": json.loads(summary or "{}"),
    }


def list_runs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    if not table_exists(con, "runs"):
        return []
    cur = con.execute(
        "SELECT run_id, started_at, finished_at, status, summary FROM runs ORDER BY run_id DESC"
    )
    return [
        {
            "run_id": r[0],
            "started_at": r[1],
            "finished_at": r[2],
            "status": r[3],
            "summary": json.loads(r[4] or "{}"),
        }
        for r in cur.fetchall()
    ]


def next_entity_number(con: duckdb.DuckDBPyConnection, obj: str) -> int:
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [f"next_{obj}_number"]).fetchall()
    return int(rows[0][0]) if rows else 1


def next_number_sql(obj: str, number: int) -> tuple[str, list]:
    return (
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        [f"next_{obj}_number", str(number)],
    )


def previous_members(con: duckdb.DuckDBPyConnection, obj: str) -> pd.DataFrame | None:
    """record_key -> entity_id of the last published run (None on a new store)."""
    if not table_exists(con, f"{obj}_members"):
        return None
    return con.execute(f"SELECT record_key, entity_id FROM {obj}_members").df()


def stage_events(con: duckdb.DuckDBPyConnection, frames: list[pd.DataFrame]) -> None:
    """stage_entity_events = every earlier event + this run's (the table is append-only)."""
    from resolver.store.schema import create_table_sql

    con.execute("DROP TABLE IF EXISTS stage_entity_events")
    con.execute(create_table_sql("stage_entity_events", EVENTS_COLUMNS))
    if table_exists(con, "entity_events"):
        con.execute("INSERT INTO stage_entity_events SELECT * FROM entity_events")
    for frame in frames:
        if len(frame):
            con.register("_events", frame[list(EVENTS_COLUMNS)])
            con.execute("INSERT INTO stage_entity_events SELECT * FROM _events")
            con.unregister("_events")


def write_stage(con: duckdb.DuckDBPyConnection, name: str, data: Any) -> None:
    """(Re)create stage_<name> from a DataFrame or Arrow table."""
    con.execute(f"DROP TABLE IF EXISTS stage_{name}")
    con.register("_stage_data", data)
    try:
        con.execute(f"CREATE TABLE stage_{name} AS SELECT * FROM _stage_data")
    finally:
        con.unregister("_stage_data")
