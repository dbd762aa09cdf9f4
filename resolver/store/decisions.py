"""The decisions table: append-only, keyed by the records concerned, never by a cluster."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from resolver.store.connection import table_exists

DECISIONS_DDL = """
CREATE TABLE IF NOT EXISTS decisions (
  decision_id BIGINT PRIMARY KEY,
  object VARCHAR NOT NULL,            -- customer | invoice
  action VARCHAR NOT NULL,            -- accept | reject | split | undo | link | expected
  record_keys VARCHAR[] NOT NULL,     -- every record the decision concerns
  groups VARCHAR,                     -- split: JSON list of record-key lists (a partition)
  record_hashes VARCHAR NOT NULL,     -- JSON {record_key: row_hash} when decided
  record_values VARCHAR,              -- JSON {record_key: {field: value}} when decided
  undoes BIGINT,                      -- undo: the decision it reverses
  expectation VARCHAR,                -- orphan resolutions: the expectation concerned
  proposal_id VARCHAR,
  proposal_version VARCHAR,
  reviewer VARCHAR NOT NULL,
  reason VARCHAR,
  decided_at TIMESTAMP NOT NULL
)"""

COLUMNS = (
    "decision_id",
    "object",
    "action",
    "record_keys",
    "groups",
    "record_hashes",
    "record_values",
    "undoes",
    "expectation",
    "proposal_id",
    "proposal_version",
    "reviewer",
    "reason",
    "decided_at",
)


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DECISIONS_DDL)


def append(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> int:
    """Append one decision; returns its id. Never updates or deletes."""
    ensure(con)
    decision_id = con.execute("SELECT coalesce(max(decision_id), 0) + 1 FROM decisions").fetchall()[
        0
    ][0]
    values = {
        **{c: None for c in COLUMNS},
        **row,
        "decision_id": decision_id,
        "decided_at": row.get("decided_at") or datetime.now(UTC).replace(tzinfo=None),
    }
    values["record_hashes"] = json.dumps(values.get("record_hashes") or {}, sort_keys=True)
    values["record_values"] = json.dumps(
        values.get("record_values") or {}, sort_keys=True, default=str
    )
    if values.get("groups") is not None and not isinstance(values["groups"], str):
        values["groups"] = json.dumps(values["groups"])
    placeholders = ", ".join("?" for _ in COLUMNS)
    con.execute(
        f"INSERT INTO decisions ({', '.join(COLUMNS)}) VALUES ({placeholders})",
        [values[c] for c in COLUMNS],
    )
    return int(decision_id)


def load(con: duckdb.DuckDBPyConnection, obj: str | None = None) -> pd.DataFrame:
    """Every decision (optionally of one object), oldest first."""
    if not table_exists(con, "decisions"):
        return pd.DataFrame(columns=list(COLUMNS))
    where, params = ("WHERE object = ?", [obj]) if obj else ("", [])
    return con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM decisions {where} ORDER BY decision_id", params
    ).df()


def record_hashes(con: duckdb.DuckDBPyConnection, obj: str, keys: list[str]) -> dict[str, str]:
    """The current row hash of each record (from the last published run)."""
    table = {"customer": "customers", "invoice": "invoices"}[obj]
    rows = con.execute(
        f"SELECT record_key, row_hash FROM {table} WHERE list_contains(?, record_key)", [keys]
    ).fetchall()
    return dict(rows)
