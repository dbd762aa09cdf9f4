"""Build the integration health report of a run and keep a snapshot per run."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import duckdb

from resolver.exports.log import fix_checks
from resolver.report import checks as C
from resolver.store.connection import table_exists
from resolver.store.schema import create_table_sql

REPORT_VERSION = 1
REPORTS_COLUMNS = {"run_id": "BIGINT", "created_at": "TIMESTAMP", "json": "VARCHAR"}


def build_report(
    con: duckdb.DuckDBPyConnection, *, prefix: str = "", run_id: int | None = None
) -> dict[str, Any]:
    """Every check over the ``{prefix}`` tables, with trends against the previous snapshot.

    ``prefix=""`` reads the last published run, ``"stage_"`` the run being computed.
    ``run_id`` defaults to the last complete run.
    """
    if run_id is None:
        run_id = _latest_run_id(con)
    checks = [
        *C.completeness(con, prefix),
        *C.agreement(con, prefix),
        *C.rejects(con, prefix),
        *C.duplicates(con, prefix),
        *C.orphans(con, prefix),
        *fix_checks(con, prefix, run_id),  # exported fixes a later run still finds
    ]
    previous = previous_snapshot(con, run_id=run_id)
    _add_trends(checks, previous)
    return {
        "report_version": REPORT_VERSION,
        "run_id": run_id,
        "created_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "previous_run_id": previous.get("run_id") if previous else None,
        "systems": _systems(con, prefix),
        "totals": _totals(checks),
        "checks": checks,
    }


def stage_report(
    con: duckdb.DuckDBPyConnection, *, run_id: int, prefix: str = "stage_"
) -> dict[str, Any]:
    """Build the report of run ``run_id`` and write ``{prefix}reports``: every earlier
    snapshot + this run's (so the table is append-only across runs). Returns the report."""
    report = build_report(con, prefix=prefix, run_id=run_id)
    name = f"{prefix}reports"
    if prefix:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    con.execute(create_table_sql(name, REPORTS_COLUMNS))
    if prefix and table_exists(con, "reports"):
        con.execute(f"INSERT INTO {name} SELECT * FROM reports WHERE run_id <> ?", [run_id])
    con.execute(f"DELETE FROM {name} WHERE run_id = ?", [run_id])
    con.execute(
        f"INSERT INTO {name} VALUES (?, ?, ?)",
        [run_id, report["created_at"], json.dumps(report, sort_keys=True, default=str)],
    )
    return report


def load_report(con: duckdb.DuckDBPyConnection, run_id: int | None = None) -> dict[str, Any]:
    """The stored snapshot of a run (default: the latest); {} if none is stored."""
    if not table_exists(con, "reports"):
        return {}
    sql = "SELECT json FROM reports"
    params: list[Any] = []
    if run_id is not None:
        sql += " WHERE run_id = ?"
        params.append(run_id)
    rows = con.execute(sql + " ORDER BY run_id DESC LIMIT 1", params).fetchall()
    return json.loads(rows[0][0]) if rows else {}


def previous_snapshot(con: duckdb.DuckDBPyConnection, *, run_id: int | None) -> dict[str, Any]:
    """The latest stored report of a run before ``run_id`` ({} if none)."""
    if not table_exists(con, "reports"):
        return {}
    sql, params = "SELECT json FROM reports", []
    if run_id is not None:
        sql += " WHERE run_id < ?"
        params.append(run_id)
    rows = con.execute(sql + " ORDER BY run_id DESC LIMIT 1", params).fetchall()
    return json.loads(rows[0][0]) if rows else {}


def _latest_run_id(con: duckdb.DuckDBPyConnection) -> int | None:
    if not table_exists(con, "runs"):
        return None
    rows = con.execute("SELECT max(run_id) FROM runs WHERE status = 'complete'").fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def _add_trends(checks: list[dict[str, Any]], previous: dict[str, Any]) -> None:
    before = {c["id"]: c["count"] for c in previous.get("checks", [])}
    for c in checks:
        prev = before.get(c["id"])
        c["previous"] = prev
        c["delta"] = None if prev is None else c["count"] - prev


def _totals(checks: list[dict[str, Any]]) -> dict[str, Any]:
    by_severity: Counter[str] = Counter()
    by_system: dict[str, Counter[str]] = {}
    by_category: Counter[str] = Counter()
    for c in checks:
        if c["severity"] not in C.SEVERITIES or not c["count"]:
            continue
        by_severity[c["severity"]] += c["count"]
        by_category[c["category"]] += c["count"]
        by_system.setdefault(c["system"], Counter())[c["severity"]] += c["count"]
    return {
        "findings": sum(by_severity.values()),
        "by_severity": {s: by_severity.get(s, 0) for s in C.SEVERITIES},
        "by_category": dict(sorted(by_category.items())),
        "by_system": {
            s: {sev: n.get(sev, 0) for sev in C.SEVERITIES} for s, n in sorted(by_system.items())
        },
    }


def _systems(con: duckdb.DuckDBPyConnection, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "system": s,
            "object": o,
            "rows_read": int(r),
            "rows_loaded": int(ld),
            "rows_rejected": int(rj),
        }
        for s, o, r, ld, rj in con.execute(
            f"SELECT system, object, sum(rows_read), sum(rows_loaded), sum(rows_rejected) "
            f"FROM {prefix}source_loads GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    ]
