"""Build the integration health report of a run and keep a snapshot per run."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

import duckdb

from resolver.clock import utc_now
from resolver.exports.replay import fix_checks
from resolver.report import checks as C
from resolver.report import timing as T
from resolver.report import verdicts as V
from resolver.report.health_rules import CHECKS, HealthRules
from resolver.report.wording import next_step
from resolver.store import reports as store_reports
from resolver.store.source_loads import load_totals

REPORT_VERSION = 2


def build_report(
    con: duckdb.DuckDBPyConnection,
    *,
    prefix: str = "",
    run_id: int | None = None,
    rules: HealthRules | None = None,
    runs: list[dict[str, Any]] | None = None,
    orphans_state: dict[str, Any] | None = None,
    run_time: datetime | None = None,
) -> dict[str, Any]:
    """Every check over the ``{prefix}`` tables, graded into verdicts, with trends
    against the earlier snapshots.

    ``prefix=""`` reads the last published run, ``"stage_"`` the run being computed.
    ``run_id`` defaults to the last complete run. ``runs`` is the run log (newest
    first, as ``store.runs.list_runs`` gives it); ``orphans_state`` says whether the
    orphan expectations were checked and why not.
    """
    rules = rules or HealthRules()
    run_time = run_time or utc_now()
    if run_id is None:
        run_id = store_reports.latest_complete_run_id(con)
    findings = [
        *C.completeness(con, prefix),
        *C.agreement(con, prefix),
        *C.rejects(con, prefix),
        *C.duplicates(con, prefix),
        *C.orphans(con, prefix),
        *fix_checks(con, prefix, run_id),  # exported fixes a later run still finds
    ]
    previous = previous_snapshot(con, run_id=run_id)
    if previous.get("report_version", 1) < 2:
        previous = {k: v for k, v in previous.items() if k not in ("checks", "schemas")}
    _add_trends(findings, previous)
    sources = load_totals(con, prefix=prefix)  # read once: the systems and timing use it
    systems = _systems(sources)
    fresh, age = T.freshness(con, prefix, sources, run_time=run_time)
    schemas = T.schemas(con, sources)
    timing = {
        "freshness": fresh,
        "age": age,
        "volumes": T.volumes(sources, previous),
        "schema_drift": T.schema_drift(schemas, previous),
        "new_enum_values": T.new_enum_values(con, prefix),
        "sync_lag": T.sync_lag(con, prefix),
        "run_log": T.run_log(runs or [], run_id=run_id, run_time=run_time),
    }
    names = sorted({s["system"] for s in systems})
    scopes = [*names, *(f"{a}~{b}" for i, a in enumerate(names) for b in names[i + 1 :])]
    checks = V.verdict_checks(
        findings, timing, rules, scopes=[*scopes, "all systems"], orphans_state=orphans_state
    )
    for c in checks:
        if c["verdict"] != "pass":
            c["next_step"] = next_step(c, rules.rules_dir)
    report = {
        "report_version": REPORT_VERSION,
        "run_id": run_id,
        "created_at": run_time.isoformat(timespec="seconds"),
        "run_time": run_time.isoformat(timespec="seconds"),
        "previous_run_id": previous.get("run_id") if previous else None,
        "health_rules": rules.path or "defaults",
        "rules_dir": rules.rules_dir,
        "systems": systems,
        "schemas": schemas,
        "timing": timing,
        "orphans_state": orphans_state or {"checked": True},
        "checks": checks,
        "changes": (
            V.changes(previous["checks"], checks) | {"since_run": previous.get("run_id")}
            if previous.get("checks")
            else None
        ),
        "totals": _totals(findings),
        "findings": findings,
    }
    report["history"] = [*_history(con, before=run_id), history_point(report)]
    return report


def history_point(report: dict[str, Any]) -> dict[str, Any]:
    """One run's figures for the trend chart: per check, the records, pairs or rows
    its non-passing measures count, and its integrations at warn and at fail."""
    per: dict[str, dict[str, int]] = {c: {"count": 0, "warn": 0, "fail": 0} for c in CHECKS}
    for c in report.get("checks", []):
        per[c["check"]]["count"] += int(c.get("count") or 0)
        if c["verdict"] in ("warn", "fail"):
            per[c["check"]][c["verdict"]] += 1
    return {"run_id": report.get("run_id"), "created_at": report.get("created_at"), "checks": per}


def _history(con: duckdb.DuckDBPyConnection, *, before: int | None) -> list[dict[str, Any]]:
    """The trend points of every kept snapshot before run ``before`` (graded ones only)."""
    out = []
    for doc in store_reports.report_docs(con, before=before):
        r = json.loads(doc)
        if r.get("report_version", 1) >= 2:
            out.append(history_point(r))
    return out


def stage_report(
    con: duckdb.DuckDBPyConnection, *, run_id: int, prefix: str = "stage_", **context: Any
) -> dict[str, Any]:
    """Build the report of run ``run_id`` and write ``{prefix}reports``: every earlier
    snapshot + this run's (so the table is append-only across runs). Returns the report.
    ``context`` goes to ``build_report`` (rules, runs, orphans_state, run_time)."""
    report = build_report(con, prefix=prefix, run_id=run_id, **context)
    store_reports.stage_reports(
        con,
        run_id=run_id,
        created_at=report["created_at"],
        doc=json.dumps(report, sort_keys=True, default=str),
        prefix=prefix,
    )
    return report


def load_report(con: duckdb.DuckDBPyConnection, run_id: int | None = None) -> dict[str, Any]:
    """The stored snapshot of a run (default: the latest); {} if none is stored."""
    doc = store_reports.report_doc(con, run_id=run_id)
    return json.loads(doc) if doc else {}


def previous_snapshot(con: duckdb.DuckDBPyConnection, *, run_id: int | None) -> dict[str, Any]:
    """The latest stored report of a run before ``run_id`` ({} if none)."""
    doc = store_reports.report_doc(con, before=run_id)
    return json.loads(doc) if doc else {}


def _add_trends(checks: list[dict[str, Any]], previous: dict[str, Any]) -> None:
    before = {c["id"]: c["count"] for c in previous.get("findings", [])}
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


def _systems(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = ("system", "object", "rows_read", "rows_loaded", "rows_rejected")
    return [{k: src[k] for k in keep} for src in sources]
