"""Reviewer decisions and the clustering constraints they imply.

accept  -> the records stay together (must-link)
reject  -> no two of the records are linked (cannot-link) — while their data is unchanged
           (their identifying values: :mod:`resolver.store.content_hash`)
split   -> must-link inside each group, cannot-link across groups
undo    -> the undone decision no longer applies
link / expected -> orphan resolutions (link is a must-link between the two records)

A later decision about the same pair overrides an earlier one (:func:`pair_rules`).

Across pairs, a cannot-link holds against must-links: no chain of must-links (A=C
and C=B) puts a pair a reviewer kept apart (A, B) together, however recent those
must-links are; only a later decision about that very pair can. When must-links
conflict that way, the newer ones hold and the older give way: :func:`constraints`
lists must-links newest first and the clustering applies them in that order
(:mod:`resolver.clustering.constrained`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence

import duckdb
import pandas as pd

from resolver.store import decisions as store_decisions
from resolver.store.content_hash import same_data

_PAIR_COLUMNS = ["record_key_l", "record_key_r"]


def in_force(
    decision_ids: Sequence[int], actions: Sequence[str], undoes: Iterable[int | None]
) -> list[bool]:
    """THE rule for which decisions still count: every decision that no undo has
    reversed; undos themselves never count. The batch (:func:`effective`) and the
    API's in-memory log (:mod:`resolver.review.decision_log`) both call this one."""
    undone = {
        int(u)
        for a, u in zip(actions, undoes, strict=True)
        if a == "undo" and u is not None and not pd.isna(u)
    }
    return [
        a != "undo" and int(i) not in undone for i, a in zip(decision_ids, actions, strict=True)
    ]


def effective(con: duckdb.DuckDBPyConnection, obj: str) -> pd.DataFrame:
    """Decisions in force (:func:`in_force`), in decision order."""
    return effective_rows(store_decisions.load(con, obj))


def effective_rows(d: pd.DataFrame) -> pd.DataFrame:
    """The rows of a decisions frame that are in force (:func:`in_force`)."""
    if d.empty:
        return d
    keep = in_force(d["decision_id"].tolist(), d["action"].tolist(), d["undoes"].tolist())
    return d.loc[keep].reset_index(drop=True)


def pair_rules(con: duckdb.DuckDBPyConnection, obj: str) -> dict[tuple[str, str], tuple[str, int]]:
    """(key_l, key_r) -> ("must" | "cannot", decision_id), latest decision winning."""
    out: dict[tuple[str, str], tuple[str, int]] = {}
    d = effective(con, obj)
    if d.empty:
        return out
    current = _current_hashes(con, obj, d)
    for row in d.itertuples(index=False):
        keys = list(row.record_keys)
        if row.action in ("accept", "link"):
            for a, b in itertools.combinations(sorted(keys), 2):
                out[(a, b)] = ("must", row.decision_id)
        elif row.action == "reject":
            then = json.loads(row.record_hashes or "{}")
            for a, b in itertools.combinations(sorted(keys), 2):
                if _unchanged(then, current, a) and _unchanged(then, current, b):
                    out[(a, b)] = ("cannot", row.decision_id)
                elif out.get((a, b), ("", 0))[0] == "cannot":
                    del out[(a, b)]  # data changed since: the rejection lapses
        elif row.action == "split":
            groups = [sorted(g) for g in json.loads(row.groups)]
            for g in groups:
                for a, b in itertools.combinations(g, 2):
                    out[(a, b)] = ("must", row.decision_id)
            for g1, g2 in itertools.combinations(groups, 2):
                for a, b in itertools.product(g1, g2):
                    out[tuple(sorted((a, b)))] = ("cannot", row.decision_id)
    return out


def constraints(con: duckdb.DuckDBPyConnection, obj: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(must-link pairs, cannot-link pairs) for the clustering stage; must-links
    newest decision first (the order the clustering gives them way in a conflict)."""
    rules = pair_rules(con, obj)
    by_recency = sorted(rules.items(), key=lambda kv: (-kv[1][1], kv[0]))
    must = [k for k, (kind, _) in by_recency if kind == "must"]
    cannot = [k for k, (kind, _) in sorted(rules.items()) if kind == "cannot"]
    return (
        pd.DataFrame(must, columns=_PAIR_COLUMNS),
        pd.DataFrame(cannot, columns=_PAIR_COLUMNS),
    )


def golden_picks(con: duckdb.DuckDBPyConnection, obj: str) -> pd.DataFrame:
    """Reviewers' golden-record picks in force (record_key, field, decision_id): those
    of every accept no undo has reversed. How they apply is
    :func:`resolver.entities.golden.golden_sql`'s rule."""
    d = effective(con, obj)
    rows = []
    if not d.empty and "golden" in d.columns:
        for row in d.itertuples(index=False):
            if row.action == "accept" and isinstance(row.golden, str) and row.golden:
                for field, key in json.loads(row.golden).items():
                    rows.append((key, field, int(row.decision_id)))
    return pd.DataFrame(rows, columns=["record_key", "field", "decision_id"]).astype(
        {"record_key": str, "field": str, "decision_id": "int64"}
    )


def _current_hashes(
    con: duckdb.DuckDBPyConnection, obj: str, d: pd.DataFrame
) -> dict[str, tuple[str, str]]:
    keys = sorted({k for ks in d["record_keys"] for k in ks})
    return store_decisions.record_fingerprints(con, obj, keys)


def _unchanged(then: dict[str, str], current: dict[str, tuple[str, str]], key: str) -> bool:
    """Whether a record still holds the data a decision saw: timestamps and formatting
    never count, a changed identifying value does (:mod:`resolver.store.content_hash`)."""
    now = current.get(key)
    return now is not None and same_data(then.get(key), *now)


def labels(con: duckdb.DuckDBPyConnection, obj: str) -> pd.DataFrame:
    """Reviewer decisions as pairwise labels (record_key_l, record_key_r, is_match),
    for evaluation and threshold tuning."""
    rules = pair_rules(con, obj)
    rows = [(a, b, kind == "must") for (a, b), (kind, _) in sorted(rules.items())]
    return pd.DataFrame(rows, columns=[*_PAIR_COLUMNS, "is_match"])
