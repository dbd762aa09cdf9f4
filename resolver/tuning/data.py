"""The store's records and pairs as the models see them, and labels from truth files.

A label frame has ``record_key_l < record_key_r`` and ``is_match`` (bool), the shape
:func:`resolver.review.decisions.labels` returns for reviewer decisions.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import pandas as pd

from resolver.linkage.rules import LinkageRules
from resolver.report.accuracy import truth_entities
from resolver.store import analysis as store_analysis
from resolver.store import records as store_records
from resolver.store import runs as store_runs

PAIR_COLUMNS = ["record_key_l", "record_key_r"]


def link_input(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    rules: LinkageRules,
    *,
    keys: list[str] | None = None,
) -> pd.DataFrame:
    """The table the batch job hands Splink, rebuilt from the published store.

    Invoices carry ``customer_entity_id``, the entity of the customer their
    ``customer_ref`` names. ``keys`` restricts the rows to those record keys.
    """
    return store_analysis.link_input(con, obj, rules.input_columns(), keys=keys)


def ordered(pairs: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` with each pair's keys in order (``record_key_l < record_key_r``)."""
    left, right = pairs["record_key_l"].astype(str), pairs["record_key_r"].astype(str)
    swap = left > right
    out = pairs.copy()
    out["record_key_l"] = left.where(~swap, right)
    out["record_key_r"] = right.where(~swap, left)
    return out


def truth_pairs(con: duckdb.DuckDBPyConnection, obj: str, truth_dir: Path | str) -> pd.DataFrame:
    """Every pair of loaded records that the truth says are the same entity."""
    entities = truth_entities(truth_dir, obj)
    entities = entities[entities.index.isin(store_records.record_keys(con, obj))]
    rows = [
        pair
        for _, group in entities.groupby(entities)
        for pair in itertools.combinations(sorted(group.index), 2)
    ]
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def truth_labels(con: duckdb.DuckDBPyConnection, obj: str, truth_dir: Path | str) -> pd.DataFrame:
    """Labels for every true pair and every scored pair of records the truth knows.

    A scored pair whose records are different true entities is a labelled non-match;
    every true pair is a labelled match, scored or not (a true pair blocking never
    produced counts against recall).
    """
    entities = truth_entities(truth_dir, obj)
    positives = truth_pairs(con, obj, truth_dir).assign(is_match=True)
    scored = store_analysis.scored_pairs(con, obj, PAIR_COLUMNS)
    scored = ordered(scored)
    known = scored["record_key_l"].isin(entities.index) & scored["record_key_r"].isin(
        entities.index
    )
    scored = scored[known]
    same = (
        entities.reindex(scored["record_key_l"]).to_numpy()
        == entities.reindex(scored["record_key_r"]).to_numpy()
    )
    negatives = scored[~same].assign(is_match=False)
    out = pd.concat([positives, negatives], ignore_index=True)
    return out.sort_values(PAIR_COLUMNS, ignore_index=True)


def hard_negative_pairs(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    truth_dir: Path | str,
    *,
    kind: str | None = None,
) -> pd.DataFrame:
    """Pairs of records the truth lists as look-alikes that are different entities
    (``truth/hard_negatives.csv``), with their score and whether the run merged them.

    Columns: kind, group_id, record_key_l, record_key_r, kept (the run kept the pair: it
    scored at least 0.01), match_probability,
    match_weight, band, veto, merged.
    """
    hard = pd.read_csv(Path(truth_dir) / "hard_negatives.csv", dtype=str)
    if kind is not None:
        hard = hard[hard["kind"] == kind]
    entities = truth_entities(truth_dir, obj)
    entities = entities[entities.index.isin(store_records.record_keys(con, obj))]
    by_entity = entities.groupby(entities).groups
    rows = []
    for (k, group_id), group in hard.groupby(["kind", "group_id"], sort=True):
        ids = sorted(e for e in set(group["entity_id"]) if e in by_entity)
        for a, b in itertools.combinations(ids, 2):
            for ka, kb in itertools.product(by_entity[a], by_entity[b]):
                rows.append((k, group_id, *sorted((ka, kb))))
    cols = ["kind", "group_id", *PAIR_COLUMNS]
    pairs = pd.DataFrame(rows, columns=cols)
    scored = store_analysis.scored_pairs(
        con, obj, [*PAIR_COLUMNS, "match_probability", "match_weight", "band", "veto"]
    )
    out = pairs.merge(ordered(scored), on=PAIR_COLUMNS, how="left")
    out["kept"] = out["match_probability"].notna()  # scored at or above the keep threshold
    members = store_runs.members(con, obj)
    entity = members.set_index("record_key")["entity_id"]
    out["merged"] = (
        entity.reindex(out["record_key_l"]).to_numpy()
        == entity.reindex(out["record_key_r"]).to_numpy()
    )
    return out[[*cols, "kept", "match_probability", "match_weight", "band", "veto", "merged"]]
