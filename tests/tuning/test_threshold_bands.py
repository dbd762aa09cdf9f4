"""The threshold tuner keeps a real review band below a sane auto-link threshold.

On the demo it once proposed auto_link = review = 0.186755: labelled precision was 1.0
all the way down to there because only two labelled pairs scored between 0.19 and
0.9, and the review threshold was capped at auto_link.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from resolver import tuning
from resolver.demo.fixtures import RULES
from resolver.linkage.rules import load_rules, write_thresholds


def _rules(auto_link: float = 0.95, review: float = 0.5, auto_merge: float = 0.999) -> object:
    """What choose_bands reads from a LinkageRules."""
    return SimpleNamespace(
        doc={"thresholds": {"auto_link": auto_link, "review": review, "auto_merge": auto_merge}},
        thresholds=SimpleNamespace(auto_link=auto_link, review=review),
    )


def _weight(p: float) -> float:
    return math.log2(p / (1 - p))


def _demo_shape() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The customer scores that produced 0.186755 / 0.186755: 1589 labelled matches
    scoring 0.9+, one at 0.450698, one at 0.186755, ten never scored; 48 high-scoring
    non-matches that a veto stops; 19 non-matches at 0.017478."""
    rng = np.random.default_rng(0)
    high = np.concatenate(
        [np.full(1520, 1.0), rng.uniform(0.999, 0.99999, 39), rng.uniform(0.9057, 0.99, 30)]
    )
    rows = [(f"m{i}", f"n{i}", p, None, True) for i, p in enumerate(high)]
    rows += [("lo1", "lo2", 0.450698, None, True), ("lo3", "lo4", 0.186755, None, True)]
    rows += [(f"v{i}", f"w{i}", 0.99, "different_first_names", False) for i in range(48)]
    rows += [(f"x{i}", f"y{i}", 0.017478, None, False) for i in range(19)]
    frame = pd.DataFrame(
        rows, columns=["record_key_l", "record_key_r", "match_probability", "veto", "is_match"]
    )
    pairs = frame.drop(columns="is_match")
    unscored = pd.DataFrame(
        {"record_key_l": [f"u{i}" for i in range(10)], "record_key_r": "z", "is_match": True}
    )
    labels = pd.concat(
        [frame[["record_key_l", "record_key_r", "is_match"]], unscored], ignore_index=True
    )
    return pairs, labels


def _in_band(pairs: pd.DataFrame, bands: tuning.Bands) -> pd.Series:
    p = pairs["match_probability"]
    return (p >= bands.review) & (p < bands.auto_link)


def test_the_demo_shape_no_longer_collapses_the_review_band() -> None:
    pairs, labels = _demo_shape()
    bands = tuning.choose_bands(pairs, labels, _rules(), min_precision=0.999, min_recall=0.99)
    # before: auto_link == review == 0.186755
    assert bands.review < bands.auto_link
    assert bands.auto_link >= tuning.BREAK_EVEN >= 0.5
    assert bands.auto_link >= bands.floor
    assert _weight(bands.auto_link) - _weight(bands.review) >= tuning.MIN_GAP_BITS
    # the two low-scoring matches no longer link on their own; the band holds pairs
    low = pairs["match_probability"].isin([0.450698, 0.186755])
    assert (pairs.loc[low, "match_probability"] < bands.auto_link).all()
    assert bands.band_pairs == int(_in_band(pairs, bands).sum()) > 0
    # with the rules' band reaching lower and recall asking for it, they reach a reviewer
    wide = tuning.choose_bands(
        pairs, labels, _rules(review=0.1), min_precision=0.999, min_recall=0.9935
    )
    assert wide.review < 0.186755 < 0.450698 < wide.auto_link == bands.auto_link
    assert _in_band(pairs, wide)[low].all()
    assert list(bands.table["band"]) == [
        "auto_link (now)",
        "auto_link (floor)",
        "auto_link (chosen)",
        "review (now)",
        "review (chosen)",
    ]


def test_chosen_bands_on_the_demo_shape_are_writable(tmp_path: Path) -> None:
    rules_copy = tmp_path / "rules"
    shutil.copytree(RULES, rules_copy)
    rules = load_rules(rules_copy, "customer", models_dir="models")
    pairs, labels = _demo_shape()
    bands = tuning.choose_bands(pairs, labels, rules, min_precision=0.999, min_recall=0.99)
    write_thresholds(rules_copy, "customer", auto_link=bands.auto_link, review=bands.review)
    written = load_rules(rules_copy, "customer", models_dir="models").thresholds
    assert (written.review, written.auto_link) == (bands.review, bands.auto_link)


