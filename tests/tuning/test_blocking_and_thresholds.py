from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest

from resolver import tuning
from resolver.demo.fixtures import RULES, DemoStore
from resolver.linkage.rules import load_rules, write_thresholds


def test_blocking_report_counts_what_the_run_scored(
    con: duckdb.DuckDBPyConnection, demo_store: DemoStore
) -> None:
    for obj in ("customer", "invoice"):
        rules = load_rules(RULES, obj, models_dir="models")
        report = tuning.blocking_report(con, rules)
        assert list(report["rule"]) == rules.blocking_rules
        assert report["cumulative"].is_monotonic_increasing
        assert report["comparisons"].sum() == report["cumulative"].iloc[-1]
        assert report["cumulative"].iloc[-1] == demo_store.summary.objects[obj].pairs_scored
    # the first rule alone: pairs of records sharing a non-null email key, by hand
    rules = load_rules(RULES, "customer", models_dir="models")
    by_hand = con.execute(
        "SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM customers "
        "WHERE email_key IS NOT NULL GROUP BY email_key)"
    ).fetchall()[0][0]
    assert tuning.blocking_report(con, rules)["comparisons"].iloc[0] == by_hand


def test_rule_recall_partitions_the_true_pairs(
    con: duckdb.DuckDBPyConnection, demo_store: DemoStore
) -> None:
    rules = load_rules(RULES, "customer", models_dir="models")
    true_pairs = tuning.truth_pairs(con, "customer", demo_store.truth_dir)
    recall = tuning.rule_recall(con, rules, true_pairs)
    body = recall[recall["rule"] != "(none)"]
    none = recall[recall["rule"] == "(none)"].iloc[0]
    assert body["new"].sum() + none["new"] == len(true_pairs)
    assert body["cumulative"].is_monotonic_increasing
    assert body["recall"].iloc[-1] == pytest.approx(body["cumulative"].iloc[-1] / len(true_pairs))
    # each rule's "caught" is its own SQL evaluated on the pairs
    hits = tuning.rule_hits(con, rules, true_pairs)
    records = tuning.link_input(con, "customer", rules).set_index("record_key")
    email_l = records["email_key"].reindex(hits["record_key_l"]).to_numpy()
    email_r = records["email_key"].reindex(hits["record_key_r"]).to_numpy()
    same = pd.Series(email_l == email_r) & pd.notna(email_l)
    assert (hits[rules.blocking_rules[0]].to_numpy() == same.to_numpy()).all()
    # labels: only the matches count
    labels = true_pairs.head(10).assign(is_match=[True] * 5 + [False] * 5)
    assert tuning.rule_recall(con, rules, labels)["cumulative"].iloc[-1] == 5


def _curve_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    pairs = pd.DataFrame(
        {
            "record_key_l": ["a", "a", "b", "c", "d"],
            "record_key_r": ["b", "c", "c", "d", "e"],
            "match_probability": [0.99, 0.9, 0.8, 0.6, 0.3],
            "veto": [None, None, "different_first_names", None, None],
        }
    )
    labels = pd.DataFrame(
        {  # (c, b) given reversed: order does not matter; (x, y) was never scored
            "record_key_l": ["a", "a", "c", "c", "d", "x"],
            "record_key_r": ["b", "c", "b", "d", "e", "y"],
            "is_match": [True, False, True, True, False, True],
        }
    )
    return pairs, labels


def test_precision_recall_curve_by_hand() -> None:
    pairs, labels = _curve_inputs()
    curve = tuning.precision_recall_curve(pairs, labels).set_index("threshold")
    # vetoed (b, c) never predicted; 4 labelled matches, one never scored
    assert list(curve.index) == [0.99, 0.9, 0.6, 0.3]
    assert curve.loc[0.99, ["tp", "fp", "fn"]].tolist() == [1, 0, 3]
    assert curve.loc[0.9, "precision"] == 0.5
    assert curve.loc[0.6, ["tp", "fp"]].tolist() == [2, 1]
    assert curve.loc[0.6, "recall"] == 0.5
    assert curve.loc[0.3, "precision"] == 0.5
    assert curve.loc[0.9, "match_weight"] == pytest.approx(math.log2(0.9 / 0.1))
    loose = tuning.precision_recall_curve(pairs, labels, respect_vetoes=False)
    assert loose.set_index("threshold").loc[0.8, "recall"] == 0.5


def test_choose_thresholds() -> None:
    pairs, labels = _curve_inputs()
    curve = tuning.precision_recall_curve(pairs, labels, respect_vetoes=False)
    assert tuning.choose_threshold(curve, min_precision=1.0) == 0.99
    assert tuning.choose_threshold(curve, min_precision=2 / 3) == 0.6
    assert tuning.choose_threshold(curve, min_precision=2 / 3, at_most=0.5) == 0.5
    with pytest.raises(ValueError, match="no threshold reaches precision"):
        tuning.choose_threshold(curve, min_precision=1.01)
    assert tuning.choose_review_threshold(curve, min_recall=0.5) == 0.8
    assert tuning.choose_review_threshold(curve, min_recall=0.5, at_most=0.7) == 0.7
    with pytest.raises(ValueError, match="widen the blocking"):
        tuning.choose_review_threshold(curve, min_recall=1.0)
    assert tuning.at_threshold(curve, 0.85)["tp"] == 1
    with pytest.raises(ValueError, match="no labels"):
        tuning.precision_recall_curve(pairs, labels.iloc[0:0])


def test_chosen_thresholds_on_the_demo_are_writable(
    con: duckdb.DuckDBPyConnection, demo_store: DemoStore, tmp_path
) -> None:
    import shutil

    rules_copy = tmp_path / "rules"
    shutil.copytree(RULES, rules_copy)
    for obj in ("customer", "invoice"):
        rules = load_rules(rules_copy, obj, models_dir="models")
        labels = tuning.truth_labels(con, obj, demo_store.truth_dir)
        pairs = con.execute(f"SELECT * FROM {obj}_pairs").df()
        curve = tuning.precision_recall_curve(pairs, labels)
        auto = tuning.choose_threshold(
            curve, min_precision=0.99, at_most=rules.doc["thresholds"]["auto_merge"]
        )
        assert tuning.at_threshold(curve, auto)["precision"] >= 0.99
        review = min(rules.thresholds.review, auto)
        write_thresholds(rules_copy, obj, auto_link=auto, review=review)
        assert (
            load_rules(rules_copy, obj, models_dir="models").thresholds.auto_link == auto
        )  # written exactly
