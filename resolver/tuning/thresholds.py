"""Threshold choice from labels: precision and recall of pairs at each threshold."""

from __future__ import annotations

import difflib
import math
from typing import Any

import numpy as np
import pandas as pd

from resolver.linkage.rules import RULE_FILES, read_overrides, write_thresholds
from resolver.tuning.data import PAIR_COLUMNS, ordered

# thresholds are written to rules files with six significant digits: keep them exact
_GRID = 1e6
_TOP = 0.999999
_BOTTOM = 1 / _GRID  # the lowest writable threshold above 0

BREAK_EVEN = 0.5  # match weight 0: above it the model rates a pair more likely a match
MIN_GAP_BITS = 2.0  # the review band spans at least this much match weight below auto_link


def _writable(p: np.ndarray) -> np.ndarray:
    return np.minimum(np.floor(p * _GRID) / _GRID, _TOP)


def precision_recall_curve(
    pairs: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    respect_vetoes: bool = True,
) -> pd.DataFrame:
    """Pairwise precision and recall of "match when probability >= threshold".

    ``pairs``: scored pairs (record_key_l, record_key_r, match_probability[, veto]),
    e.g. the store's ``<object>_pairs``. ``labels``: (record_key_l, record_key_r,
    is_match), from :func:`resolver.review.decisions.labels` or the demo truth. Only labelled
    pairs count; a labelled match that was never scored is a miss at every threshold.
    With ``respect_vetoes`` a vetoed pair is never a predicted match (it cannot
    auto-link), which is right for the auto-link threshold.

    One row per candidate threshold (every labelled score, floored to six decimals so
    it can be written to a rules file as is), highest first: threshold, match_weight,
    predicted, tp, fp, fn, precision (NaN when nothing is predicted), recall, f1.
    """
    if labels.empty:
        raise ValueError("no labels: decide some proposals or pass the demo truth")
    lab = ordered(labels[[*PAIR_COLUMNS, "is_match"]]).drop_duplicates(PAIR_COLUMNS, keep="last")
    cols = [*PAIR_COLUMNS, "match_probability"] + (["veto"] if "veto" in pairs else [])
    scored = ordered(pairs[cols]).drop_duplicates(PAIR_COLUMNS)
    df = lab.merge(scored, on=PAIR_COLUMNS, how="left")
    score = df["match_probability"].fillna(0.0).to_numpy(dtype=float)
    if respect_vetoes and "veto" in df:
        score = np.where(df["veto"].notna().to_numpy(), 0.0, score)
    truth = df["is_match"].astype(bool).to_numpy()
    positives = int(truth.sum())

    thresholds = np.unique(_writable(score[score > 0]))[::-1]
    order = np.argsort(-score, kind="stable")
    s_sorted, t_sorted = score[order], truth[order]
    tp_cum = np.concatenate([[0], np.cumsum(t_sorted)])
    fp_cum = np.concatenate([[0], np.cumsum(~t_sorted)])
    # pairs predicted at threshold t: score >= t (scores sorted descending)
    n_pred = np.searchsorted(-s_sorted, -thresholds, side="right")
    tp, fp = tp_cum[n_pred], fp_cum[n_pred]
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(n_pred > 0, tp / np.maximum(n_pred, 1), np.nan)
        recall = tp / positives if positives else np.full(len(tp), np.nan)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    out = pd.DataFrame(
        {
            "threshold": thresholds,
            "match_weight": [_weight(t) for t in thresholds],
            "predicted": n_pred,
            "tp": tp,
            "fp": fp,
            "fn": positives - tp,
            "precision": precision,
            "recall": recall,
            "f1": f1,
        }
    )
    return out


def _weight(p: float) -> float:
    return math.log2(p / (1 - p)) if 0 < p < 1 else math.inf


def _probability(weight: float) -> float:
    """The writable threshold at ``weight`` bits (floored to the grid, kept in (0, 1))."""
    p = 1.0 / (1.0 + 2.0 ** (-weight)) if weight > -1000 else 0.0
    return float(min(max(_writable(np.array([p]))[0], _BOTTOM), _TOP))


