"""Merge proposals: the work a run leaves for reviewers.

One proposal per entity that would change something — two or more records of one
system (``duplicate``: merge them) or records across systems not yet confirmed
(``link``: confirm they are one) — and one per review-band pair whose records sit
in different entities (``review_pair``). An entity that is exactly one group of a
split in force, on the data it was split on, is not proposed: the reviewer has
answered it. Each carries its members, per-pair
evidence (every comparison's level and match weight), a confidence (the weakest
auto-link inside it), a suggested action, and what is at stake (open invoice
amounts). The golden record is read beside it from ``<object>_golden``.

A proposal's id is keyed by records, never by a run's cluster number: an entity's
proposal is "P-<entity id>", a pair's is a hash of its two record keys. Its
``members_key`` (:func:`resolver.store.journal.members_key`, computed here in SQL) is a hash of its members and their content hashes (what a decision was taken
on: :mod:`resolver.store.content_hash`); its ``version`` also covers the evidence, so it changes whenever any of them
change. Built in SQL: a million records' proposals take seconds, not minutes.
"""

from __future__ import annotations

import json
from collections import defaultdict

import duckdb
import pandas as pd

from resolver.linkage.model import Model
from resolver.linkage.rules import LinkageRules
from resolver.review.decisions import effective, pair_rules
from resolver.store.journal import members_key

# the layout of <object>_proposals lives with the store's other layouts
from resolver.store.schema import PROPOSAL_COLUMNS as PROPOSAL_COLUMNS

# invoice statuses whose amount is still owed: what a wrong merge puts at stake
_OPEN_STATUSES = ("open", "overdue")
MAX_EVIDENCE_PAIRS = 25  # per proposal; the strongest first


def level_labels(model: Model) -> dict[str, dict[int, str]]:
    """comparison name -> {gamma value: level label}, as Splink numbers them."""
    out = {}
    for comp in model.splink["comparisons"]:
        levels = comp["comparison_levels"]
        n = sum(1 for lv in levels if not lv.get("is_null_level"))
        labels, counter = {}, n - 1
        for lv in levels:
            if lv.get("is_null_level"):
                labels[-1] = lv["label_for_charts"]
            else:
                labels[counter] = lv["label_for_charts"]
                counter -= 1
        out[comp["output_column_name"]] = labels
    return out


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _evidence_struct(model: Model, pair_columns: set[str]) -> str:
    """SQL struct of one pair's evidence: keys, score, band, veto and per-field levels."""
    fields = []
    for name, labels in level_labels(model).items():
        if f"gamma_{name}" not in pair_columns:
            continue
        cases = " ".join(f"WHEN {g} THEN {_sql_text(lab)}" for g, lab in labels.items())
        fields.append(
            f"{_sql_text(name)}: {{'level': CASE p.gamma_{name} {cases} END, "
            f"'match_weight': round(p.mw_{name}, 3)}}"
        )
    field_struct = "{" + ", ".join(fields) + "}" if fields else "NULL"
    return (
        "{'record_key_l': p.record_key_l, 'record_key_r': p.record_key_r, "
        "'match_probability': round(p.match_probability, 6), "
        "'match_weight': round(p.match_weight, 3), "
        "'term_frequency_weight': round(coalesce(p.mw_term_frequency, 0), 3), "
        f"'band': p.band, 'veto': p.veto, 'fields': {field_struct}}}"
    )


