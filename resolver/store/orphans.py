"""The ``orphans`` table: its layout, how a run computes it, and the reads reviewers make.

What counts as an orphan (the expectations of rules/orphans.yaml) and which decisions
resolve one are decided in ``resolver.review.orphans``; this module only knows the
tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Protocol

import duckdb
import pandas as pd

from resolver.ingest.canonical import TABLES
from resolver.store.connection import dict_rows, table_exists


class Expectation(Protocol):
    """What the store needs of an orphan expectation (``review.orphans.rules``)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def object(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def counterpart(self) -> str | None: ...
    @property
    def systems(self) -> Sequence[str]: ...
    @property
    def where(self) -> str | None: ...


# the date an orphan's age is counted from
DATE_COLUMN = {"customer": "updated_at", "invoice": "invoice_date"}

ORPHAN_COLUMNS: dict[str, str] = {
    "orphan_id": "VARCHAR",  # "O-" + 16 hex of md5(expectation | record_key): stable across runs
    "run_id": "BIGINT",
    "object": "VARCHAR",
    "system": "VARCHAR",
    "source_id": "VARCHAR",
    "record_key": "VARCHAR",
    "expectation": "VARCHAR",
    "kind": "VARCHAR",  # counterpart | reference
    "description": "VARCHAR",
    "severity": "VARCHAR",
    "detail": "VARCHAR",  # what exactly is missing, in words
    "target_object": "VARCHAR",  # the object a link must point at
    "target_system": "VARCHAR",  # the system a link must point at
    "record_date": "DATE",
    "age_days": "BIGINT",
    "amount_cents": "BIGINT",  # invoices only
    "candidate_record_key": "VARCHAR",
    "candidate_entity_id": "VARCHAR",
    "candidate_probability": "DOUBLE",  # NULL when found through a linked invoice
    "candidate_via": "VARCHAR",  # pair | linked_invoice
    "resolution": "VARCHAR",  # open | expected | linked
    "decision_id": "BIGINT",
    "resolved_by": "VARCHAR",
    "resolution_reason": "VARCHAR",
}


def stage_orphans_table(
    con: duckdb.DuckDBPyConnection,
    expectations: Iterable[Expectation],
    decided: pd.DataFrame,
    *,
    prefix: str,
    run_id: int,
    as_of: date,
) -> int:
    """Create ``{prefix}orphans`` from ``{prefix}`` records, members and pairs; return its rows.

    ``decided``: the effective link/expected decision per (record_key, expectation),
    columns record_key, expectation, action, decision_id, reviewer, reason and the
    resolution it gives (an orphan without one is open).
    """
    con.execute("DROP TABLE IF EXISTS _orphan_hits")
    con.execute(
        "CREATE TEMP TABLE _orphan_hits (expectation VARCHAR, kind VARCHAR, object VARCHAR, "
        "description VARCHAR, severity VARCHAR, record_key VARCHAR, target_object VARCHAR, "
        "target_system VARCHAR, detail VARCHAR)"
    )
    con.register("_orphan_decided", decided)
    try:
        for exp in expectations:
            if exp.kind == "counterpart":
                _insert_counterpart_hits(con, exp, prefix)
            else:
                _insert_reference_hits(con, exp, prefix)
        con.execute(f"DROP TABLE IF EXISTS {prefix}orphans")
        con.execute(f"CREATE TABLE {prefix}orphans AS {_orphans_sql(prefix)}", [run_id, as_of])
    finally:
        con.unregister("_orphan_decided")
        con.execute("DROP TABLE IF EXISTS _orphan_hits")
    return int(con.execute(f"SELECT count(*) FROM {prefix}orphans").fetchall()[0][0])


def _selected(exp: Expectation, prefix: str) -> str:
    # the records the expectation applies to; the analyst's condition is rules text, not input
    cond = f" AND ({exp.where})" if exp.where else ""
    return f"(SELECT * FROM {prefix}{TABLES[exp.object]} WHERE list_contains(?, system){cond})"


def _insert_counterpart_hits(con: duckdb.DuckDBPyConnection, exp: Expectation, prefix: str) -> None:
    records = f"{prefix}{TABLES[exp.object]}"
    members = f"{prefix}{exp.object}_members"
    con.execute(
        f"""
        INSERT INTO _orphan_hits
        WITH reach AS (
            SELECT DISTINCT m.entity_id FROM {members} m JOIN {records} o USING (record_key)
            WHERE o.system = ?
        )
        SELECT ?, 'counterpart', ?, ?, ?, r.record_key, ?, ?,
               'no linked ' || ? || ' record in ' || ?
        FROM {_selected(exp, prefix)} r
        LEFT JOIN {members} m USING (record_key)
        WHERE m.entity_id IS NULL OR m.entity_id NOT IN (SELECT entity_id FROM reach)
        """,
        [
            exp.counterpart,
            exp.name,
            exp.object,
            exp.description,
            exp.severity,
            exp.object,
            exp.counterpart,
            exp.object,
            exp.counterpart,
            list(exp.systems),
        ],
    )


def _insert_reference_hits(con: duckdb.DuckDBPyConnection, exp: Expectation, prefix: str) -> None:
    con.execute(
        f"""
        INSERT INTO _orphan_hits
        SELECT ?, 'reference', ?, ?, ?, r.record_key, 'customer', r.system,
               'customer_ref ' || coalesce(r.customer_ref, '(empty)')
               || ' is not a customer of ' || r.system
        FROM {_selected(exp, prefix)} r
        WHERE NOT EXISTS (
            SELECT 1 FROM {prefix}customers c
            WHERE c.system = r.system AND c.source_id = r.customer_ref
        )
        """,
        [exp.name, exp.object, exp.description, exp.severity, list(exp.systems)],
    )


def _orphans_sql(p: str) -> str:
    """The final orphan rows: hits + record facts + nearest candidate + resolution.

    Parameters: run_id, as_of.
    """
    return f"""
    WITH recs AS (
        SELECT 'customer' AS object, record_key, system, source_id,
               {DATE_COLUMN["customer"]} AS record_date, NULL::BIGINT AS amount_cents
        FROM {p}customers
        WHERE record_key IN (SELECT record_key FROM _orphan_hits WHERE object = 'customer')
        UNION ALL
        SELECT 'invoice', record_key, system, source_id, {DATE_COLUMN["invoice"]}, amount_cents
        FROM {p}invoices
        WHERE record_key IN (SELECT record_key FROM _orphan_hits WHERE object = 'invoice')
    ),
    pair_sides AS (
        {pair_sides_sql(p, "customer")}
        UNION ALL
        {pair_sides_sql(p, "invoice")}
    ),
    pair_best AS (
        SELECT expectation, record_key,
               arg_max(cand, struct_pack(pr := match_probability, k := cand)) AS cand,
               max(match_probability) AS prob
        FROM pair_sides GROUP BY ALL
    ),
    ref_best AS (
        SELECT h.expectation, h.record_key,
               min(c3.record_key) AS cand,
               arg_min(cm2.entity_id, c3.record_key) AS cand_entity
        FROM _orphan_hits h
        JOIN {p}invoice_members im ON im.record_key = h.record_key
        JOIN {p}invoice_members im2
          ON im2.entity_id = im.entity_id AND im2.record_key <> im.record_key
        JOIN {p}invoices i2 ON i2.record_key = im2.record_key
        JOIN {p}customers c2 ON c2.system = i2.system AND c2.source_id = i2.customer_ref
        JOIN {p}customer_members cm2 ON cm2.record_key = c2.record_key
        JOIN {p}customer_members cm3 ON cm3.entity_id = cm2.entity_id
        JOIN {p}customers c3 ON c3.record_key = cm3.record_key AND c3.system = h.target_system
        WHERE h.kind = 'reference'
        GROUP BY ALL
    ),
    ent AS (
        SELECT record_key, entity_id FROM {p}customer_members
        WHERE record_key IN (SELECT cand FROM pair_best)
        UNION ALL
        SELECT record_key, entity_id FROM {p}invoice_members
        WHERE record_key IN (SELECT cand FROM pair_best)
    )
    SELECT 'O-' || substr(md5(h.expectation || '|' || h.record_key), 1, 16) AS orphan_id,
           ?::BIGINT AS run_id,
           h.object, r.system, r.source_id, h.record_key, h.expectation, h.kind,
           h.description, h.severity, h.detail, h.target_object, h.target_system,
           r.record_date,
           date_diff('day', r.record_date, ?::DATE)::BIGINT AS age_days,
           r.amount_cents,
           coalesce(pb.cand, rb.cand) AS candidate_record_key,
           coalesce(e.entity_id, rb.cand_entity) AS candidate_entity_id,
           pb.prob AS candidate_probability,
           CASE WHEN pb.cand IS NOT NULL THEN 'pair'
                WHEN rb.cand IS NOT NULL THEN 'linked_invoice' END AS candidate_via,
           coalesce(d.resolution, 'open') AS resolution,
           d.decision_id::BIGINT AS decision_id,
           d.reviewer AS resolved_by,
           d.reason AS resolution_reason
    FROM _orphan_hits h
    JOIN recs r ON r.record_key = h.record_key AND r.object = h.object
    LEFT JOIN pair_best pb ON pb.expectation = h.expectation AND pb.record_key = h.record_key
    LEFT JOIN ref_best rb ON rb.expectation = h.expectation AND rb.record_key = h.record_key
    LEFT JOIN ent e ON e.record_key = pb.cand
    LEFT JOIN _orphan_decided d ON d.record_key = h.record_key AND d.expectation = h.expectation
    ORDER BY orphan_id
    """


def pair_sides_sql(p: str, obj: str) -> str:
    # both orientations of every scored pair touching a counterpart orphan of this object
    return f"""
        SELECT h.expectation, h.record_key, x.record_key_r AS cand, x.match_probability
        FROM _orphan_hits h JOIN {p}{obj}_pairs x
          ON x.record_key_l = h.record_key AND x.system_r = h.target_system
        WHERE h.kind = 'counterpart' AND h.object = '{obj}'
        UNION ALL
        SELECT h.expectation, h.record_key, x.record_key_l, x.match_probability
        FROM _orphan_hits h JOIN {p}{obj}_pairs x
          ON x.record_key_r = h.record_key AND x.system_l = h.target_system
        WHERE h.kind = 'counterpart' AND h.object = '{obj}'"""


def orphan_row(con: duckdb.DuckDBPyConnection, orphan_id: str) -> dict[str, Any] | None:
    """One row of the published ``orphans`` table (which must exist), or None."""
    cur = con.execute("SELECT * FROM orphans WHERE orphan_id = ?", [orphan_id])
    rows = cur.fetchall()
    if not rows:
        return None
    names = [c[0] for c in cur.description]
    return dict(zip(names, rows[0], strict=True))


ORPHAN_ORDER = {
    "id": "orphan_id",
    "money": "amount_cents DESC NULLS LAST, age_days DESC NULLS LAST, orphan_id",
}


def orphan_page(
    con: duckdb.DuckDBPyConnection,
    decided: pd.DataFrame,
    undone: pd.DataFrame,
    *,
    object: str | None,
    system: str | None,
    expectation: str | None,
    include_resolved: bool,
    after_id: str | None,
    sort: str,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Up to ``limit`` rows of ``orphans`` in ``sort`` order (``ORPHAN_ORDER``), with the
    decisions in force now laid over the run's resolution.

    ``decided``: the effective link/expected decision and its resolution per
    (record_key, expectation), as for :func:`stage_orphans_table`;
    ``undone``: the ids of decisions an undo reversed (column ``undoes``): an orphan the
    run resolved by an undone decision shows as open. ``after_id`` starts after that
    orphan id; ``offset`` skips rows. The table must exist.
    """
    con.register("_orphan_decided", decided)
    con.register("_orphan_undone", undone)
    try:
        cur = con.execute(
            f"""
            WITH o AS (
                SELECT o.* REPLACE (
                    coalesce(d.resolution,
                             CASE WHEN o.decision_id IN (SELECT undoes FROM _orphan_undone)
                                  THEN 'open' ELSE o.resolution END) AS resolution,
                    coalesce(d.decision_id, o.decision_id) AS decision_id,
                    coalesce(d.reviewer, o.resolved_by) AS resolved_by,
                    coalesce(d.reason, o.resolution_reason) AS resolution_reason)
                FROM orphans o
                LEFT JOIN _orphan_decided d
                  ON d.record_key = o.record_key AND d.expectation = o.expectation
            )
            SELECT * FROM o
            WHERE (?::VARCHAR IS NULL OR object = ?)
              AND (?::VARCHAR IS NULL OR system = ?)
              AND (?::VARCHAR IS NULL OR expectation = ?)
              AND (? OR resolution = 'open')
              AND (?::VARCHAR IS NULL OR orphan_id > ?)
            ORDER BY {ORPHAN_ORDER[sort]}
            LIMIT ? OFFSET ?
            """,
            [
                object,
                object,
                system,
                system,
                expectation,
                expectation,
                include_resolved,
                after_id,
                after_id,
                limit,
                offset,
            ],
        )
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.unregister("_orphan_decided")
        con.unregister("_orphan_undone")


def resolution_counts(
    con: duckdb.DuckDBPyConnection, *, prefix: str = ""
) -> list[tuple[str, str, int]]:
    """(expectation, resolution, orphans) of ``{prefix}orphans``; empty without the table."""
    if not table_exists(con, f"{prefix}orphans"):
        return []
    return [
        (exp, res, int(n))
        for exp, res, n in con.execute(
            f"SELECT expectation, resolution, count(*) FROM {prefix}orphans "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    ]


def expectation_summaries(
    con: duckdb.DuckDBPyConnection, *, prefix: str = ""
) -> list[dict[str, Any]]:
    """Per expectation of ``{prefix}orphans`` (in name order): its object, severity,
    description, counterpart target system, systems, open and resolved orphans, open
    amount (cents) and total; empty without the table."""
    if not table_exists(con, f"{prefix}orphans"):
        return []
    return dict_rows(
        con,
        f"""SELECT expectation, object, any_value(severity) AS severity,
                   any_value(description) AS description,
                   any_value(target_system) FILTER (kind = 'counterpart') AS target,
                   list(DISTINCT system ORDER BY system) AS systems,
                   count(*) FILTER (resolution = 'open') AS open,
                   count(*) FILTER (resolution <> 'open') AS resolved,
                   coalesce(sum(amount_cents) FILTER (resolution = 'open'), 0) AS amount_cents,
                   count(*) AS total
            FROM {prefix}orphans GROUP BY ALL ORDER BY expectation""",
    )


def open_orphans(
    con: duckdb.DuckDBPyConnection, expectation: str, *, limit: int, prefix: str = ""
) -> list[dict[str, Any]]:
    """The first ``limit`` open orphans of one expectation (by id): orphan_id,
    record_key, amount_cents, age_days, candidate_record_key."""
    return dict_rows(
        con,
        f"SELECT orphan_id, record_key, amount_cents, age_days, candidate_record_key "
        f"FROM {prefix}orphans WHERE expectation = ? AND resolution = 'open' "
        f"ORDER BY orphan_id LIMIT {int(limit)}",
        [expectation],
    )