def auto_link_floor(pairs: pd.DataFrame, *, min_precision: float) -> float:
    """The lowest auto-link threshold the scored pairs themselves support.

    Labels thin out where scores are low: on the demo one labelled pair lies between
    0.45 and 0.905, so "precision 1.0 down to 0.187" rested on two pairs and the
    tuner proposed auto-linking pairs the model gives 19%. The floor does not depend
    on labels. It is the larger of

    * :data:`BREAK_EVEN` (0.5, match weight 0): below it the model itself says a pair
      is more likely two entities than one, and a few labels do not overrule that;
    * the model's own precision estimate: over *every* scored pair that can
      auto-link (vetoed pairs cannot), labelled or not, the expected share of true
      matches among the pairs at or above ``t`` is the mean of their
      ``match_probability``. The floor is the lowest ``t`` (a writable score) at
      which that expectation still reaches ``min_precision``; when even the best
      pair's does not, the best pair's score (the model doubts all of them).
    """
    score = pairs["match_probability"].to_numpy(dtype=float)
    if "veto" in pairs:
        score = score[pairs["veto"].isna().to_numpy()]
    score = np.sort(score[score > 0])[::-1]
    if len(score) == 0:
        return BREAK_EVEN
    grid = _writable(score)  # p >= t <=> its writable value >= t, for t on the grid
    thresholds = np.unique(grid)[::-1]
    n = np.searchsorted(-grid, -thresholds, side="right")  # pairs at or above each
    expected = np.cumsum(score)[n - 1] / n
    ok = np.nonzero(expected >= min_precision)[0]
    model = thresholds[ok.max()] if len(ok) else thresholds[0]
    return float(max(BREAK_EVEN, model))


def review_ceiling(auto_link: float, *, min_gap_bits: float = MIN_GAP_BITS) -> float:
    """The highest review threshold that leaves a real band below ``auto_link``:
    ``min_gap_bits`` of match weight lower, written to six decimals, in (0, 1) and
    strictly below ``auto_link``."""
    if not 0 < auto_link < 1:
        raise ValueError(f"auto_link must be in (0, 1), got {auto_link}")
    ceiling = _probability(_weight(auto_link) - min_gap_bits)
    if ceiling >= auto_link:  # only at the very bottom of the grid
        ceiling = max(_BOTTOM, float(_writable(np.array([auto_link - _BOTTOM]))[0]))
    if not 0 < ceiling < auto_link:
        raise ValueError(f"no review threshold fits below auto_link {auto_link}")
    return ceiling


def choose_threshold(
    curve: pd.DataFrame,
    *,
    min_precision: float,
    at_most: float | None = None,
    at_least: float | None = None,
) -> float:
    """The threshold with the highest recall whose precision is at least
    ``min_precision`` (the highest such threshold when several tie on recall),
    raised to ``at_least`` (e.g. :func:`auto_link_floor`) and capped at ``at_most``
    (e.g. the rules' auto_merge, which auto_link must not pass; the cap wins).

    Raises ValueError when no threshold reaches the precision.
    """
    ok = curve[curve["precision"] >= min_precision]
    if ok.empty:
        best = curve["precision"].max()
        raise ValueError(
            f"no threshold reaches precision {min_precision} (best {best:.4f}); "
            "lower min_precision or improve the model"
        )
    best = ok[ok["recall"] == ok["recall"].max()]
    t = float(best["threshold"].max())
    if at_least is not None:
        t = max(t, at_least)
    return min(t, at_most) if at_most is not None else t


def choose_review_threshold(
    curve: pd.DataFrame, *, min_recall: float, at_most: float | None = None
) -> float:
    """The highest threshold whose recall is at least ``min_recall``: pairs above it
    reach a reviewer. Capped at ``at_most`` (the auto-link threshold) when given.

    Raises ValueError when no threshold reaches the recall.
    """
    ok = curve[curve["recall"] >= min_recall]
    if ok.empty:
        raise ValueError(
            f"no threshold reaches recall {min_recall} (best {curve['recall'].max():.4f}): "
            "the missing matches were never scored; widen the blocking rules"
        )
    t = float(ok["threshold"].max())
    return min(t, at_most) if at_most is not None else t


