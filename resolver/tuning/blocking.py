"""Blocking analysis: how many comparisons each rule makes, and which true or
labelled matches each rule catches (a match no rule catches is never scored)."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
from splink import DuckDBAPI
from splink.blocking_analysis import (
    chart_comparisons_from_blocking_rules,
    count_comparisons_from_blocking_rules,
)

from resolver.linkage.rules import LinkageRules
from resolver.tuning.data import PAIR_COLUMNS, link_input, ordered


def _splink_input(con: duckdb.DuckDBPyConnection, rules: LinkageRules) -> Any:

    frame = link_input(con, rules.object, rules)
    return DuckDBAPI(duckdb.connect()).register(frame, table_name=f"blocking_{rules.object}")


def blocking_report(
    con: duckdb.DuckDBPyConnection, rules: LinkageRules, *, sample: float = 1.0
) -> pd.DataFrame:
    """Comparisons each prediction blocking rule adds, in the rules' order.

    Columns: rule, comparisons (marginal: not made by an earlier rule), cumulative,
    share_of_all (cumulative / every possible pair). Counts come from Splink's
    ``count_comparisons_from_blocking_rules``; exact unless ``sample`` < 1.
    """

    records = count_comparisons_from_blocking_rules(
        _splink_input(con, rules),
        blocking_rules=rules.blocking_rules,
        link_type="dedupe_only",
        unique_id_column_name="record_key",
        record_sample_proportion=sample,
    )
    out = pd.DataFrame(
        {
            "rule": [r["blocking_rule"] for r in records],
            "comparisons": [int(r["marginal_comparison_count"]) for r in records],
            "cumulative": [int(r["cumulative_comparison_count"]) for r in records],
            "all_pairs": [int(r["total_possible_comparison_count"]) for r in records],
        }
    )
    out["share_of_all"] = out["cumulative"] / out["all_pairs"].where(out["all_pairs"] > 0)
    return out.drop(columns="all_pairs")


def blocking_chart(
    con: duckdb.DuckDBPyConnection, rules: LinkageRules, *, sample: float = 1.0
) -> Any:
    """Splink's cumulative comparisons chart of the prediction blocking rules."""

    return chart_comparisons_from_blocking_rules(
        _splink_input(con, rules),
        blocking_rules=rules.blocking_rules,
        link_type="dedupe_only",
        unique_id_column_name="record_key",
        record_sample_proportion=sample,
    )


def rule_hits(
    con: duckdb.DuckDBPyConnection,
    rules: LinkageRules,
    pairs: pd.DataFrame,
    *,
    blocking_rules: list[str] | None = None,
) -> pd.DataFrame:
    """For each pair (record_key_l, record_key_r), whether each blocking rule makes it.

    Returns the ordered pairs with one boolean column per rule (named by the rule's
    SQL) and ``any_rule``. Pairs whose records are not loaded are dropped.
    ``blocking_rules`` (SQL over ``l.`` and ``r.``) defaults to the rules' own.
    """
    blocks = blocking_rules if blocking_rules is not None else rules.blocking_rules
    pairs = ordered(pairs[PAIR_COLUMNS]).drop_duplicates(ignore_index=True)
    keys = sorted(set(pairs["record_key_l"]) | set(pairs["record_key_r"]))
    records = link_input(con, rules.object, rules, keys=keys)
    work = duckdb.connect()
    try:
        work.register("_records", records)
        work.register("_pairs", pairs)
        # a rule is the analyst's SQL from the rules file (not outside input)
        cases = ", ".join(f"coalesce(({rule}), false) AS r{i}" for i, rule in enumerate(blocks))
        hits = work.execute(
            f"""SELECT p.record_key_l, p.record_key_r{", " + cases if cases else ""}
            FROM _pairs p
            JOIN _records l ON l.record_key = p.record_key_l
            JOIN _records r ON r.record_key = p.record_key_r
            ORDER BY 1, 2"""
        ).df()
    finally:
        work.close()
    hits.columns = [*PAIR_COLUMNS, *blocks]
    hits["any_rule"] = hits[blocks].any(axis=1) if blocks else False
    return hits


def rule_recall(
    con: duckdb.DuckDBPyConnection,
    rules: LinkageRules,
    truth_pairs: pd.DataFrame,
    *,
    blocking_rules: list[str] | None = None,
) -> pd.DataFrame:
    """Which of ``truth_pairs`` each blocking rule catches.

    ``truth_pairs`` are known matches (record_key_l, record_key_r); a frame with an
    ``is_match`` column (reviewer labels) is filtered to its matches. One row per
    rule, in order: caught (pairs the rule makes), new (caught by no earlier rule),
    cumulative, recall (cumulative / all pairs), plus a last row ``(none)`` for the
    pairs no rule catches.
    """
    if "is_match" in truth_pairs:
        truth_pairs = truth_pairs[truth_pairs["is_match"].astype(bool)]
    blocks = blocking_rules if blocking_rules is not None else rules.blocking_rules
    hits = rule_hits(con, rules, truth_pairs, blocking_rules=blocks)
    total = len(hits)
    seen = pd.Series(False, index=hits.index)
    rows = []
    for rule in blocks:
        new = hits[rule] & ~seen
        seen |= hits[rule]
        rows.append((rule, int(hits[rule].sum()), int(new.sum()), int(seen.sum())))
    rows.append(("(none)", int((~seen).sum()), int((~seen).sum()), total))
    out = pd.DataFrame(rows, columns=["rule", "caught", "new", "cumulative"])
    out["recall"] = out["cumulative"] / total if total else float("nan")
    out.loc[out["rule"] == "(none)", "recall"] = float("nan")
    return out
