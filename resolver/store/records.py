"""Reads of the loaded records: their keys, systems, columns, a sample of one field's
values, and the crosswalk from each source record to its entity."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from resolver.ingest.canonical import FIELDS, TABLES
from resolver.store import schema
from resolver.store.connection import dict_rows, table_exists
from resolver.store.content_hash import content_hash_sql


def record_columns(
    con: duckdb.DuckDBPyConnection, obj: str, cols: Sequence[str], *, system: str | None = None
) -> pd.DataFrame:
    """``cols`` of every loaded record of ``obj`` (of one ``system``), by record key."""
    where, params = ("WHERE system = ?", [system]) if system is not None else ("", [])
    return con.execute(
        f"SELECT {', '.join(cols)} FROM {TABLES[obj]} {where} ORDER BY record_key", params
    ).df()


def systems(con: duckdb.DuckDBPyConnection, obj: str) -> list[str]:
    """The systems ``obj`` records were loaded from, in order."""
    return [
        r[0]
        for r in con.execute(f"SELECT DISTINCT system FROM {TABLES[obj]} ORDER BY 1").fetchall()
    ]


def record_keys(con: duckdb.DuckDBPyConnection, obj: str) -> set[str]:
    """The key of every loaded record of ``obj``."""
    return {r[0] for r in con.execute(f"SELECT record_key FROM {TABLES[obj]}").fetchall()}


def record_system(con: duckdb.DuckDBPyConnection, obj: str, record_key: str) -> str | None:
    """The system a loaded record of ``obj`` comes from, or None if it is not loaded."""
    rows = con.execute(
        f"SELECT system FROM {TABLES[obj]} WHERE record_key = ?", [record_key]
    ).fetchall()
    return rows[0][0] if rows else None


def field_sample(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    field: str,
    system: str,
    *,
    limit: int,
    prefix: str = "",
) -> list[str]:
    """Up to ``limit`` non-null values of ``field`` from ``system``'s records, by record key."""
    return [
        r[0]
        for r in con.execute(
            f"SELECT {field} FROM {prefix}{TABLES[obj]} WHERE system = ? AND {field} IS NOT NULL "
            f"ORDER BY record_key LIMIT {int(limit)}",
            [system],
        ).fetchall()
    ]


def crosswalk_sql(obj: str) -> str:
    """(system, source_id, entity_id) of every loaded record of ``obj``."""
    return (
        f"SELECT r.system, r.source_id, m.entity_id FROM {TABLES[obj]} r "
        f"JOIN {obj}_members m USING (record_key) ORDER BY r.system, r.source_id"
    )


def write_crosswalk(con: duckdb.DuckDBPyConnection, obj: str, out: Path, *, parquet: bool) -> int:
    """Write :func:`crosswalk_sql` to ``out`` (Parquet, or CSV with a header); return its rows."""
    fmt = "(FORMAT parquet)" if parquet else "(HEADER, DELIMITER ',')"
    path = str(out).replace("'", "''")
    con.execute(f"COPY ({crosswalk_sql(obj)}) TO '{path}' {fmt}")
    return int(con.execute(f"SELECT count(*) FROM {obj}_members").fetchall()[0][0])


def newest_date(
    con: duckdb.DuckDBPyConnection, obj: str, system: str, columns: Sequence[str], *, prefix: str
) -> Any:
    """The newest value of the first of ``columns`` that ``system``'s records of ``obj``
    fill (``coalesce(max(a), max(b), ...)``), or None."""
    newest = ", ".join(f"max({c})" for c in columns)
    return con.execute(
        f"SELECT coalesce({newest}) FROM {prefix}{TABLES[obj]} WHERE system = ?", [system]
    ).fetchall()[0][0]


