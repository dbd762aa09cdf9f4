"""The ``source_loads`` table: what each run read, loaded and rejected per source file,
and the contract it read it with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from resolver.store.connection import dict_rows, table_exists


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


def loaded_contracts(con: duckdb.DuckDBPyConnection, *, prefix: str = "") -> list[dict[str, str]]:
    """(system, object, contract) of every source a run loaded, each once, in order."""
    return dict_rows(
        con, f"SELECT DISTINCT system, object, contract FROM {prefix}source_loads ORDER BY ALL"
    )


def rows_read(con: duckdb.DuckDBPyConnection, *, prefix: str = "") -> dict[tuple[str, str], int]:
    """Source rows a run read per (system, object)."""
    return {
        (s, o): int(n)
        for s, o, n in con.execute(
            f"SELECT system, object, sum(rows_read) FROM {prefix}source_loads GROUP BY ALL"
        ).fetchall()
    }


# a reject's kind: the first "[kind]" of its reason
_REJECT_KIND = "regexp_extract(reason, '\\[(\\w+)\\]', 1)"


def reject_kinds(con: duckdb.DuckDBPyConnection, *, prefix: str = "") -> list[dict[str, Any]]:
    """Rejected rows per system, object and kind (the first ``[kind]`` of the reason,
    'other' without one): dicts of system, object, kind, n, in that order."""
    return dict_rows(
        con,
        f"SELECT system, object, coalesce({_REJECT_KIND}, 'other') AS kind, count(*) AS n "
        f"FROM {prefix}rejects GROUP BY ALL ORDER BY ALL",
    )


def reject_examples(
    con: duckdb.DuckDBPyConnection,
    system: str,
    obj: str,
    kind: str,
    *,
    limit: int,
    prefix: str = "",
) -> list[dict[str, Any]]:
    """The first ``limit`` rejects (in source order) of one system, object and kind:
    source_file, source_row, source_id, column_name, reason."""
    return dict_rows(
        con,
        f"SELECT source_file, source_row, source_id, column_name, reason FROM {prefix}rejects "
        f"WHERE system = ? AND object = ? AND {_REJECT_KIND} = ? "
        f"ORDER BY source_row LIMIT {int(limit)}",
        [system, obj, kind],
    )


def record_load(con: duckdb.DuckDBPyConnection, table: str, row: Sequence[Any]) -> None:
    """Add one source file's load to ``table`` (``source_loads`` or its stage): system,
    object, file, sha256, contract, rows read, loaded, rejected, loaded at, unusable."""
    con.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(row))
