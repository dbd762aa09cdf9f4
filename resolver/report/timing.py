"""Timing and reliability: freshness, sync lag, volume, schema drift and the run log.

Each function returns plain measures (dicts) the verdicts module grades:
``freshness`` and ``volumes`` per source, ``schemas`` (the columns and value types of
each source file, kept in the report so the next run can compare), ``schema_drift``
against the last run's, ``new_enum_values`` (values the contract's enum map does not
know), ``sync_lag`` between linked records of two systems and ``run_log``.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from resolver.store.records import linked_date_gaps, newest_date
from resolver.store.source_loads import rejects_tagged

MAX_EXAMPLES = 3
# the date each object's records carry that says how fresh an export is
# (the newest of the first column a source fills)
FRESHNESS_COLUMNS = {
    "customer": ("updated_at",),
    "invoice": ("updated_at", "invoice_date"),
}
# the date compared between linked records of two systems: the time one system takes
# to record what the other did (billing invoice date -> ledger posting)
SYNC_LAG_FIELDS = {"invoice": "invoice_date"}
_ENUM_VALUE = re.compile(r"value (.*?) is not in the enum map of (\w+) \[bad_enum\]")


def freshness(
    con: duckdb.DuckDBPyConnection,
    p: str,
    sources: list[dict[str, Any]],
    *,
    run_time: datetime,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per source (``sources``: the run's ``store.source_loads.load_totals``): its newest
    record's date and how many days it is behind the freshest source of the run. Also
    the run-wide figure: the freshest source against the run time."""
    out = []
    for src in sources:
        obj = src["object"]
        newest = newest_date(con, obj, src["system"], FRESHNESS_COLUMNS[obj], prefix=p)
        out.append({"system": src["system"], "object": obj, "newest": newest})
    dated = [x["newest"] for x in out if x["newest"] is not None]
    freshest = max(dated) if dated else None
    for x in out:
        x["behind_days"] = (freshest - x["newest"]).days if x["newest"] and freshest else None
        x["newest"] = str(x["newest"]) if x["newest"] else None
    age = (run_time.date() - freshest).days if freshest else None
    return out, {"freshest": str(freshest) if freshest else None, "age_days": age}


def volumes(sources: list[dict[str, Any]], previous: dict[str, Any]) -> list[dict]:
    """Rows loaded per source (``sources``: the run's load totals) against the last
    run's report (change as a share)."""
    before = {(s["system"], s["object"]): s["rows_loaded"] for s in previous.get("systems", [])}
    out = []
    for src in sources:
        was = before.get((src["system"], src["object"]))
        change = (src["rows_loaded"] - was) / was if was else None
        out.append(
            {
                "system": src["system"],
                "object": src["object"],
                "rows_loaded": src["rows_loaded"],
                "previous_rows_loaded": was,
                "change": round(change, 4) if change is not None else None,
            }
        )
    return out


def _type_family(duck_type: str) -> str:
    """A column's sniffed type, coarsened so sampling noise is no drift: 'BIGINT' and
    'DOUBLE' are both a number; 'TIMESTAMP WITH TIME ZONE' is a timestamp."""
    t = duck_type.upper()
    if any(k in t for k in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "NUMERIC")):
        return "number"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t == "DATE":
        return "date"
    if t.startswith("TIME"):
        return "time"
    if t == "BOOLEAN":
        return "boolean"
    return "text"


def file_schema(con: duckdb.DuckDBPyConnection, path: str) -> dict[str, str] | None:
    """Column -> type family of one source file (CSV: sniffed; Parquet: declared).
    None for files DuckDB does not read (Excel, databases) or that are gone."""
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        fn = "read_parquet(?)"
    elif suffix in (".csv", ".txt", ".tsv"):
        fn = "read_csv(?, header = true, sample_size = -1)"
    else:
        return None
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {fn}", [path]).fetchall()
    except duckdb.Error:
        return None
    return {str(r[0]): _type_family(str(r[1])) for r in rows}


