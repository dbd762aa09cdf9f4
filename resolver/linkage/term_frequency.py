"""Term-frequency adjustments that redistribute a level's weight, never overturn it.

Splink adjusts an exact-agreement level by ``log2(u_exact) - log2(tf)``: the level's
trained u against the value's frequency in the input. The two are different
estimates: u is measured on random non-matching pairs (and resolver takes the
matches out of it), while a value's frequency counts the record's own duplicates. On
a small file every shared value has a frequency of at least 2 / rows, so agreeing
exactly on an ordinary name lost 6 bits on an 864-row file and counted less than
agreeing on a similar one.

Here the adjustment of a value with ``n`` records is ``clamp(c - log2(n), floor, cap)``:

- **centred**: ``c`` is chosen so that the adjustment averages zero over the records
  that share their value with another record (the values an agreeing pair can hold),
  so the level as a whole keeps the weight training gave it, and a value only counts
  more or less than that by being rarer or commoner than the typical shared value;
- **capped**: no value gains more than ``TF_CAP_BITS`` bits, or loses more;
- **floored at the next level**: exact agreement never weighs less than the
  comparison's best partial level (``smith = smith`` counts at least as much as
  ``smith ~ smyth``).

Frequencies are counted over the whole input of a run (every system together), so
splitting one file into two systems changes nothing. Splink reads the result as a
term-frequency lookup whose ``tf_<col>`` is ``2 ** (log2(u_exact) - adjustment)``;
its own formula then gives back exactly the adjustment above.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from resolver.linkage.comparisons import AT_HOME

TF_CAP_BITS = 4.0  # the most a value's frequency may move its level's weight, either way
_BISECTIONS = 100
# far above the rounding of a weighted mean of values within +-cap bits (weights sum to 1)
_CLEARLY_NONZERO = 1e-9


@dataclass(frozen=True)
class TfLevel:
    """What the adjustment of one term-frequency column needs from the model."""

    column: str
    log2_u_exact: float  # Splink's anchor: log2 of the exact level's u
    floor: float  # the most negative adjustment allowed (<= 0)
    cap: float = TF_CAP_BITS


def centred_adjustments(
    counts: np.ndarray, *, floor: float = -TF_CAP_BITS, cap: float = TF_CAP_BITS
) -> np.ndarray:
    """Adjustments in bits for values held by ``counts`` records each.

    ``clamp(c - log2(count), floor, cap)`` with ``c`` such that the mean adjustment over
    the records whose value is shared (count >= 2) is zero, or over every record when
    no value is shared. Depends only on the counts' ratios: the same at any size.

    >>> centred_adjustments(np.array([2, 2, 4])).round(3).tolist()  # 4 records, 4 records
    [0.5, 0.5, -0.5]
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.size == 0:
        return counts
    floor, cap = min(0.0, floor), max(0.0, cap)
    raw = -np.log2(counts)
    shared = counts >= 2
    weights = np.where(shared, counts, 0.0) if shared.any() else counts
    weights = weights / weights.sum()

    def mean(c: float) -> float:
        return float(np.dot(weights, np.clip(c + raw, floor, cap)))

    # the same mean over the distinct counts (a few hundred, not one per value): its
    # sign is mean()'s wherever it is clearly away from zero, so only the last steps
    # of the bisection need the exact sum (whose rounding decides them)
    distinct, which = np.unique(raw, return_inverse=True)
    grouped = np.bincount(which.ravel(), weights=weights, minlength=distinct.size)

    def below_zero(c: float) -> bool:
        quick = float(np.dot(grouped, np.clip(c + distinct, floor, cap)))
        return quick < 0 if abs(quick) > _CLEARLY_NONZERO else mean(c) < 0

    # mean() rises with c from floor to cap, so the root lies in [lo, hi]
    lo, hi = floor - raw.max(), cap - raw.min()
    for _ in range(_BISECTIONS):
        mid = (lo + hi) / 2
        if mid in (lo, hi):  # adjacent floats: no later step changes anything
            break
        if below_zero(mid):
            lo = mid
        else:
            hi = mid
    return np.clip((lo + hi) / 2 + raw, floor, cap)


def tf_levels(splink: Mapping[str, Any]) -> dict[str, TfLevel]:
    """Per term-frequency column of a Splink model, its anchor and floor (the first
    level adjusted on that column, as Splink reads one lookup per column)."""
    out: dict[str, TfLevel] = {}
    for comp in splink["comparisons"]:
        levels = comp["comparison_levels"]
        for i, level in enumerate(levels):
            col = level.get("tf_adjustment_column")
            if not col or col in out or level.get("is_null_level"):
                continue
            if float(level.get("tf_adjustment_weight", 1.0)) == 0:
                continue
            own = _weight(level)
            others = [
                _weight(lv)
                for j, lv in enumerate(levels)
                if j != i
                and not lv.get("is_null_level")
                and lv["sql_condition"] != "ELSE"
                and lv.get("label_for_charts") not in AT_HOME  # weighed given a shared home
            ]
            others = [w for w in others if w is not None]
            floor = -TF_CAP_BITS
            if own is not None and others:
                floor = max(floor, min(0.0, max(others) - own))
            out[col] = TfLevel(col, math.log2(u_exact(levels, col, level)), floor)
    return out


def u_exact(levels: list[dict[str, Any]], col: str, own: Mapping[str, Any]) -> float:
    """u of the level that is an exact match on ``col`` (Splink's anchor), else the
    adjusted level's own."""
    exact = re.compile(rf"^\s*\(?\s*{col}_l\s*=\s*{col}_r\s*\)?\s*$")
    for lv in levels:
        if exact.match(lv["sql_condition"]) and lv.get("u_probability"):
            return float(lv["u_probability"])
    return float(own["u_probability"])


def _weight(level: Mapping[str, Any]) -> float | None:
    m, u = level.get("m_probability"), level.get("u_probability")
    if not m or not u:
        return None
    return math.log2(m / u)


def effective_frequencies(counts: pd.Series, level: TfLevel) -> pd.Series:
    """The ``tf`` Splink should read for each value (index: value; ``counts``: records
    holding it) so that its formula gives the centred, capped adjustment."""
    counts = counts[counts > 0]
    adj = centred_adjustments(counts.to_numpy(), floor=level.floor, cap=level.cap)
    return pd.Series(
        np.exp2(level.log2_u_exact - adj), index=counts.index, name=f"tf_{level.column}"
    )


def tf_lookup(con: duckdb.DuckDBPyConnection, table: str, level: TfLevel) -> pd.DataFrame:
    """The term-frequency lookup of ``level.column`` over every row of ``table``: a frame
    of the value and ``tf_<column>``, as Splink's ``register_term_frequency_lookup`` takes."""
    col = level.column
    counts = con.execute(
        f"SELECT {col}, count(*) AS n FROM {table} WHERE {col} IS NOT NULL GROUP BY 1"
    ).df()
    return lookup_from_counts(counts, level)


def lookup_from_counts(counts: pd.DataFrame, level: TfLevel) -> pd.DataFrame:
    """The lookup from a frame of each value (column ``level.column``) and its count
    ``n``, counted on any engine. Values are ordered first, so the result never depends
    on the order an engine returns groups in."""
    col = level.column
    counts = counts.sort_values(col, kind="stable")
    tf = effective_frequencies(counts.set_index(col)["n"].astype("int64"), level)
    return tf.rename_axis(col).reset_index()


def value_counts(values: pd.Series) -> pd.Series:
    """Records per non-null value of one column (the input of the adjustments)."""
    return values.dropna().value_counts()
