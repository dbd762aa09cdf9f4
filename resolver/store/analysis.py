"""The store read as the analyst's notebooks read it: profiles of the loaded fields,
scored pairs, orphans and the rows a model sees. Plain frames; what they mean is
worked out in ``resolver.tuning``."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from resolver.ingest.canonical import TABLES
from resolver.store.stages import input_sql


def _filled(col: str) -> str:
    # a value is there when it is not null and not blank
    return f"count(nullif(trim({col}::VARCHAR), ''))"


def field_counts(
    con: duckdb.DuckDBPyConnection, obj: str, field: str, norm: str | None
) -> pd.DataFrame:
    """Per system: records, raw_filled, raw_distinct, norm_filled, norm_distinct of one
    field of ``obj`` (``norm``: its normalized column, or None: NULL counts)."""
    norm_sql = f"{_filled(norm)}, count(DISTINCT {norm})" if norm else "NULL::BIGINT, NULL::BIGINT"
    df = con.execute(
        f"SELECT system, count(*) AS records, {_filled(field)} AS raw_filled, "
        f"count(DISTINCT nullif(trim({field}::VARCHAR), '')) AS raw_distinct, "
        f"{norm_sql} FROM {TABLES[obj]} GROUP BY system ORDER BY system"
    ).df()
    df.columns = ["system", "records", "raw_filled", "raw_distinct", "norm_filled", "norm_distinct"]
    return df


def merged_spellings(
    con: duckdb.DuckDBPyConnection, obj: str, field: str, norm: str, *, top_n: int
) -> pd.DataFrame:
    """The normalized values of ``norm`` that gather the most raw spellings of ``field``:
    norm, variants, records, systems, examples (up to five raw spellings)."""
    return con.execute(
        f"""
        SELECT {norm} AS norm,
               count(DISTINCT {field}) AS variants,
               count(*) AS records,
               list(DISTINCT system ORDER BY system) AS systems,
               list(DISTINCT {field}::VARCHAR ORDER BY {field}::VARCHAR)[1:5] AS examples
        FROM {TABLES[obj]}
        WHERE {norm} IS NOT NULL AND {field} IS NOT NULL
        GROUP BY 1
        ORDER BY variants DESC, records DESC, norm
        LIMIT ?""",
        [top_n],
    ).df()


def refused_values(
    con: duckdb.DuckDBPyConnection, obj: str, field: str, norm: str, *, limit: int
) -> pd.DataFrame:
    """Raw values of ``field`` whose normalized column ``norm`` is empty: (system, raw,
    records), most frequent first."""
    return con.execute(
        f"""
        SELECT system, {field}::VARCHAR AS raw, count(*) AS records FROM {TABLES[obj]}
        WHERE nullif(trim({field}::VARCHAR), '') IS NOT NULL AND {norm} IS NULL
        GROUP BY ALL ORDER BY records DESC, system, raw LIMIT ?""",
        [limit],
    ).df()


def rejects_by_reason(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rejected rows per system, object and reason kind (a row with two problems
    counts under both). Columns: system, object, reason, rows, example."""
    return con.execute(
        r"""
        WITH kinds AS (
            SELECT system, object, reason AS message,
                   unnest(CASE WHEN len(regexp_extract_all(reason, '\[([a-z_]+)\]', 1)) > 0
                               THEN regexp_extract_all(reason, '\[([a-z_]+)\]', 1)
                               ELSE ['other'] END) AS reason
            FROM rejects
        )
        SELECT system, object, reason, count(*) AS rows, min(message) AS example
        FROM kinds GROUP BY ALL ORDER BY object, system, rows DESC, reason"""
    ).df()


def scored_pairs(
    con: duckdb.DuckDBPyConnection, obj: str, cols: Sequence[str] | None = None
) -> pd.DataFrame:
    """The published run's kept pairs of ``obj`` (``cols`` of them, or all)."""
    return con.execute(f"SELECT {', '.join(cols) if cols else '*'} FROM {obj}_pairs").df()


def link_input(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    input_columns: Sequence[str],
    *,
    keys: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The table a run hands Splink, rebuilt from the published store (only ``keys``)."""
    where = "WHERE list_contains(?, r.record_key)" if keys is not None else ""
    params = [list(keys)] if keys is not None else []
    return con.execute(input_sql(obj, input_columns, prefix="", where=where), params).df()


def orphan_ages(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """expectation, severity, resolution, age_days, amount_cents of every orphan."""
    return con.execute(
        "SELECT expectation, severity, resolution, age_days, amount_cents FROM orphans"
    ).df()