def schemas(
    con: duckdb.DuckDBPyConnection, sources: list[dict[str, Any]]
) -> dict[str, dict[str, str]]:
    """``system/object`` -> the columns of its (first) source file and their types
    (``sources``: the run's load totals, with their files)."""
    out = {}
    for src in sources:
        found = file_schema(con, src["files"][0]) if src["files"] else None
        if found is not None:
            out[f"{src['system']}/{src['object']}"] = found
    return out


def schema_drift(current: dict[str, dict[str, str]], previous: dict[str, Any]) -> list[dict]:
    """Columns added, removed or retyped per source since the last run's report."""
    before = previous.get("schemas") or {}
    out = []
    for source, cols in sorted(current.items()):
        was = before.get(source)
        if was is None:
            continue
        system, obj = source.split("/", 1)
        out.append(
            {
                "system": system,
                "object": obj,
                "added": sorted(set(cols) - set(was)),
                "removed": sorted(set(was) - set(cols)),
                "retyped": [
                    {"column": c, "was": was[c], "now": cols[c]}
                    for c in sorted(set(cols) & set(was))
                    if cols[c] != was[c]
                ],
            }
        )
    return out


def new_enum_values(con: duckdb.DuckDBPyConnection, p: str) -> list[dict[str, Any]]:
    """Values the contract's enum map does not know, per source and field, with the rows."""
    rows = rejects_tagged(con, "bad_enum", prefix=p)
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for system, obj, column, reason, row in rows:
        for value, fld in _ENUM_VALUE.findall(reason):
            key = (system, obj, fld)
            entry = found.setdefault(
                key,
                {"system": system, "object": obj, "field": fld, "column": column, "values": {}},
            )
            entry["values"][value] = entry["values"].get(value, 0) + 1
            entry.setdefault("rows", []).append(row)
    for entry in found.values():
        entry["rows"] = entry["rows"][:MAX_EXAMPLES]
    return list(found.values())


def sync_lag(con: duckdb.DuckDBPyConnection, p: str) -> list[dict[str, Any]]:
    """Per pair of systems: the distribution of days between the dates linked records
    carry (p50, p95, max) and the slowest pairs."""
    out = []
    for obj, col in SYNC_LAG_FIELDS.items():
        for gap in linked_date_gaps(con, obj, col, prefix=p, examples=MAX_EXAMPLES):
            out.append(
                {
                    "object": obj,
                    "field": col,
                    "scope": f"{gap['sys_a']}~{gap['sys_b']}",
                    "pairs": gap["pairs"],
                    "p50_days": gap["p50"],
                    "p95_days": gap["p95"],
                    "max_days": gap["max"],
                    "slowest": [
                        {
                            "record_a": ka,
                            "value_a": str(da),
                            "record_b": kb,
                            "value_b": str(db),
                            "days": int(d),
                        }
                        for ka, da, kb, db, d in gap["slowest"]
                    ],
                }
            )
    return out


def run_log(runs: list[dict[str, Any]], *, run_id: int | None, run_time: datetime) -> dict:
    """Runs that failed since the last complete one, and the hours since it started."""
    earlier = sorted(
        (r for r in runs if run_id is None or r["run_id"] < run_id), key=lambda r: r["run_id"]
    )
    complete = [r for r in earlier if r["status"] == "complete"]
    last = complete[-1] if complete else None
    failed = [
        {
            "run_id": r["run_id"],
            "started_at": str(r.get("started_at"))[:19],
            "error": (r.get("summary") or {}).get("error") or r["status"],
        }
        for r in earlier
        if r["status"] != "complete" and (last is None or r["run_id"] > last["run_id"])
    ]
    gap = None
    if last is not None:
        started = datetime.fromisoformat(str(last["started_at"])[:26])
        gap = round((run_time - started).total_seconds() / 3600, 1)
    return {
        "last_complete_run": last["run_id"] if last else None,
        "hours_since_last_complete": gap,
        "failed_since": failed,
    }
