"""What the batch job's stages read from and write to the building file.

A run computes into ``stage_*`` tables (published together by
:func:`resolver.store.connection.publish`); the stages in :mod:`resolver.pipeline`
call these functions and run no SQL of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from resolver.store.connection import PUBLISHABLE_TABLES, finish_building, publish
from resolver.store.runs import (
    RUN_TABLES,
    append_events_sql,
    complete_run_sql,
    next_number_sql,
    write_stage,
)
from resolver.store.schema import (
    MEMBER_COLUMNS,
    PAIR_COLUMNS,
    PROPOSAL_COLUMNS,
    create_table_sql,
)

Edges = tuple[np.ndarray, np.ndarray]


def input_sql(
    obj: str, columns: list[str] | None, *, prefix: str = "stage_", where: str = ""
) -> str:
    """SQL for the table handed to Splink: ``columns`` (None: every stored column), and
    for invoices the entity of the customer each one's ``customer_ref`` names
    (``customer_entity_id``).

    ``prefix`` picks staged ("stage_") or published ("") tables; ``where`` filters ``r``.
    """
    if columns is None:
        select = "r.*"
    else:
        select = ", ".join(f"r.{c}" for c in columns if c != "customer_entity_id")
    if obj == "customer":
        return f"SELECT {select} FROM {prefix}customers r {where} ORDER BY r.record_key"
    return f"""
        SELECT {select}, cm.entity_id AS customer_entity_id
        FROM {prefix}invoices r
        LEFT JOIN {prefix}customers c ON c.system = r.system AND c.source_id = r.customer_ref
        LEFT JOIN {prefix}customer_members cm ON cm.record_key = c.record_key
        {where}
        ORDER BY r.record_key"""


def read_input(con: duckdb.DuckDBPyConnection, obj: str, columns: list[str]) -> pa.Table:
    """This run's staged records of ``obj`` as Splink takes them (:func:`input_sql`)."""
    return con.sql(input_sql(obj, columns)).to_arrow_table()


def members_sql(obj: str) -> str:
    """This run's staged records of ``obj`` with their entity (and, for invoices, their
    customer's entity): what golden records are chosen from."""
    if obj == "customer":
        return (
            "SELECT r.*, m.entity_id FROM stage_customers r "
            "JOIN stage_customer_members m USING (record_key)"
        )
    return (
        "SELECT r.*, m.entity_id, cm.entity_id AS customer_entity_id FROM stage_invoices r "
        "JOIN stage_invoice_members m USING (record_key) "
        "LEFT JOIN stage_customers c ON c.system = r.system AND c.source_id = r.customer_ref "
        "LEFT JOIN stage_customer_members cm ON cm.record_key = c.record_key"
    )


@dataclass(frozen=True)
class PairCounts:
    """What ``stage_<object>_pairs`` holds: pairs kept, by band, and vetoed."""

    kept: int
    auto_links: int
    review: int
    vetoed: int


def stage_pairs(
    con: duckdb.DuckDBPyConnection, obj: str, pairs: pa.Table | pd.DataFrame, band_sql: str
) -> PairCounts:
    """stage_<object>_pairs = the scored ``pairs``, each banded by ``band_sql`` on the way in."""
    con.execute(f"DROP TABLE IF EXISTS stage_{obj}_pairs")
    con.register("_scored_pairs", pairs)
    try:  # written once, banded on the way in
        con.execute(
            f"CREATE TABLE stage_{obj}_pairs AS SELECT *, {band_sql} AS band FROM _scored_pairs"
        )
    finally:
        con.unregister("_scored_pairs")
    counts = con.execute(
        f"SELECT count(*), count(*) FILTER (band = 'auto_link'), "
        f"count(*) FILTER (band = 'review'), count(*) FILTER (veto IS NOT NULL) "
        f"FROM stage_{obj}_pairs"
    ).fetchall()[0]
    return PairCounts(*(int(x) for x in counts))


@dataclass(frozen=True)
class Graph:
    """The staged pairs of one object as node numbers (positions in record-key order):
    auto-links with their weights, vetoed pairs, and the decision pairs given."""

    links: tuple[np.ndarray, np.ndarray, np.ndarray]
    vetoed: Edges
    must_link: Edges
    kept_apart: Edges


