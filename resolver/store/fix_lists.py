"""What the per-system fix lists read from the store: the records of an entity with
several records in one system (merges), the records whose value differs from the
golden value another system owns (corrections), and the records a system lacks
(missing). Which values a list writes, and how, is ``resolver.exports``'s; the
SELECT lists it hands in are SQL over a record ``r`` (or ``m``, ``src``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from resolver.ingest.canonical import TABLES


def members_sql(obj: str, prefix: str = "") -> str:
    """Every record of ``obj`` with its entity id."""
    return (
        f"SELECT r.*, m.entity_id FROM {prefix}{TABLES[obj]} r "
        f"JOIN {prefix}{obj}_members m USING (record_key)"
    )


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any]) -> pd.DataFrame:
    """The rows of ``sql`` as Python objects, None for missing values."""
    df = con.execute(sql, list(params)).df()
    return df.astype(object).where(df.notna(), None)


def merge_candidates(
    con: duckdb.DuckDBPyConnection, obj: str, system: str, complete: str, *, prefix: str = ""
) -> pd.DataFrame:
    """entity_id, record_key, source_id of ``system``'s records whose entity holds
    several of its records, per entity in survivor order: the newest ``updated_at``,
    then the most complete (``complete``: SQL over ``r``), then the smallest key."""
    return _frame(
        con,
        f"""SELECT r.entity_id, r.record_key, r.source_id
            FROM ({members_sql(obj, prefix)}) r
            WHERE r.system = ? AND r.entity_id IN (
                SELECT m.entity_id FROM ({members_sql(obj, prefix)}) m WHERE m.system = ?
                GROUP BY m.entity_id HAVING count(*) > 1)
            ORDER BY r.entity_id, r.updated_at DESC NULLS LAST, ({complete}) DESC, r.record_key""",
        [system, system],
    )


def golden_disagreements(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    system: str,
    values: Sequence[str],
    *,
    golden_field: str,
    expr: str,
    compare: str,
    prefix: str = "",
) -> pd.DataFrame:
    """``system``'s records (``m``) whose value ``expr`` is set and differs from the
    golden ``compare`` value whose source (``<golden_field>_source``) is a record of
    another system (``src``): entity_id, source_id, from_system, from_id and
    ``values`` (SQL over ``m`` and ``src``), by source id."""
    return _frame(
        con,
        f"""SELECT m.entity_id, m.source_id, src.system AS from_system,
                   src.source_id AS from_id, {", ".join(values)}
            FROM ({members_sql(obj, prefix)}) m
            JOIN {prefix}{obj}_golden g USING (entity_id)
            JOIN {prefix}{TABLES[obj]} src ON src.record_key = g.{golden_field}_source
            WHERE m.system = ? AND src.system <> ?
              AND {expr} IS NOT NULL AND {expr} IS DISTINCT FROM g.{compare}
            ORDER BY m.source_id""",
        [system, system],
    )


def customer_ref_sql(prefix: str = "") -> str:
    """SQL of the id, in the system bound to its one parameter, of the customer an
    invoice ``r`` names (the smallest, when that system holds several of its entity)."""
    return (
        f"(SELECT min(sc.source_id) FROM {prefix}customers c "
        f"JOIN {prefix}customer_members cm ON cm.record_key = c.record_key "
        f"JOIN {prefix}customer_members sm ON sm.entity_id = cm.entity_id "
        f"JOIN {prefix}customers sc ON sc.record_key = sm.record_key AND sc.system = ? "
        f"WHERE c.system = r.system AND c.source_id = r.customer_ref)"
    )


def _wanted_sql(obj: str, prefix: str) -> str:
    """(orphan_id, record_key) of each record the system lacks: its open counterpart
    orphans and, for customers, the customer of each invoice it lacks whose customer
    entity it has no record of (one record per entity: the one the invoice names)."""
    orphans = (
        f"SELECT orphan_id, record_key FROM {prefix}orphans "
        "WHERE kind = 'counterpart' AND object = ? AND target_system = ? AND resolution = 'open'"
    )
    if obj != "customer":
        return orphans
    return f"""{orphans}
        UNION ALL
        SELECT 'customer of ' || arg_min(c.system || ' ' || c.source_id, c.source_id),
               arg_min(c.record_key, c.source_id)
        FROM {prefix}orphans o
        JOIN {prefix}invoices i ON i.record_key = o.record_key
        JOIN {prefix}customers c ON c.system = i.system AND c.source_id = i.customer_ref
        JOIN {prefix}customer_members cm ON cm.record_key = c.record_key
        WHERE o.kind = 'counterpart' AND o.object = 'invoice' AND o.target_system = ?
          AND o.resolution = 'open'
          AND NOT EXISTS (
              SELECT 1 FROM {prefix}customer_members sm
              JOIN {prefix}customers sc ON sc.record_key = sm.record_key
              WHERE sm.entity_id = cm.entity_id AND sc.system = ?)
          AND NOT EXISTS (
              SELECT 1 FROM {prefix}orphans oc
              JOIN {prefix}customer_members om ON om.record_key = oc.record_key
              WHERE oc.kind = 'counterpart' AND oc.object = 'customer'
                AND oc.target_system = ? AND oc.resolution = 'open'
                AND om.entity_id = cm.entity_id)
        GROUP BY cm.entity_id"""


def _wanted_params(obj: str, system: str) -> list[str]:
    return [obj, system] + ([system, system, system] if obj == "customer" else [])


def lacking_records(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    system: str,
    values: Sequence[str],
    params: Sequence[Any],
    *,
    prefix: str = "",
) -> pd.DataFrame:
    """The records of ``obj`` that ``system`` lacks (:func:`_wanted_sql`): orphan_id,
    entity_id, from_system, from_id and ``values`` (SQL over the record ``r``, taking
    ``params``), by system and source id."""
    return _frame(
        con,
        f"""SELECT o.orphan_id, m.entity_id, r.system AS from_system, r.source_id AS from_id,
                   {", ".join(values) if values else "NULL AS _none"}
            FROM ({_wanted_sql(obj, prefix)}) o
            JOIN {prefix}{TABLES[obj]} r ON r.record_key = o.record_key
            LEFT JOIN {prefix}{obj}_members m ON m.record_key = r.record_key
            ORDER BY r.system, r.source_id""",
        [*params, *_wanted_params(obj, system)],
    )
