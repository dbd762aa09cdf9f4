"""Linked pairs: every pair of records of one entity held in two systems (system a <
system b), with the columns the health report's agreement, amount, branch and
staleness checks compare, in the temp table ``_xp`` while those checks run.

What makes a pair disagree (the conditions) is the report's; where the pairs are and
how they are counted is here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb

from resolver.ingest.canonical import TABLES
from resolver.store.connection import dict_rows, table_columns

PAIRS = "_xp"  # the pairs of one object while its checks run
STALE = "_stale"  # the pairs whose older record holds an older value


def cross_pairs_sql(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    columns: Sequence[str],
    *,
    prefix: str,
    max_entity_size: int,
) -> str:
    """Every pair of records of one entity (of 2 to ``max_entity_size`` records) in two
    systems, system a < system b.

    Columns: entity_id, sys_a, sys_b, key_a, key_b, then each of ``columns`` the table
    has, of a as is and of b prefixed ``b_``.
    """
    table = f"{prefix}{TABLES[obj]}"
    present = set(table_columns(con, table))
    cols = [c for c in columns if c in present]
    a_cols = ", ".join(f"a.{c}" for c in cols)
    b_cols = ", ".join(f"b.{c} AS b_{c}" for c in cols)
    return f"""
        WITH m AS (
            SELECT record_key, entity_id FROM {prefix}{obj}_members
            QUALIFY count(*) OVER (PARTITION BY entity_id) BETWEEN 2 AND {int(max_entity_size)}
        )
        SELECT m1.entity_id, a.system AS sys_a, b.system AS sys_b, a.record_key AS key_a,
               b.record_key AS key_b, {a_cols}, {b_cols}
        FROM m m1 JOIN m m2 ON m1.entity_id = m2.entity_id
        JOIN {table} a ON a.record_key = m1.record_key
        JOIN {table} b ON b.record_key = m2.record_key
        WHERE a.system < b.system"""


@contextmanager
def cross_pairs(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    columns: Sequence[str],
    *,
    prefix: str,
    max_entity_size: int,
) -> Iterator[None]:
    """The pairs of :func:`cross_pairs_sql` held in ``_xp`` for the checks inside."""
    sql = cross_pairs_sql(con, obj, columns, prefix=prefix, max_entity_size=max_entity_size)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {PAIRS} AS {sql}")
    try:
        yield
    finally:
        con.execute(f"DROP TABLE IF EXISTS {PAIRS}")


def pair_totals(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    """Pairs per (system a, system b)."""
    rows = con.execute(f"SELECT sys_a, sys_b, count(*) FROM {PAIRS} GROUP BY ALL").fetchall()
    return {(a, b): int(n) for a, b, n in rows}


def count_pairs(con: duckdb.DuckDBPyConnection, a: str, b: str, condition: str) -> int:
    """How many pairs of systems ``a`` and ``b`` meet the SQL ``condition``."""
    return int(
        con.execute(
            f"SELECT count(*) FILTER ({condition}) FROM {PAIRS} WHERE sys_a = ? AND sys_b = ?",
            [a, b],
        ).fetchall()[0][0]
    )


def pair_examples(
    con: duckdb.DuckDBPyConnection, a: str, b: str, select: str, condition: str, *, limit: int
) -> list[dict]:
    """``select`` of the first ``limit`` pairs (by key_a, key_b) of systems ``a`` and ``b``
    meeting ``condition``."""
    return dict_rows(
        con,
        f"SELECT {select} FROM {PAIRS} WHERE sys_a = ? AND sys_b = ? AND {condition} "
        f"ORDER BY key_a, key_b LIMIT {int(limit)}",
        [a, b],
    )


def value_pairs(
    con: duckdb.DuckDBPyConnection, a: str, b: str, field: str, condition: str
) -> list[tuple[Any, Any, int]]:
    """(value in a, value in b, pairs) of ``field`` over the pairs meeting ``condition``,
    the most frequent first."""
    return con.execute(
        f"SELECT {field}, b_{field}, count(*) FROM {PAIRS} WHERE sys_a = ? "
        f"AND sys_b = ? AND {condition} GROUP BY ALL ORDER BY 3 DESC, 1, 2",
        [a, b],
    ).fetchall()


def amount_kinds(
    con: duckdb.DuckDBPyConnection, a: str, b: str, kind: str
) -> dict[str, tuple[int, int]]:
    """Per kind of amount difference (the SQL ``kind``, NULL: none) between invoices of
    ``a`` and ``b`` that both carry an amount: (pairs, cents of difference summed)."""
    return {
        k: (int(n), int(cents))
        for k, n, cents in con.execute(
            f"SELECT kind, count(*), coalesce(sum(diff), 0) FROM (SELECT {kind} AS kind, "
            f"abs(amount_cents - b_amount_cents) AS diff FROM {PAIRS} "
            f"WHERE sys_a = ? AND sys_b = ? AND amount_cents IS NOT NULL "
            f"AND b_amount_cents IS NOT NULL) WHERE kind IS NOT NULL GROUP BY ALL",
            [a, b],
        ).fetchall()
    }


@contextmanager
def stale_pairs(
    con: duckdb.DuckDBPyConnection, obj: str, differs: str, *, prefix: str
) -> Iterator[None]:
    """The linked pairs in ``_xp`` whose values differ (``differs``) and whose older
    record (by ``updated_at``) was updated before its system's export was taken (its
    newest ``updated_at``), held in ``_stale`` (older, newer, older_key, newer_key) for
    the checks inside."""
    table = f"{prefix}{TABLES[obj]}"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {STALE} AS
        WITH taken AS (SELECT system, max(updated_at) AS newest FROM {table} GROUP BY ALL),
        sides AS (
            SELECT CASE WHEN updated_at < b_updated_at THEN sys_a ELSE sys_b END AS older,
                   CASE WHEN updated_at < b_updated_at THEN sys_b ELSE sys_a END AS newer,
                   CASE WHEN updated_at < b_updated_at THEN key_a ELSE key_b END AS older_key,
                   CASE WHEN updated_at < b_updated_at THEN key_b ELSE key_a END AS newer_key,
                   greatest(updated_at, b_updated_at) AS updated, sys_a, sys_b
            FROM {PAIRS}
            WHERE updated_at IS NOT NULL AND b_updated_at IS NOT NULL
              AND updated_at <> b_updated_at AND ({differs}))
        SELECT s.* EXCLUDE (updated) FROM sides s JOIN taken t ON t.system = s.older
        WHERE s.updated <= t.newest"""
    )
    try:
        yield
    finally:
        con.execute(f"DROP TABLE IF EXISTS {STALE}")


def stale_count(con: duckdb.DuckDBPyConnection, older: str, newer: str) -> int:
    """Pairs in ``_stale`` where ``older`` holds the older value and ``newer`` the newer."""
    return int(
        con.execute(
            f"SELECT count(*) FROM {STALE} WHERE older = ? AND newer = ?", [older, newer]
        ).fetchall()[0][0]
    )


def stale_examples(
    con: duckdb.DuckDBPyConnection, older: str, newer: str, *, limit: int
) -> list[dict]:
    """(older_key, newer_key) of the first ``limit`` such pairs."""
    return dict_rows(
        con,
        f"SELECT older_key, newer_key FROM {STALE} WHERE older = ? AND newer = ? "
        f"ORDER BY older_key, newer_key LIMIT {int(limit)}",
        [older, newer],
    )
