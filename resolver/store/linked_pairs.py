"""Linked pairs: every pair of records of one entity held in two systems (system a <
system b), with the columns the health report's agreement, amount, branch and
staleness checks compare, in the temp table ``_xp`` while those checks run.

What makes a pair disagree (the conditions) is the report's; where the pairs are and
how they are counted is here. Each read covers every pair of systems at once, grouped
by the pair: one query per check, however many systems a run holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb

from resolver.ingest.canonical import TABLES
from resolver.store.connection import table_columns

PAIRS = "_xp"  # the pairs of one object while its checks run
Pair = tuple[str, str]  # (system a, system b), or (older system, newer system)


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


def pair_totals(con: duckdb.DuckDBPyConnection) -> dict[Pair, int]:
    """Pairs per (system a, system b)."""
    rows = con.execute(f"SELECT sys_a, sys_b, count(*) FROM {PAIRS} GROUP BY ALL").fetchall()
    return {(a, b): int(n) for a, b, n in rows}


def _by_pair(rows: list[tuple]) -> dict[Pair, list[tuple]]:
    """Rows whose first two columns are a system pair, grouped by it in row order."""
    out: dict[Pair, list[tuple]] = {}
    for r in rows:
        out.setdefault((r[0], r[1]), []).append(r[2:])
    return out


def _first(shown: Mapping[str, str], order: str, limit: int) -> str:
    """SQL aggregate: the columns ``shown`` (name -> SQL) of the first ``limit`` rows of
    a group by ``order`` (a row of columns), as a list of structs in that order."""
    fields = ", ".join(f"'{name}': {sql}" for name, sql in shown.items())
    return f"min_by({{{fields}}}, ({order}), {int(limit)})"


def pairs_meeting(
    con: duckdb.DuckDBPyConnection, condition: str, shown: Mapping[str, str], *, limit: int
) -> dict[Pair, tuple[int, list[dict[str, Any]]]]:
    """Per (system a, system b) with linked pairs: how many pairs meet the SQL
    ``condition`` (0 where none does), and the columns ``shown`` (name -> SQL) of the
    first ``limit`` of them by (key_a, key_b). One query for every pair of systems."""
    rows = con.execute(
        f"SELECT sys_a, sys_b, count(*) FILTER ({condition}), "
        f"{_first(shown, 'key_a, key_b', limit)} FILTER ({condition}) FROM {PAIRS} GROUP BY ALL"
    ).fetchall()
    return {(a, b): (int(n), list(first or [])) for a, b, n, first in rows}


def value_pairs(
    con: duckdb.DuckDBPyConnection, field: str, condition: str
) -> dict[Pair, list[tuple[Any, Any, int]]]:
    """Per (system a, system b): (value in a, value in b, pairs) of ``field`` over the
    pairs meeting ``condition``, the most frequent first."""
    rows = con.execute(
        f"SELECT sys_a, sys_b, {field}, b_{field}, count(*) FROM {PAIRS} WHERE {condition} "
        f"GROUP BY ALL ORDER BY 1, 2, 5 DESC, 3, 4"
    ).fetchall()
    return _by_pair(rows)  # type: ignore[return-value]


def amount_kinds(
    con: duckdb.DuckDBPyConnection, kind: str
) -> dict[Pair, dict[str, tuple[int, int]]]:
    """Per (system a, system b) and kind of amount difference (the SQL ``kind``, NULL:
    none) between linked invoices that both carry an amount: (pairs, cents of difference
    summed)."""
    rows = con.execute(
        f"SELECT sys_a, sys_b, kind, count(*), coalesce(sum(diff), 0) FROM (SELECT sys_a, "
        f"sys_b, {kind} AS kind, abs(amount_cents - b_amount_cents) AS diff FROM {PAIRS} "
        f"WHERE amount_cents IS NOT NULL AND b_amount_cents IS NOT NULL) "
        f"WHERE kind IS NOT NULL GROUP BY ALL"
    ).fetchall()
    out: dict[Pair, dict[str, tuple[int, int]]] = {}
    for a, b, k, n, cents in rows:
        out.setdefault((a, b), {})[k] = (int(n), int(cents))
    return out


def stale_by_direction(
    con: duckdb.DuckDBPyConnection, obj: str, differs: str, *, prefix: str, limit: int
) -> dict[Pair, tuple[int, list[dict[str, Any]]]]:
    """The linked pairs in ``_xp`` whose values differ (``differs``) and whose older
    record (by ``updated_at``) was updated before its system's export was taken (its
    newest ``updated_at``), per (older system, newer system) (a direction no pair
    takes is absent): how many, and (older_key, newer_key) of the first ``limit``."""
    table = f"{prefix}{TABLES[obj]}"
    shown = {"older_key": "older_key", "newer_key": "newer_key"}
    rows = con.execute(
        f"""WITH taken AS (SELECT system, max(updated_at) AS newest FROM {table} GROUP BY ALL),
        sides AS (
            SELECT CASE WHEN updated_at < b_updated_at THEN sys_a ELSE sys_b END AS older,
                   CASE WHEN updated_at < b_updated_at THEN sys_b ELSE sys_a END AS newer,
                   CASE WHEN updated_at < b_updated_at THEN key_a ELSE key_b END AS older_key,
                   CASE WHEN updated_at < b_updated_at THEN key_b ELSE key_a END AS newer_key,
                   greatest(updated_at, b_updated_at) AS updated
            FROM {PAIRS}
            WHERE updated_at IS NOT NULL AND b_updated_at IS NOT NULL
              AND updated_at <> b_updated_at AND ({differs}))
        SELECT s.older, s.newer, count(*), {_first(shown, "older_key, newer_key", limit)}
        FROM sides s JOIN taken t ON t.system = s.older
        WHERE s.updated <= t.newest GROUP BY ALL"""
    ).fetchall()
    return {(o, n): (int(k), list(first)) for o, n, k, first in rows}