def at_threshold(curve: pd.DataFrame, threshold: float) -> dict[str, Any]:
    """The curve's row in force at ``threshold`` (the lowest candidate >= it)."""
    rows = curve[curve["threshold"] >= threshold]
    if rows.empty:
        return {
            "threshold": threshold,
            "match_weight": _weight(threshold),
            "predicted": 0,
            "precision": float("nan"),
            "recall": 0.0,
        }
    row = rows.iloc[-1].to_dict()
    row["threshold"], row["match_weight"] = threshold, _weight(threshold)
    return row


class Bands:
    """Thresholds chosen from labels, with the curves and a before/after table.

    ``floor`` is the lowest auto_link the scored pairs support
    (:func:`auto_link_floor`); ``band_pairs`` the scored pairs the chosen review band
    [review, auto_link) holds.
    """

    def __init__(
        self,
        *,
        auto_link: float,
        review: float,
        curve: pd.DataFrame,
        curve_review: pd.DataFrame,
        table: pd.DataFrame,
        floor: float = BREAK_EVEN,
        band_pairs: int = 0,
    ) -> None:
        self.auto_link, self.review = auto_link, review
        self.curve, self.curve_review, self.table = curve, curve_review, table
        self.floor, self.band_pairs = floor, band_pairs


def choose_bands(
    pairs: pd.DataFrame,
    labels: pd.DataFrame,
    rules: Any,
    *,
    min_precision: float,
    min_recall: float,
    min_gap_bits: float = MIN_GAP_BITS,
) -> Bands:
    """Pick auto_link and review from labels.

    auto_link: the threshold with the best recall keeping ``min_precision`` on the
    labels, never below :func:`auto_link_floor` (what the scored pairs support,
    labelled or not) and never above the rules' auto_merge.

    review: reaching ``min_recall`` (pairs above it reach a reviewer), never narrower
    than the rules' band now, and always a real band: at least ``min_gap_bits`` of
    match weight below auto_link (:func:`review_ceiling`), so review < auto_link and
    every scored pair within those bits below auto_link goes to a reviewer.
    """
    curve = precision_recall_curve(pairs, labels)
    curve_review = precision_recall_curve(pairs, labels, respect_vetoes=False)
    auto_merge = rules.doc["thresholds"].get("auto_merge")
    floor = auto_link_floor(pairs, min_precision=min_precision)
    auto_link = choose_threshold(
        curve, min_precision=min_precision, at_least=floor, at_most=auto_merge
    )
    ceiling = review_ceiling(auto_link, min_gap_bits=min_gap_bits)
    review = choose_review_threshold(curve_review, min_recall=min_recall, at_most=ceiling)
    # labels say where the matches end; keep the review band at least as wide as it is
    review = min(review, rules.thresholds.review)
    score = pairs["match_probability"].to_numpy(dtype=float)
    band_pairs = int(((score >= review) & (score < auto_link)).sum())
    table = pd.DataFrame(
        [
            {"band": "auto_link (now)", **at_threshold(curve, rules.thresholds.auto_link)},
            {"band": "auto_link (floor)", **at_threshold(curve, floor)},
            {"band": "auto_link (chosen)", **at_threshold(curve, auto_link)},
            {"band": "review (now)", **at_threshold(curve_review, rules.thresholds.review)},
            {"band": "review (chosen)", **at_threshold(curve_review, review)},
        ]
    )
    return Bands(
        auto_link=auto_link,
        review=review,
        curve=curve,
        curve_review=curve_review,
        table=table,
        floor=floor,
        band_pairs=band_pairs,
    )


def write_bands(rules_dir: Any, obj: str, bands: Bands) -> str:
    """Write the chosen thresholds into ``rules_dir`` and return the diff of the file."""

    path = rules_dir / RULE_FILES[obj]
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    write_thresholds(rules_dir, obj, auto_link=bands.auto_link, review=bands.review)
    after = path.read_text(encoding="utf-8")
    assert read_overrides(rules_dir, obj)["thresholds"]["auto_link"] == bands.auto_link
    return "".join(
        difflib.unified_diff(before.splitlines(True), after.splitlines(True), "before", "after")
    )
