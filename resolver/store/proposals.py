"""The ``<object>_proposals`` tables: how a run builds them in ``stage_<object>_proposals``
from the staged records, members and pairs, the temp tables the build reads (the
stake per record, the reviewers' confirmed, rejected and settled groups), and the
reads the review view makes of the published ones.

Which proposals a run makes and what a decision settles are decided in
``resolver.review.make_proposals``; this module only knows the tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd
import pyarrow as pa

from resolver.store.connection import sorted_reader

# the decision tables stage_proposals_table reads, registered by the caller
DECISION_TABLES = ("_confirmed", "_rejected", "_settled")


def stage_stake(con: duckdb.DuckDBPyConnection, obj: str, open_statuses: Sequence[str]) -> None:
    """_stake(record_key, stake_cents): open invoice amounts (invoices whose status is
    one of ``open_statuses``) per customer record, or the invoice's own amount while it
    is open."""
    statuses = list(open_statuses)
    con.execute("DROP TABLE IF EXISTS _stake")
    if obj == "invoice":
        con.execute(
            "CREATE TEMP TABLE _stake AS SELECT record_key, coalesce(amount_cents, 0) AS "
            "stake_cents FROM stage_invoices WHERE list_contains(?, status)",
            [statuses],
        )
    else:
        con.execute(
            "CREATE TEMP TABLE _stake AS SELECT c.record_key, "
            "sum(coalesce(i.amount_cents, 0)) AS stake_cents FROM stage_invoices i "
            "JOIN stage_customers c ON c.system = i.system AND c.source_id = i.customer_ref "
            "WHERE list_contains(?, i.status) GROUP BY 1",
            [statuses],
        )


def entities_holding(
    con: duckdb.DuckDBPyConnection, obj: str, record_keys: Sequence[str]
) -> list[tuple[str, list[str]]]:
    """(entity id, all its record keys) of the staged entities holding any of
    ``record_keys``."""
    return con.execute(
        f"SELECT entity_id, list(record_key) AS keys FROM stage_{obj}_members "
        f"WHERE entity_id IN (SELECT entity_id FROM stage_{obj}_members "
        f"WHERE list_contains(?, record_key)) GROUP BY entity_id",
        [list(record_keys)],
    ).fetchall()


def temp_key_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """The temp table ``name`` holding ``frame`` (its columns VARCHAR when it is empty)."""
    con.execute(f"DROP TABLE IF EXISTS {name}")
    con.register("_frame", frame)
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM _frame")
    con.unregister("_frame")
    if frame.empty:  # keep the column types VARCHAR
        cols = ", ".join(f"{c} VARCHAR" for c in frame.columns)
        con.execute(f"DROP TABLE {name}")
        con.execute(f"CREATE TEMP TABLE {name} ({cols})")


def stage_proposals_table(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    *,
    evidence: str,
    merge_rule: str,
    run_id: int,
    max_evidence_pairs: int,
) -> int:
    """Build ``stage_<obj>_proposals`` from the staged records, members and pairs and
    the temp tables ``_stake`` and :data:`DECISION_TABLES`, which it drops; return its
    rows. ``evidence``: the SQL struct of one pair ``p``'s evidence; ``merge_rule``: a
    ``WHEN ... THEN 'auto_merge'`` clause of the suggested action, or ''."""
    records = "stage_customers" if obj == "customer" else "stage_invoices"
    pairs, members = f"stage_{obj}_pairs", f"stage_{obj}_members"
    prefix = "P-"  # pair proposals: entity proposals are P-CUS- / P-INV-
    con.execute(f"DROP TABLE IF EXISTS stage_{obj}_proposals")
    con.execute(f"""
    CREATE TABLE stage_{obj}_proposals AS
    WITH m AS (
        SELECT m.entity_id, r.record_key, r.system, r.content_hash,
               coalesce(s.stake_cents, 0) AS stake_cents
        FROM {members} m JOIN {records} r USING (record_key)
        LEFT JOIN _stake s USING (record_key)
    ),
    multi AS (SELECT entity_id FROM m GROUP BY entity_id HAVING count(*) > 1),
    groups AS (
        SELECT m.entity_id,
               list(m.record_key ORDER BY m.record_key) AS record_keys,
               list(DISTINCT m.system ORDER BY m.system) AS systems,
               count(*) AS n, count(DISTINCT m.system) AS n_systems,
               sum(m.stake_cents)::BIGINT AS stake_cents,
               md5(string_agg(m.record_key || '=' || m.content_hash, '|' ORDER BY m.record_key))
                 AS members_key
        FROM m JOIN multi USING (entity_id) GROUP BY m.entity_id
    ),
    inside AS (
        SELECT ml.entity_id, p.*,
               row_number() OVER (PARTITION BY ml.entity_id
                                  ORDER BY p.match_weight DESC, p.record_key_l, p.record_key_r)
                 AS rank
        FROM {pairs} p
        JOIN {members} ml ON ml.record_key = p.record_key_l
        JOIN {members} mr ON mr.record_key = p.record_key_r
        WHERE ml.entity_id = mr.entity_id
    ),
    ev AS (
        SELECT entity_id,
               coalesce(min(match_probability) FILTER (WHERE band = 'auto_link'), 1.0)
                 AS confidence,
               -- the JSON list built as text from each pair's JSON (the same bytes as
               -- to_json of the list): an ordered list of nested structs costs 3x more
               '[' || string_agg(to_json({evidence})::VARCHAR, ',' ORDER BY rank)
                        FILTER (WHERE rank <= {int(max_evidence_pairs)}) || ']' AS evidence
        FROM inside p GROUP BY entity_id
    ),
    e AS (
        SELECT g.*, coalesce(ev.confidence, 1.0) AS confidence,
               coalesce(ev.evidence, '[]') AS evidence
        FROM groups g LEFT JOIN ev USING (entity_id)
    ),
    entity_proposals AS (
        SELECT '{prefix}' || e.entity_id AS proposal_id, '{obj}' AS object,
               CASE WHEN e.n > e.n_systems THEN 'duplicate' ELSE 'link' END AS kind,
               [e.entity_id] AS entity_ids, e.record_keys, e.systems,
               round(e.confidence, 6) AS confidence,
               CASE WHEN c.entity_id IS NOT NULL THEN 'none' {merge_rule} ELSE 'review' END
                 AS suggested_action,
               e.stake_cents, e.n AS records_affected,
               left(md5(e.members_key || e.evidence), 12) AS version,
               e.members_key, e.evidence
        FROM e LEFT JOIN _confirmed c USING (entity_id)
        -- a split group that is now exactly an entity, on the data it was split on:
        -- the reviewer has answered it (the split's own proposal keeps the history)
        WHERE e.members_key NOT IN (SELECT members_key FROM _settled)
    ),
    review AS (
        SELECT p.*, ml.entity_id AS entity_l, mr.entity_id AS entity_r
        FROM {pairs} p
        JOIN {members} ml ON ml.record_key = p.record_key_l
        JOIN {members} mr ON mr.record_key = p.record_key_r
        WHERE p.band = 'review' AND ml.entity_id <> mr.entity_id
          AND NOT EXISTS (SELECT 1 FROM _rejected x WHERE x.record_key_l = p.record_key_l
                                                   AND x.record_key_r = p.record_key_r)
    ),
    pair_proposals AS (
        SELECT 'R-' || left(sha256(p.record_key_l || '|' || p.record_key_r), 16) AS proposal_id,
               '{obj}' AS object, 'review_pair' AS kind,
               list_sort(list_distinct([p.entity_l, p.entity_r])) AS entity_ids,
               [p.record_key_l, p.record_key_r] AS record_keys,
               list_sort(list_distinct([ml.system, mr.system])) AS systems,
               round(p.match_probability, 6) AS confidence, 'review' AS suggested_action,
               (coalesce(ml.stake_cents, 0) + coalesce(mr.stake_cents, 0))::BIGINT
                 AS stake_cents,
               2 AS records_affected,
               md5(least(p.record_key_l || '=' || ml.content_hash, p.record_key_r || '=' || mr.content_hash)
                   || '|' ||
                   greatest(p.record_key_l || '=' || ml.content_hash, p.record_key_r || '=' || mr.content_hash))
                 AS members_key,
               to_json([{evidence}])::VARCHAR AS evidence
        FROM review p
        JOIN m ml ON ml.record_key = p.record_key_l
        JOIN m mr ON mr.record_key = p.record_key_r
    )
    SELECT proposal_id, object, kind, entity_ids, record_keys, systems, confidence,
           suggested_action, stake_cents, records_affected, version, members_key, evidence,
           {int(run_id)} AS run_id
    FROM entity_proposals
    UNION ALL
    SELECT proposal_id, object, kind, entity_ids, record_keys, systems, confidence,
           suggested_action, stake_cents, records_affected,
           left(md5(members_key || evidence), 12) AS version, members_key, evidence,
           {int(run_id)} AS run_id
    FROM pair_proposals
    ORDER BY proposal_id
    """)
    for name in ("_stake", *DECISION_TABLES):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return con.execute(f"SELECT count(*) FROM stage_{obj}_proposals").fetchall()[0][0]


def kind_action_counts(con: duckdb.DuckDBPyConnection, obj: str) -> list[tuple[str, str, int]]:
    """(kind, suggested action, proposals) of ``stage_<obj>_proposals``."""
    return con.execute(
        f"SELECT kind, suggested_action, count(*) FROM stage_{obj}_proposals GROUP BY 1, 2"
    ).fetchall()


def proposal_rows(
    con: duckdb.DuckDBPyConnection, objects: Sequence[str], columns: Sequence[str]
) -> pa.Table:
    """``columns`` of every published proposal of ``objects``, in proposal-id order."""
    tables = [f"{o}_proposals" for o in objects]
    return sorted_reader(con, tables, "proposal_id", columns).read_all()


def evidence_reader(con: duckdb.DuckDBPyConnection, objects: Sequence[str]) -> pa.RecordBatchReader:
    """The evidence JSON of every published proposal of ``objects`` in proposal-id
    order, streamed (the connection is busy until the reader is drained; no 2 GB limit
    per column)."""
    tables = [f"{o}_proposals" for o in objects]
    return sorted_reader(con, tables, "proposal_id", ["evidence"], large_buffers=True)