def pair_graph(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    record_keys: pa.Array | pa.ChunkedArray,
    *,
    must_link: pd.DataFrame,
    kept_apart: pd.DataFrame,
) -> Graph:
    """stage_<object>_pairs and the decision pairs as node numbers of ``record_keys``
    (sorted). Decision pairs keep their order; records no longer loaded drop out."""
    # node numbers are positions in record-key order, mapped in SQL: a million
    # string look-ups in pandas cost seconds
    con.register("_link_keys", pa.table({"record_key": record_keys}))
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _node AS SELECT record_key, "
            "(row_number() OVER (ORDER BY record_key) - 1)::BIGINT AS i FROM _link_keys"
        )
    finally:
        con.unregister("_link_keys")
    try:
        links = con.execute(
            f"SELECT a.i AS l, b.i AS r, p.match_weight AS w FROM stage_{obj}_pairs p "
            f"JOIN _node a ON a.record_key = p.record_key_l "
            f"JOIN _node b ON b.record_key = p.record_key_r WHERE p.band = 'auto_link'"
        ).fetchnumpy()
        vetoed = con.execute(
            f"SELECT a.i AS l, b.i AS r FROM stage_{obj}_pairs p "
            f"JOIN _node a ON a.record_key = p.record_key_l "
            f"JOIN _node b ON b.record_key = p.record_key_r WHERE p.veto IS NOT NULL"
        ).fetchnumpy()
        return Graph(
            links=(np.asarray(links["l"]), np.asarray(links["r"]), np.asarray(links["w"])),
            vetoed=(
                np.asarray(vetoed["l"], dtype=np.int64),
                np.asarray(vetoed["r"], dtype=np.int64),
            ),
            must_link=_indexed(con, must_link),
            kept_apart=_indexed(con, kept_apart),
        )
    finally:
        con.execute("DROP TABLE _node")


def _indexed(con: duckdb.DuckDBPyConnection, pairs: pd.DataFrame) -> Edges:
    """Node numbers of decision pairs, in their order (records no longer loaded drop
    out: their decisions are moot)."""
    if pairs.empty:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    frame = pairs[["record_key_l", "record_key_r"]].astype(object)
    con.register("_pairs", frame.assign(ord=np.arange(len(frame), dtype=np.int64)))
    try:
        out = con.execute(
            "SELECT a.i AS l, b.i AS r FROM _pairs p JOIN _node a ON a.record_key = p.record_key_l "
            "JOIN _node b ON b.record_key = p.record_key_r ORDER BY p.ord"
        ).fetchnumpy()
    finally:
        con.unregister("_pairs")
    return np.asarray(out["l"], dtype=np.int64), np.asarray(out["r"], dtype=np.int64)


def stage_members(con: duckdb.DuckDBPyConnection, obj: str, members: Any) -> None:
    """stage_<object>_members = ``members`` (record_key, entity_id)."""
    write_stage(con, f"{obj}_members", members)


def stage_golden(con: duckdb.DuckDBPyConnection, obj: str, golden_select: str) -> None:
    """stage_<object>_golden = ``golden_select``, a query over :func:`members_sql`."""
    con.execute(f"DROP TABLE IF EXISTS stage_{obj}_golden")
    con.execute(f"CREATE TABLE stage_{obj}_golden AS {golden_select}")


@contextmanager
def golden_picks_table(con: duckdb.DuckDBPyConnection, picks: pd.DataFrame) -> Iterator[str | None]:
    """Reviewers' golden-record picks as a temporary table while the golden records are
    built (None: no pick), dropped after."""
    if picks.empty:
        yield None
        return
    con.register("_golden_picks_df", picks)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _golden_picks AS SELECT * FROM _golden_picks_df")
    finally:
        con.unregister("_golden_picks_df")
    try:
        yield "_golden_picks"
    finally:
        con.execute("DROP TABLE IF EXISTS _golden_picks")


def stage_empty(con: duckdb.DuckDBPyConnection, obj: str, golden_select: str) -> None:
    """The staged tables of an object no source delivers: empty, in the real layouts."""
    for name, columns in (
        (f"stage_{obj}_pairs", PAIR_COLUMNS),
        (f"stage_{obj}_members", MEMBER_COLUMNS),
    ):
        con.execute(f"DROP TABLE IF EXISTS {name}")
        con.execute(create_table_sql(name, columns))
    stage_golden(con, obj, golden_select)
    con.execute(f"DROP TABLE IF EXISTS stage_{obj}_proposals")
    con.execute(create_table_sql(f"stage_{obj}_proposals", PROPOSAL_COLUMNS))


def publish_run(
    con: duckdb.DuckDBPyConnection,
    db_path: Path | str,
    *,
    run_id: int,
    started_at: str,
    summary: dict[str, Any],
    next_numbers: dict[str, int],
    finished_at: datetime | None = None,
    beside: Callable[[duckdb.DuckDBPyConnection, Path], object] | None = None,
) -> None:
    """Swap in every staged table of the run at once, with its entity events, the next
    free entity numbers (one per object) and the run recorded complete; then put the
    building file in place of the live one (``beside``: see ``finish_building``)."""
    tables = ["customers", "invoices", "rejects", "source_loads", "orphans", "reports"]
    tables += [t.format(o=o) for o in next_numbers for t in RUN_TABLES]
    extra = [next_number_sql(o, n) for o, n in next_numbers.items()]
    extra += append_events_sql()
    extra.append(complete_run_sql(run_id, started_at, summary, finished_at=finished_at))
    publish(con, tables, extra_sql=extra)
    finish_building(con, db_path, required=(*PUBLISHABLE_TABLES, "runs"), beside=beside)
