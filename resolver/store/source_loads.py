"""The ``source_loads`` table: what each run read, loaded and rejected per source file,
and the contract it read it with."""

from __future__ import annotations

import duckdb
import pandas as pd

from resolver.store.connection import table_exists


def load_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows read, loaded and rejected per source file of the last run."""
    return con.execute(
        "SELECT system, object, source_file, rows_read, rows_loaded, rows_rejected "
        "FROM source_loads ORDER BY object, system"
    ).df()


def load_totals(
    con: duckdb.DuckDBPyConnection, *, prefix: str = ""
) -> list[tuple[str, str, int, int, int]]:
    """(system, object, rows read, loaded, rejected) summed over the run's source files."""
    return [
        (s, o, int(r), int(ld), int(rj))
        for s, o, r, ld, rj in con.execute(
            f"SELECT system, object, sum(rows_read), sum(rows_loaded), sum(rows_rejected) "
            f"FROM {prefix}source_loads GROUP BY ALL ORDER BY ALL"
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
