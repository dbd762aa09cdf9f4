"""Merge proposals: the work a run leaves for reviewers.

One proposal per entity that would change something — two or more records of one
system (``duplicate``: merge them) or records across systems not yet confirmed
(``link``: confirm they are one) — and one per review-band pair whose records sit
in different entities (``review_pair``). Each carries its members, the golden
record with each value's source, per-pair evidence (every comparison's level and
match weight), a confidence, a suggested action, and what is at stake.

A proposal's id is keyed by records, never by a run's cluster number: an entity's
proposal is "P-<entity id>", a pair's is a hash of its two record keys. Its
version is a hash of its members, their data and the evidence, so it changes
whenever any of them change.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

import duckdb
import pandas as pd

from resolver.decisions import effective, pair_rules
from resolver.linkage.model import Model
from resolver.linkage.rules import LinkageRules
from resolver.store import runs as store_runs

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
    members = con.execute(
        f"SELECT m.entity_id, r.record_key, r.system, r.row_hash FROM stage_{obj}_members m "
        f"JOIN {records} r USING (record_key) ORDER BY m.entity_id, r.record_key"
    ).df()
    pairs = con.execute(
        f"SELECT p.*, ml.entity_id AS entity_l, mr.entity_id AS entity_r "
        f"FROM stage_{obj}_pairs p "
        f"JOIN stage_{obj}_members ml ON ml.record_key = p.record_key_l "
        f"JOIN stage_{obj}_members mr ON mr.record_key = p.record_key_r "
        f"WHERE p.band <> 'none' OR ml.entity_id = mr.entity_id"
    ).df()
    golden = con.execute(f"SELECT * FROM stage_{obj}_golden").df().set_index("entity_id")
    golden = golden[golden["member_count"] > 1].astype(object)
    golden = golden.where(golden.notna(), None).to_dict("index")
    stake = _stake(con, obj)
    labels = level_labels(model)
    comparisons = list(labels)
    rule_pairs = pair_rules(con, obj)
    confirmed = _confirmed_groups(con, obj)
    auto_merge = rules.doc.get("thresholds", {}).get("auto_merge")

    by_entity: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for e, k, sys_, h in members.itertuples(index=False):
        by_entity[e].append((k, sys_, h))
    entity_of = dict(zip(members["record_key"], members["entity_id"], strict=True))
    pair_cols = list(pairs.columns)
    inside: dict[str, list[tuple]] = defaultdict(list)
    review: list[tuple] = []
    band_i, el_i, er_i = (pair_cols.index(c) for c in ("band", "entity_l", "entity_r"))
    for p in pairs.itertuples(index=False, name=None):
        if p[el_i] == p[er_i]:
            inside[p[el_i]].append(p)
        elif p[band_i] == "review":
            review.append(p)
    groups_of: dict[str, list[frozenset[str]]] = defaultdict(list)
    for g in confirmed:
        for k in g:
            groups_of[k].append(g)
    weight_i, prob_i = pair_cols.index("match_weight"), pair_cols.index("match_probability")

    rows: list[dict[str, Any]] = []
    for entity_id in sorted(e for e, m in by_entity.items() if len(m) > 1):
        group = by_entity[entity_id]
        keys = [k for k, _, _ in group]
        systems = [s_ for _, s_, _ in group]
        kind = "duplicate" if len(set(systems)) < len(systems) else "link"
        ev = sorted(inside.get(entity_id, []), key=lambda p: -p[weight_i])
        linked = [p[prob_i] for p in ev if p[band_i] == "auto_link"]
        confidence = float(min(linked)) if linked else 1.0
        confirmed_already = any(set(keys) <= g for g in groups_of.get(keys[0], ()))
        action = (
            "none"
            if confirmed_already  # a reviewer accepted these records together
            else "auto_merge"
            if auto_merge is not None and confidence >= float(auto_merge)
            else "review"
        )
        rows.append(
            _row(
                obj,
                f"P-{entity_id}",
                kind,
                [entity_id],
                group,
                ev,
                pair_cols,
                labels,
                comparisons,
                confidence,
                action,
                golden,
                stake,
                run_id,
            )
        )

    for p in review:
        key = (p[0], p[1])
        if rule_pairs.get(key, ("", 0))[0] == "cannot":
            continue  # rejected, data unchanged: never proposed again
        group = [t for k in key for t in by_entity[entity_of[k]] if t[0] == k]
        pid = "R-" + hashlib.sha1("|".join(key).encode()).hexdigest()[:16]
        rows.append(
            _row(
                obj,
                pid,
                "review_pair",
                sorted({p[el_i], p[er_i]}),
                group,
                [p],
                pair_cols,
                labels,
                comparisons,
                float(p[prob_i]),
                "review",
                golden,
                stake,
                run_id,
            )
        )
    frame = pd.DataFrame(rows, columns=PROPOSAL_COLUMNS)
    store_runs.write_stage(con, f"{obj}_proposals", frame)
    return len(frame)


PROPOSAL_COLUMNS = [
    "proposal_id",
    "object",
    "kind",
    "entity_ids",
    "record_keys",
    "systems",
    "confidence",
    "suggested_action",
    "stake_cents",
    "records_affected",
    "version",
    "members_key",
    "evidence",
    "golden",
    "run_id",
]


def _row(
    obj: str,
    pid: str,
    kind: str,
    entity_ids: list[str],
    group: list[tuple[str, str, str]],
    evidence_pairs: list[tuple],
    pair_cols: list[str],
    labels: dict[str, dict[int, str]],
    comparisons: list[str],
    confidence: float,
    action: str,
    golden: dict[str, dict[str, Any]],
    stake: dict[str, int],
    run_id: int,
) -> dict[str, Any]:
    keys = [k for k, _, _ in group]
    evidence = [
        _pair_evidence(dict(zip(pair_cols, p, strict=True)), labels, comparisons)
        for p in evidence_pairs[:MAX_EVIDENCE_PAIRS]
    ]
    gold = _golden(golden, entity_ids[0]) if len(entity_ids) == 1 else {}
    version_src = json.dumps(
        [
            sorted((k, h) for k, _, h in group),
            [(e["record_key_l"], e["record_key_r"], e["match_weight"]) for e in evidence],
        ],
    )
    return {
        "proposal_id": pid,
        "object": obj,
        "kind": kind,
        "entity_ids": entity_ids,
        "record_keys": keys,
        "systems": sorted({s for _, s, _ in group}),
        "confidence": round(confidence, 6),
        "suggested_action": action,
        "stake_cents": int(sum(stake.get(k, 0) for k in keys)),
        "records_affected": len(keys),
        "version": hashlib.sha1(version_src.encode()).hexdigest()[:12],
        # what a decision was taken on: the members and their data, nothing else
        "members_key": json.dumps({k: h for k, _, h in group}, sort_keys=True),
        "evidence": json.dumps(evidence),
        "golden": json.dumps(gold, default=str),
        "run_id": run_id,
    }


def _pair_evidence(
    p: dict[str, Any], labels: dict[str, dict[int, str]], comparisons: list[str]
) -> dict:
    fields = {}
    for name in comparisons:
        gamma, weight = p.get(f"gamma_{name}"), p.get(f"mw_{name}")
        if gamma is None or pd.isna(gamma):
            continue
        fields[name] = {
            "level": labels[name].get(int(gamma), str(gamma)),
            "match_weight": None if weight is None or pd.isna(weight) else round(float(weight), 3),
        }
    veto = p.get("veto")
    return {
        "record_key_l": p["record_key_l"],
        "record_key_r": p["record_key_r"],
        "match_probability": round(float(p["match_probability"]), 6),
        "match_weight": round(float(p["match_weight"]), 3),
        "term_frequency_weight": round(float(p.get("mw_term_frequency") or 0.0), 3),
        "band": p["band"],
        "veto": None if veto is None or pd.isna(veto) else veto,
        "fields": fields,
    }


def _golden(golden: dict[str, dict[str, Any]], entity_id: str) -> dict:
    row = golden.get(entity_id)
    if row is None:
        return {}
    out = {}
    for col, value in row.items():
        if col.endswith("_source") or col in ("member_count", "systems"):
            continue
        if hasattr(value, "item"):
            value = value.item()
        out[col] = {"value": value, "source": row.get(f"{col}_source")}
    return out


def _stake(con: duckdb.DuckDBPyConnection, obj: str) -> dict[str, int]:
    """record key -> money at stake: open invoice amounts (per customer, or the invoice)."""
    statuses = list(_OPEN_STATUSES)
    if obj == "invoice":
        rows = con.execute(
            "SELECT record_key, coalesce(amount_cents, 0) FROM stage_invoices "
            "WHERE list_contains(?, status)",
            [statuses],
        ).fetchall()
    else:
        rows = con.execute(
            "SELECT c.record_key, sum(coalesce(i.amount_cents, 0)) FROM stage_invoices i "
            "JOIN stage_customers c ON c.system = i.system AND c.source_id = i.customer_ref "
            "WHERE list_contains(?, i.status) GROUP BY 1",
            [statuses],
        ).fetchall()
    return {k: int(v) for k, v in rows}


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


def proposal_counts(con: duckdb.DuckDBPyConnection, obj: str) -> dict[str, int]:
    rows = con.execute(
        f"SELECT kind, suggested_action, count(*) FROM stage_{obj}_proposals GROUP BY 1, 2"
    ).fetchall()
    out: dict[str, int] = defaultdict(int)
    for kind, action, n in rows:
        out[f"{kind}/{action}"] += n
    return dict(out)
