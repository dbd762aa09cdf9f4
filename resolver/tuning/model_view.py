"""A Splink linker over the store's records with a saved model, for Splink's charts;
example pairs worth a waterfall chart; scores of any pairs under the saved model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from resolver.linkage.model import load_model, work_linker
from resolver.linkage.predict import register_tf_lookups
from resolver.linkage.rules import LinkageRules
from resolver.store import analysis as store_analysis
from resolver.tuning.data import PAIR_COLUMNS, link_input, ordered
from resolver.tuning.rules import load_rules

EXAMPLE_KINDS = ("clear_match", "near_miss", "hard_negative")
MAX_SCORED_RECORDS = 3000  # pair_scores compares every pair of the records involved


def linker_for(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    *,
    models_dir: Path | str,
    rules_dir: Path | str | None = None,
    rules: LinkageRules | None = None,
    reestimate_prior: bool = True,
) -> Any:
    """A Splink ``Linker`` over the store's ``obj`` records with the saved model
    (``models/<object>s.json``'s "splink" settings), term frequencies computed.

    With ``reestimate_prior`` the prior is estimated on these records from the
    rules' deterministic rules, as the batch job does, so scores match the store's.
    The linker runs on its own in-memory DuckDB; the store is only read.
    ``rules``: the object's rules when you have them, else they are loaded from
    ``rules_dir`` (default ``RESOLVER_RULES``) by :func:`resolver.tuning.load_rules`.
    """
    if rules is None:
        rules = load_rules(rules_dir, models_dir)[obj]
    model = load_model(models_dir, rules)
    linker, work, sdf = work_linker(link_input(con, obj, rules), dict(model.splink))
    # the batch job's term frequencies
    register_tf_lookups(linker, sdf, model, lambda sql: work.execute(sql).df())
    if reestimate_prior:
        linker.training.estimate_probability_two_random_records_match(
            rules.prior["deterministic_rules"], recall=float(rules.prior["recall"])
        )
    linker.resolver_rules = rules  # what the helpers below need to read records
    return linker


def _rules(linker: Any) -> LinkageRules:
    rules = getattr(linker, "resolver_rules", None)
    if rules is None:
        raise TypeError("pass a linker made by resolver.tuning.linker_for")
    return rules


def pair_scores(linker: Any, con: duckdb.DuckDBPyConnection, pairs: pd.DataFrame) -> pd.DataFrame:
    """Score ``pairs`` (record_key_l, record_key_r) under the linker's model, whether
    or not blocking made them and whatever their score (the store keeps only pairs
    scoring at least 0.01). Returns Splink's prediction rows, one per pair, with the
    records' values, each comparison's level and weight: waterfall-ready.
    """
    rules = _rules(linker)
    pairs = ordered(pairs[PAIR_COLUMNS]).drop_duplicates(ignore_index=True)
    if pairs.empty:
        return pd.DataFrame()
    keys = sorted(set(pairs["record_key_l"]) | set(pairs["record_key_r"]))
    if len(keys) > MAX_SCORED_RECORDS:
        raise ValueError(
            f"{len(keys)} records involved; score at most {MAX_SCORED_RECORDS} at a time"
        )
    records = link_input(con, rules.object, rules, keys=keys)
    sdf = linker.table_management.register_table(records, "tuning_pair_records", overwrite=True)
    scored = linker.inference.predict_within(
        sdf, blocking_rules_to_generate_predictions=["1=1"], warning_mode="never"
    ).as_pandas_dataframe()
    scored["_l"] = scored[["record_key_l", "record_key_r"]].min(axis=1)
    scored["_r"] = scored[["record_key_l", "record_key_r"]].max(axis=1)
    wanted = pairs.rename(columns={"record_key_l": "_l", "record_key_r": "_r"})
    out = scored.merge(wanted, on=["_l", "_r"], how="inner").drop(columns=["_l", "_r"])
    return out.sort_values("match_weight", ascending=False, ignore_index=True)


def waterfall_records(
    linker: Any, con: duckdb.DuckDBPyConnection, pairs: pd.DataFrame
) -> list[dict[str, Any]]:
    """Records for ``linker.visualisations.waterfall_chart`` of ``pairs``, in order."""
    scored = pair_scores(linker, con, pairs)
    if scored.empty:
        return []
    want = ordered(pairs[PAIR_COLUMNS]).drop_duplicates(ignore_index=True)
    key = (
        scored[["record_key_l", "record_key_r"]].min(axis=1)
        + "|"
        + scored[["record_key_l", "record_key_r"]].max(axis=1)
    )
    by_key = {k: i for i, k in enumerate(key)}
    order = [by_key[f"{a}|{b}"] for a, b in want.itertuples(index=False) if f"{a}|{b}" in by_key]
    rows = scored.iloc[order]
    return [
        {k: (None if _isna(v) else v) for k, v in row.items()}
        for row in rows.to_dict(orient="records")
    ]


def _isna(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def example_pairs(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    kind: str,
    *,
    labels: pd.DataFrame | None = None,
    n: int = 1,
) -> pd.DataFrame:
    """Pairs from the store's ``<object>_pairs`` that illustrate the model.

    ``clear_match``: the best-scoring auto-linked pairs (labelled matches if labels).
    ``near_miss``: matches that did not auto-link, best-scoring first; without labels,
    the best review-band pairs.
    ``hard_negative``: labelled non-matches scoring highest; without labels, the
    best-scoring vetoed pairs.
    ``labels`` (record_key_l, record_key_r, is_match) come from the truth or decisions.
    Ties are broken by record keys, so the choice is deterministic.
    """
    if kind not in EXAMPLE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(EXAMPLE_KINDS)}, not {kind!r}")
    pairs = ordered(store_analysis.scored_pairs(con, obj))
    if labels is not None and not labels.empty:
        lab = ordered(labels[[*PAIR_COLUMNS, "is_match"]]).drop_duplicates(PAIR_COLUMNS)
        pairs = pairs.merge(lab, on=PAIR_COLUMNS, how="left")
    else:
        pairs["is_match"] = pd.NA
    known = pairs["is_match"].notna()
    is_match = pairs["is_match"].astype("boolean")
    if kind == "clear_match":
        pick = (pairs["band"] == "auto_link") & (is_match.fillna(True))
    elif kind == "near_miss":
        pick = (pairs["band"] != "auto_link") & (
            is_match.fillna(False) if known.any() else pairs["band"] == "review"
        )
    else:
        pick = (~is_match.fillna(True)) if known.any() else pairs["veto"].notna()
    chosen = pairs[pick].sort_values(
        ["match_probability", "match_weight", *PAIR_COLUMNS],
        ascending=[False, False, True, True],
    )
    cols = [
        *PAIR_COLUMNS,
        "system_l",
        "system_r",
        "match_probability",
        "match_weight",
        "band",
        "veto",
        "is_match",
    ]
    return chosen.head(n)[cols].reset_index(drop=True)
