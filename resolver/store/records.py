"""Reads of the loaded records: their keys, systems, columns, a sample of one field's
values, and the crosswalk from each source record to its entity."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from resolver.ingest.canonical import TABLES


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
