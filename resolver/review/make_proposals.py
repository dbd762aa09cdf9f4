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

from resolver.linkage.comparisons import level_labels
from resolver.linkage.model import Model
from resolver.linkage.rules import LinkageRules
from resolver.review.decisions import effective, pair_rules
from resolver.store import proposals
from resolver.store.connection import table_columns
from resolver.store.journal import members_key

# the layout of <object>_proposals lives with the store's other layouts
from resolver.store.schema import PROPOSAL_COLUMNS as PROPOSAL_COLUMNS

# invoice statuses whose amount is still owed: what a wrong merge puts at stake
_OPEN_STATUSES = ("open", "overdue")
MAX_EVIDENCE_PAIRS = 25  # per proposal; the strongest first


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _evidence_struct(model: Model, pair_columns: set[str]) -> str:
    """SQL struct of one pair's evidence: keys, score, band, veto and per-field levels."""
    fields = []
    for name, labels in level_labels(model.splink).items():
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
    pair_columns = set(table_columns(con, f"stage_{obj}_pairs"))
    evidence = _evidence_struct(model, pair_columns)
    auto_merge = rules.doc.get("thresholds", {}).get("auto_merge")
    _register_decision_tables(con, obj)
    proposals.stage_stake(con, obj, _OPEN_STATUSES)
    merge_rule = f"WHEN e.confidence >= {float(auto_merge)} THEN 'auto_merge'" if auto_merge else ""
    return proposals.stage_proposals_table(
        con,
        obj,
        evidence=evidence,
        merge_rule=merge_rule,
        run_id=run_id,
        max_evidence_pairs=MAX_EVIDENCE_PAIRS,
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
        touched = proposals.entities_holding(con, obj, wanted)
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
        proposals.temp_key_table(con, name, frame)


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
    out: dict[str, int] = defaultdict(int)
    for kind, action, n in proposals.kind_action_counts(con, obj):
        out[f"{kind}/{action}"] += n
    return dict(out)
