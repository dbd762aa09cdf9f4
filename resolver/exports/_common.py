"""Helpers the fix lists share."""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd

from resolver.ingest.canonical import TABLES


def fix_id(*parts: object) -> str:
    """A fix's id: what the fix is (kind, system, records, field, value), never a run."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return "F-" + hashlib.md5(text.encode("utf-8")).hexdigest()[:16]


def members_sql(obj: str, prefix: str = "") -> str:
    """Every record of ``obj`` with its entity id."""
    return (
        f"SELECT r.*, m.entity_id FROM {prefix}{TABLES[obj]} r "
        f"JOIN {prefix}{obj}_members m USING (record_key)"
    )


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    df = con.execute(sql, params or []).df()
    return df.astype(object).where(df.notna(), None)
