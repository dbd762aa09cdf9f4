"""The ``source_loads`` table: what each run read, loaded and rejected per source file,
and the contract it read it with."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from resolver.store.connection import table_exists


def load_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows read, loaded and rejected per source file of the last run."""
    return con.execute(
        "SELECT system, object, source_file, rows_read, rows_loaded, rows_rejected "
        "FROM source_loads ORDER BY object, system"
    ).df()


def load_totals(con: duckdb.DuckDBPyConnection, *, prefix: str = "") -> list[dict[str, Any]]:
    """Per system and object of the run: its source ``files`` (sorted) and ``rows_read``,
    ``rows_loaded``, ``rows_rejected`` summed over them."""
    cur = con.execute(
        f"SELECT system, object, list(DISTINCT source_file ORDER BY source_file), "
        f"sum(rows_read), sum(rows_loaded), sum(rows_rejected) FROM {prefix}source_loads "
        "GROUP BY ALL ORDER BY ALL"
    )
    return [
        {
            "system": s,
            "object": o,
            "files": list(f),
            "rows_read": int(r),
            "rows_loaded": int(ld),
            "rows_rejected": int(rj),
        }
        for s, o, f, r, ld, rj in cur.fetchall()
    ]


def rejects_tagged(
    con: duckdb.DuckDBPyConnection, tag: str, *, prefix: str = ""
) -> list[tuple[str, str, str, str, int]]:
    """(system, object, column, reason, source row) of the run's rejects whose reason
    carries ``[tag]``, in source order; empty without a rejects table."""
    if not table_exists(con, f"{prefix}rejects"):
        return []
    return [
        (s, o, c, r, int(row))
        for s, o, c, r, row in con.execute(
            f"SELECT system, object, column_name, reason, source_row FROM {prefix}rejects "
            "WHERE contains(reason, ?) ORDER BY system, object, source_row",
            [f"[{tag}]"],
        ).fetchall()
    ]


def contract_paths(con: duckdb.DuckDBPyConnection, system: str, *, prefix: str = "") -> list[str]:
    """The contract files a run loaded ``system`` with (empty: no such table)."""
    if not table_exists(con, f"{prefix}source_loads"):
        return []
    return [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT contract FROM {prefix}source_loads WHERE system = ? ORDER BY 1",
            [system],
        ).fetchall()
    ]