def test_auto_link_floor_by_hand() -> None:
    pairs = pd.DataFrame(
        {
            "record_key_l": list("abcdefghijk"),
            "record_key_r": list("ABCDEFGHIJK"),
            "match_probability": [0.999999] * 9 + [0.9, 0.2],
            "veto": [None] * 10 + ["vetoed"],
        }
    )
    # at 0.9 the model expects (9 * 0.999999 + 0.9) / 10 = 0.98999.. true matches
    assert tuning.auto_link_floor(pairs, min_precision=0.99) == 0.999999
    assert tuning.auto_link_floor(pairs, min_precision=0.98) == 0.9
    # the vetoed pair at 0.2 cannot auto-link: it does not lower the expectation
    assert tuning.auto_link_floor(pairs, min_precision=0.5) == 0.9
    # never below match weight 0, whatever the model expects
    low = pairs.assign(match_probability=[0.3] * 11, veto=None)
    assert tuning.auto_link_floor(low, min_precision=0.1) == tuning.BREAK_EVEN
    assert tuning.auto_link_floor(low.iloc[0:0], min_precision=0.99) == tuning.BREAK_EVEN
    # the model doubts even its best pair: the best pair's score
    assert tuning.auto_link_floor(low.assign(match_probability=0.8), min_precision=0.9) == 0.8


def test_review_ceiling_leaves_the_gap() -> None:
    for auto in (0.5, 0.9, 0.95, 0.999, 0.999999, 0.000002):
        ceiling = tuning.review_ceiling(auto)
        assert 0 < ceiling < auto
        if auto >= 0.5:
            assert _weight(auto) - _weight(ceiling) >= tuning.MIN_GAP_BITS
            assert _weight(auto) - _weight(ceiling) < tuning.MIN_GAP_BITS + 0.001
    assert tuning.review_ceiling(0.8, min_gap_bits=0) < 0.8
    with pytest.raises(ValueError, match="auto_link must be in"):
        tuning.review_ceiling(1.0)


_score = st.one_of(
    st.floats(0.01, 0.999999),
    st.sampled_from([0.01, 0.017478, 0.186755, 0.450698, 0.5, 0.905669, 0.95, 0.999, 1.0]),
)
# score, is_match (mostly agreeing with the score, one in five not), vetoed
_pair = st.tuples(_score, st.integers(0, 4), st.booleans()).map(
    lambda t: (t[0], (t[0] >= 0.5) != (t[1] == 0), t[2])
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(_pair, min_size=1, max_size=60),
    unscored_matches=st.integers(0, 3),
    min_precision=st.sampled_from([0.5, 0.8, 0.95, 0.99, 0.999]),
    min_recall=st.sampled_from([0.3, 0.6, 0.8, 0.95]),
    current=st.sampled_from([(0.95, 0.5), (0.9, 0.7), (0.99, 0.98), (0.6, 0.01)]),
    auto_merge=st.sampled_from([0.95, 0.999, 0.999999]),
)
def test_bands_always_keep_a_review_band_above_a_floor(
    rows: list[tuple[float, bool, bool]],
    unscored_matches: int,
    min_precision: float,
    min_recall: float,
    current: tuple[float, float],
    auto_merge: float,
) -> None:
    pairs = pd.DataFrame(
        {
            "record_key_l": [f"l{i}" for i in range(len(rows))],
            "record_key_r": [f"r{i}" for i in range(len(rows))],
            "match_probability": [r[0] for r in rows],
            "veto": ["v" if r[2] else None for r in rows],
        }
    )
    labels = pd.DataFrame(
        {
            "record_key_l": [*pairs["record_key_l"], *(f"u{i}" for i in range(unscored_matches))],
            "record_key_r": [*pairs["record_key_r"], *(["z"] * unscored_matches)],
            "is_match": [r[1] for r in rows] + [True] * unscored_matches,
        }
    )
    auto_now, review_now = current
    rules = _rules(min(auto_now, auto_merge), review_now, auto_merge)
    try:
        bands = tuning.choose_bands(
            pairs, labels, rules, min_precision=min_precision, min_recall=min_recall
        )
    except ValueError as exc:  # precision or recall out of reach: said so, nothing chosen
        assert "no threshold reaches" in str(exc)
        event("out of reach")
        return
    event("chosen")
    floor = tuning.auto_link_floor(pairs, min_precision=min_precision)
    assert bands.floor == floor >= tuning.BREAK_EVEN
    assert 0 < bands.review < bands.auto_link < 1
    assert bands.auto_link == min(max(bands.auto_link, floor), auto_merge)  # floor, then cap
    assert bands.auto_link >= tuning.BREAK_EVEN
    gap = _weight(bands.auto_link) - _weight(bands.review)
    assert gap >= tuning.MIN_GAP_BITS
    # every scored pair within the gap below auto_link goes to a reviewer
    w = pairs["match_probability"].map(lambda p: _weight(min(p, 0.999999)))
    near = (w >= _weight(bands.auto_link) - tuning.MIN_GAP_BITS) & (
        pairs["match_probability"] < bands.auto_link
    )
    assert _in_band(pairs, bands)[near].all()
    assert bands.band_pairs == int(_in_band(pairs, bands).sum())
    if near.any():
        assert bands.band_pairs > 0
    # the review band is never narrower than the rules' band now
    assert bands.review <= review_now