def linked_date_gaps(
    con: duckdb.DuckDBPyConnection, obj: str, column: str, *, prefix: str, examples: int
) -> list[dict[str, Any]]:
    """Per pair of systems whose records of ``obj`` share an entity: the days between
    the ``column`` dates they carry (``pairs``, ``p50``, ``p95``, ``max``) and the
    ``examples`` widest gaps (``slowest``: key_a, date_a, key_b, date_b, days).
    Empty when the run has no members table for ``obj``."""
    table = f"{prefix}{TABLES[obj]}"
    if not table_exists(con, f"{prefix}{obj}_members"):
        return []
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _lag AS
        SELECT a.system AS sys_a, b.system AS sys_b, a.record_key AS key_a,
               b.record_key AS key_b, a.{column} AS date_a, b.{column} AS date_b,
               abs(b.{column} - a.{column}) AS days
        FROM {table} a JOIN {prefix}{obj}_members ma ON ma.record_key = a.record_key
        JOIN {prefix}{obj}_members mb ON mb.entity_id = ma.entity_id
        JOIN {table} b ON b.record_key = mb.record_key
        WHERE a.system < b.system AND a.{column} IS NOT NULL AND b.{column} IS NOT NULL"""
    )
    try:
        stats = con.execute(
            "SELECT sys_a, sys_b, count(*), quantile_disc(days, 0.5), "
            "quantile_disc(days, 0.95), max(days) FROM _lag GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        out = []
        for a, b, n, p50, p95, mx in stats:
            slow = con.execute(
                "SELECT key_a, date_a, key_b, date_b, days FROM _lag WHERE sys_a = ? "
                f"AND sys_b = ? ORDER BY days DESC, key_a LIMIT {int(examples)}",
                [a, b],
            ).fetchall()
            out.append(
                {
                    "sys_a": a,
                    "sys_b": b,
                    "pairs": int(n),
                    "p50": int(p50),
                    "p95": int(p95),
                    "max": int(mx),
                    "slowest": slow,
                }
            )
        return out
    finally:
        con.execute("DROP TABLE IF EXISTS _lag")


def condition_counts(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    system: str,
    conditions: Sequence[str],
    *,
    prefix: str = "",
) -> tuple[int, list[int]]:
    """``system``'s records of ``obj``, and how many of them meet each SQL condition."""
    counts = "".join(f", count(*) FILTER ({c})" for c in conditions)
    row = con.execute(
        f"SELECT count(*){counts} FROM {prefix}{TABLES[obj]} WHERE system = ?", [system]
    ).fetchall()[0]
    return int(row[0]), [int(n) for n in row[1:]]


def flagged_records(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    system: str,
    shown: str,
    condition: str,
    *,
    limit: int,
    prefix: str = "",
) -> list[dict[str, Any]]:
    """``shown`` (SQL select list) of the first ``limit`` of ``system``'s records of
    ``obj`` (by record key) that meet the SQL ``condition``."""
    return dict_rows(
        con,
        f"SELECT {shown} FROM {prefix}{TABLES[obj]} WHERE system = ? AND {condition} "
        f"ORDER BY record_key LIMIT {int(limit)}",
        [system],
    )


def value_counts(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    system: str,
    value: str,
    condition: str,
    *,
    prefix: str = "",
) -> dict[Any, int]:
    """Records of ``system``'s ``obj`` meeting ``condition``, per ``value`` (SQL)."""
    return {
        k: int(n)
        for k, n in con.execute(
            f"SELECT {value}, count(*) FROM {prefix}{TABLES[obj]} WHERE system = ? "
            f"AND {condition} GROUP BY ALL ORDER BY ALL",
            [system],
        ).fetchall()
    }


def system_counts(con: duckdb.DuckDBPyConnection, obj: str, *, prefix: str = "") -> dict[str, int]:
    """Loaded records of ``obj`` per system."""
    return {
        s: int(n)
        for s, n in con.execute(
            f"SELECT system, count(*) FROM {prefix}{TABLES[obj]} GROUP BY ALL"
        ).fetchall()
    }


def count_in_systems(
    con: duckdb.DuckDBPyConnection, obj: str, systems: Sequence[str], *, prefix: str = ""
) -> int:
    """Loaded records of ``obj`` from any of ``systems``."""
    marks = ", ".join("?" for _ in systems)
    return int(
        con.execute(
            f"SELECT count(*) FROM {prefix}{TABLES[obj]} WHERE system IN ({marks})",
            list(systems),
        ).fetchall()[0][0]
    )


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    df: pd.DataFrame,
    columns: dict[str, str],
    *,
    obj: str | None = None,
) -> None:
    """Insert ``df`` as ``columns``; into a record table of ``obj``, DuckDB computes each
    record's row hash and content hash on the way in."""
    if df.empty:
        return
    frame = df.reindex(columns=list(columns)).reset_index(drop=True)
    select = "*"
    if obj is not None:
        # a record's data fingerprint: its canonical values (parsed, so "$1,234.50" and
        # "1234.5" agree); decisions compare it to notice that a record changed
        fields = schema.canonical_columns(FIELDS[obj])
        parts = ", ".join(f"coalesce({c}::VARCHAR, chr(0))" for c in fields)
        select = (
            f"* REPLACE (left(md5(concat_ws(chr(31), {parts})), 16) AS row_hash, "
            f"{content_hash_sql(obj)} AS content_hash)"
        )
    con.register("_ingest_frame", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT {select} FROM _ingest_frame")
    finally:
        con.unregister("_ingest_frame")
