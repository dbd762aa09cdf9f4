"""The members tables (``<object>_members``: record key -> entity id) read beside the
records: the entities holding two records of one system, and the systems each entity
spans."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from resolver.ingest.canonical import TABLES
from resolver.store.connection import dict_rows

DUPLICATES = "_dup"  # (system, entity_id, keys) while the duplicate checks run


@contextmanager
def duplicate_groups(
    con: duckdb.DuckDBPyConnection, obj: str, *, prefix: str = ""
) -> Iterator[dict[str, tuple[int, int]]]:
    """The groups of records of one system sharing an entity, held in ``_dup`` (system,
    entity_id, keys in key order) for the reads inside; yields per system (groups,
    records in them)."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {DUPLICATES} AS
        SELECT r.system, m.entity_id, list(r.record_key ORDER BY r.record_key) AS keys
        FROM {prefix}{TABLES[obj]} r JOIN {prefix}{obj}_members m USING (record_key)
        GROUP BY ALL HAVING count(*) > 1"""
    )
    try:
        yield {
            s: (int(g), int(n))
            for s, g, n in con.execute(
                f"SELECT system, count(*), sum(len(keys)) FROM {DUPLICATES} GROUP BY ALL"
            ).fetchall()
        }
    finally:
        con.execute(f"DROP TABLE IF EXISTS {DUPLICATES}")


def duplicate_examples(
    con: duckdb.DuckDBPyConnection, system: str, *, limit: int
) -> list[dict[str, Any]]:
    """(entity_id, keys) of the first ``limit`` of ``system``'s groups in ``_dup``."""
    return dict_rows(
        con,
        f"SELECT entity_id, keys FROM {DUPLICATES} WHERE system = ? ORDER BY entity_id "
        f"LIMIT {int(limit)}",
        [system],
    )


def excess_amounts(con: duckdb.DuckDBPyConnection, *, prefix: str = "") -> dict[str, int]:
    """Per system: the invoice amounts of the copies beyond the first (by record key)
    of each entity within that system."""
    return {
        s: int(m or 0)
        for s, m in con.execute(
            f"""SELECT system, sum(amount_cents) FROM (
                SELECT r.system, r.amount_cents, row_number() OVER (
                    PARTITION BY r.system, m.entity_id ORDER BY r.record_key) AS k
                FROM {prefix}{TABLES["invoice"]} r
                JOIN {prefix}invoice_members m USING (record_key))
            WHERE k > 1 GROUP BY ALL"""
        ).fetchall()
    }


def systems_spanned(
    con: duckdb.DuckDBPyConnection, obj: str, *, prefix: str = ""
) -> list[tuple[str, str, int]]:
    """(system a, system b, entities with records in both), a < b, in order."""
    return [
        (a, b, int(n))
        for a, b, n in con.execute(
            f"""WITH es AS (
                SELECT DISTINCT m.entity_id, r.system FROM {prefix}{TABLES[obj]} r
                JOIN {prefix}{obj}_members m USING (record_key))
            SELECT a.system, b.system, count(*) FROM es a JOIN es b
              ON a.entity_id = b.entity_id AND a.system < b.system
            GROUP BY ALL ORDER BY ALL"""
        ).fetchall()
    ]


def entity_count(con: duckdb.DuckDBPyConnection, obj: str, *, prefix: str = "") -> int:
    """Entities of ``obj`` (distinct entity ids in its members table)."""
    return int(
        con.execute(f"SELECT count(DISTINCT entity_id) FROM {prefix}{obj}_members").fetchall()[0][0]
    )
