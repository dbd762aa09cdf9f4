"""Term-frequency adjustments: centred, capped, floored at the next level, over all systems."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.linkage.model import load_model_and_rules
from resolver.linkage.predict import score_pairs, score_table
from resolver.linkage.term_frequency import (
    TF_CAP_BITS,
    centred_adjustments,
    effective_frequencies,
    tf_levels,
    value_counts,
)

counts_st = st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=60)
floor_st = st.floats(min_value=-TF_CAP_BITS, max_value=0.0)


@settings(max_examples=200, deadline=None)
@given(counts=counts_st, floor=floor_st)
def test_adjustments_average_zero_over_shared_values_and_stay_in_bounds(
    counts: list[int], floor: float
) -> None:
    """Centred: the mean adjustment over the records whose value another record shares
    is zero (the level keeps its trained weight); capped: every value within
    [floor, cap]; rarer values never count less than commoner ones."""
    c = np.array(counts)
    adj = centred_adjustments(c, floor=floor)
    assert np.all(adj >= floor - 1e-9) and np.all(adj <= TF_CAP_BITS + 1e-9)
    shared = c >= 2
    w = np.where(shared, c, 0) if shared.any() else c
    assert float(np.dot(w, adj) / w.sum()) == pytest.approx(0.0, abs=1e-6)
    order = np.argsort(c, kind="stable")
    assert np.all(np.diff(adj[order]) <= 1e-9)


@settings(max_examples=100, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=2, max_value=10_000), min_size=1, max_size=60),
    k=st.integers(min_value=2, max_value=50),
)
def test_adjustments_do_not_depend_on_the_file_size(counts: list[int], k: int) -> None:
    """The same mix of shared values at k times the rows gets the same adjustments: a
    small file is not penalised for being small."""
    c = np.array(counts)
    assert centred_adjustments(c * k) == pytest.approx(centred_adjustments(c), abs=1e-6)


def test_uniform_values_get_no_adjustment_and_extremes_are_capped() -> None:
    assert centred_adjustments(np.array([2, 2, 2, 2])) == pytest.approx([0, 0, 0, 0], abs=1e-9)
    # most records hold one value: it is the typical one, and a rare value's bonus of
    # log2(50,000) bits is capped
    adj = centred_adjustments(np.array([2] * 50 + [100_000]))
    assert adj[0] == pytest.approx(TF_CAP_BITS)
    assert adj[-1] == pytest.approx(-50 * 2 * TF_CAP_BITS / 100_000)


def test_splink_reads_back_exactly_the_adjustment() -> None:
    """The lookup's tf is chosen so Splink's own formula, log2(u_exact) - log2(tf),
    gives the centred adjustment."""
    model, _ = load_model_and_rules("models", "rules", "customer")
    level = tf_levels(model.splink)["last_name_norm"]
    counts = pd.Series({"lee": 2, "smith": 40, "odd": 1})
    tf = effective_frequencies(counts, level)
    back = level.log2_u_exact - np.log2(tf.to_numpy())
    want = centred_adjustments(counts.to_numpy(), floor=level.floor)
    assert back == pytest.approx(want, abs=1e-9)


def _table(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    for c in columns:
        if c not in table:
            table[c] = None
    return table


def test_exact_agreement_never_counts_less_than_partial_agreement() -> None:
    """On a small file where one surname is common, two records agreeing exactly on it
    weigh at least as much on the surname as any partial agreement would (Splink's own
    adjustment takes 4.7 bits from 'smith' = 'smith' here, below 'sounds alike')."""
    model, rules = load_model_and_rules("models", "rules", "customer")
    rows = [{"record_key": f"s{i:02d}", "last_name_norm": "smith"} for i in range(30)]
    rows += [{"record_key": f"z{i:02d}", "last_name_norm": f"name{i}"} for i in range(30)]
    table = _table(rows, rules.input_columns())
    scored = score_table(
        table, model, blocking_rules=["l.record_key = 's00' AND r.record_key = 's01'"]
    )
    (exact,) = scored.itertuples()
    (comp,) = (c for c in model.splink["comparisons"] if c["output_column_name"] == "last_name")
    partial = [
        math.log2(lv["m_probability"] / lv["u_probability"])
        for lv in comp["comparison_levels"][2:]  # after missing and exact
        if lv["sql_condition"] != "ELSE"
    ]
    assert exact.mw_tf_adj_last_name < 0  # a common name counts less than a typical one
    assert exact.mw_last_name + exact.mw_tf_adj_last_name >= max(partial) - 1e-9
    # Splink's own adjustment (plain frequencies) would rank it below a partial level
    level = tf_levels(model.splink)["last_name_norm"]
    splink_adj = level.log2_u_exact - math.log2(30 / len(rows))
    assert exact.mw_last_name + splink_adj < max(partial)


def test_systems_share_one_set_of_frequencies() -> None:
    """Frequencies are counted over every row of a run, whatever system holds it:
    the same records split between two systems score the same."""
    model, rules = load_model_and_rules("models", "rules", "customer")
    rows = []
    for i in range(80):  # 40 people, two records each; first and last names repeat
        person = i // 2
        first = ("ann", "bo", "cy")[person % 3]
        email = f"u{person}@x.com"
        rows.append(
            {
                "record_key": f"r{i:03d}",
                "first_name_norm": first,
                "first_name_key": first,
                "last_name_norm": "lee" if person % 4 else f"x{person}",
                "email_norm": email,
                "email_key": email,
            }
        )
    one = _table(rows, rules.input_columns()).assign(system="a")
    two = one.assign(system=["a" if i % 2 else "b" for i in range(len(one))])
    a = score_pairs(one, model, rules).pairs.to_pandas()
    b = score_pairs(two, model, rules).pairs.to_pandas()
    assert len(a) > 0
    key = ["record_key_l", "record_key_r"]
    merged = a.merge(b, on=key, suffixes=("_one", "_two"))
    assert len(merged) == len(a) == len(b)
    assert merged.match_weight_one.to_numpy() == pytest.approx(merged.match_weight_two.to_numpy())


def test_value_counts_skip_nulls() -> None:
    assert value_counts(pd.Series(["a", None, "a", "b"])).to_dict() == {"a": 2, "b": 1}


def _bisection_reference(counts: np.ndarray, floor: float, cap: float = TF_CAP_BITS) -> np.ndarray:
    """The adjustments as first written: every step of the bisection sums over every
    value. The quicker search must give the same bits (a stored match weight would
    move otherwise)."""
    counts = np.asarray(counts, dtype=np.float64)
    raw = -np.log2(counts)
    shared = counts >= 2
    weights = np.where(shared, counts, 0.0) if shared.any() else counts
    weights = weights / weights.sum()
    lo, hi = floor - raw.max(), cap - raw.min()
    for _ in range(100):
        mid = (lo + hi) / 2
        if float(np.dot(weights, np.clip(mid + raw, floor, cap))) < 0:
            lo = mid
        else:
            hi = mid
    return np.clip((lo + hi) / 2 + raw, floor, cap)


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=3_000),
    floor=floor_st,
)
def test_adjustments_are_bit_identical_to_the_full_bisection(
    counts: list[int], floor: float
) -> None:
    c = np.array(counts)
    assert np.array_equal(centred_adjustments(c, floor=floor), _bisection_reference(c, floor))


def test_adjustments_bit_identical_on_a_long_skewed_column() -> None:
    rng = np.random.default_rng(3)
    c = rng.zipf(1.7, 200_000).clip(1, 100_000)
    for floor in (-TF_CAP_BITS, -1.3, 0.0):
        assert np.array_equal(centred_adjustments(c, floor=floor), _bisection_reference(c, floor))