def stage_proposals(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    *,
    rules: LinkageRules,
    model: Model,
    run_id: int,
) -> int:
    """Build this run's proposals for one object into ``stage_<obj>_proposals``."""
    records = "stage_customers" if obj == "customer" else "stage_invoices"
    pairs, members = f"stage_{obj}_pairs", f"stage_{obj}_members"
    pair_columns = {r[0] for r in con.execute(f"DESCRIBE {pairs}").fetchall()}
    evidence = _evidence_struct(model, pair_columns)
    auto_merge = rules.doc.get("thresholds", {}).get("auto_merge")
    _register_decision_tables(con, obj)
    _stage_stake(con, obj)
    prefix = "P-"  # pair proposals: entity proposals are P-CUS- / P-INV-
    merge_rule = f"WHEN e.confidence >= {float(auto_merge)} THEN 'auto_merge'" if auto_merge else ""
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
                        FILTER (WHERE rank <= {MAX_EVIDENCE_PAIRS}) || ']' AS evidence
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
    for name in ("_stake", "_confirmed", "_rejected", "_settled"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return con.execute(f"SELECT count(*) FROM stage_{obj}_proposals").fetchall()[0][0]


def _stage_stake(con: duckdb.DuckDBPyConnection, obj: str) -> None:
    """_stake(record_key, stake_cents): open invoice amounts per customer record, or the
    invoice's own amount while it is open."""
    statuses = list(_OPEN_STATUSES)
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


def _register_decision_tables(con: duckdb.DuckDBPyConnection, obj: str) -> None:
    """_confirmed(entity_id): entities whose records a reviewer accepted together;
    _rejected(record_key_l, record_key_r): pairs rejected while their data is unchanged;
    _settled(members_key): the groups of splits in force, each with the data it was
    split on (an entity with that ``members_key`` is not proposed again)."""
    groups = _confirmed_groups(con, obj)
    wanted = sorted({k for g in groups for k in g})
    confirmed = []
    if wanted:  # the entities holding a reviewed record, and all their records
        touched = con.execute(
            f"SELECT entity_id, list(record_key) AS keys FROM stage_{obj}_members "
            f"WHERE entity_id IN (SELECT entity_id FROM stage_{obj}_members "
            f"WHERE list_contains(?, record_key)) GROUP BY entity_id",
            [wanted],
        ).fetchall()
        confirmed = [e for e, keys in touched if any(set(keys) <= g for g in groups)]
    rejected = [k for k, (kind, _) in pair_rules(con, obj).items() if kind == "cannot"]
    settled = _split_group_keys(con, obj)
    for name, frame in (
        ("_confirmed", pd.DataFrame({"entity_id": pd.Series(confirmed, dtype=object)})),
        ("_settled", pd.DataFrame({"members_key": pd.Series(settled, dtype=object)})),
        (
            "_rejected",
            pd.DataFrame(rejected, columns=["record_key_l", "record_key_r"], dtype=object),
        ),
    ):
        con.execute(f"DROP TABLE IF EXISTS {name}")
        con.register("_frame", frame)
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM _frame")
        con.unregister("_frame")
        if frame.empty:  # keep the column types VARCHAR
            cols = ", ".join(f"{c} VARCHAR" for c in frame.columns)
            con.execute(f"DROP TABLE {name}")
            con.execute(f"CREATE TEMP TABLE {name} ({cols})")


def _confirmed_groups(con: duckdb.DuckDBPyConnection, obj: str) -> list[frozenset[str]]:
    """Record sets a reviewer accepted together (accept, or each group of a split)."""
    d = effective(con, obj)
    groups: list[frozenset[str]] = []
    for row in d.itertuples(index=False):
        if row.action == "accept":
            groups.append(frozenset(row.record_keys))
        elif row.action == "split":
            groups.extend(frozenset(g) for g in json.loads(row.groups) if len(g) > 1)
    return groups


def _split_group_keys(con: duckdb.DuckDBPyConnection, obj: str) -> list[str]:
    """The ``members_key`` of each group (of two or more records) of the splits in
    force: its records with the hashes the split journaled for them."""
    out: set[str] = set()
    for row in effective(con, obj).itertuples(index=False):
        if row.action != "split" or not row.groups:
            continue
        hashes = json.loads(row.record_hashes or "{}")
        for g in json.loads(row.groups):
            if len(g) > 1 and all(k in hashes for k in g):
                out.add(members_key({k: hashes[k] for k in g}))
    return sorted(out)


def proposal_counts(con: duckdb.DuckDBPyConnection, obj: str) -> dict[str, int]:
    rows = con.execute(
        f"SELECT kind, suggested_action, count(*) FROM stage_{obj}_proposals GROUP BY 1, 2"
    ).fetchall()
    out: dict[str, int] = defaultdict(int)
    for kind, action, n in rows:
        out[f"{kind}/{action}"] += n
    return dict(out)
