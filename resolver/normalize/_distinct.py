"""The one over-distinct helper every normalizer's column form uses.

A column is factorized, the scalar normalizer runs once per distinct value and
the results are taken back by the codes, so cost grows with distinct values,
not rows (phonenumbers and address parsing cost tens of microseconds a call).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd


def is_missing(value: object) -> bool:
    """True for None, NaN/NA, and strings that are empty or only whitespace."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_text(value: object) -> str | None:
    """The value as a stripped string, or None when missing."""
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        # a CSV reader turned 62704 into 62704.0
        return str(int(value))
    return str(value).strip()


def fold_accents(text: str) -> str:
    """Fold accents and compatibility forms: 'José' -> 'Jose', 'ﬁ' -> 'fi'."""
    if text.isascii():
        return text  # NFKD changes nothing in ASCII; most values take this exit
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fixpoint(fn: Callable[[str], str], text: str, limit: int = 5) -> str:
    """Apply ``fn`` until the text stops changing, so the result is idempotent."""
    for _ in range(limit):
        nxt = fn(text)
        if nxt == text:
            return nxt
        text = nxt
    return text


def over_distinct(
    series: pd.Series | Sequence[Any],
    fn: Callable[[Any], tuple[Any, ...]],
    columns: Sequence[str],
    *,
    index: pd.Index | None = None,
) -> pd.DataFrame:
    """Apply ``fn`` (value -> tuple, one item per column) once per distinct value.

    Missing values (None/NaN) get ``fn(None)``. The result is an object-dtype
    frame on the series' index (or ``index``), one column per name in ``columns``.
    """
    if not isinstance(series, pd.Series):
        series = pd.Series(list(series), dtype=object)
    idx = series.index if index is None else index
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    results = [fn(u) for u in uniques]
    results.append(fn(None))  # code -1 (missing) takes the last slot
    n_cols = len(columns)
    table = np.empty((len(results), n_cols), dtype=object)
    for i, res in enumerate(results):
        table[i, :] = res if n_cols > 1 else (res[0],)
    codes = np.where(codes < 0, len(results) - 1, codes)
    taken = table[codes]
    return pd.DataFrame(
        {name: pd.Series(taken[:, j], index=idx, dtype=object) for j, name in enumerate(columns)},
        index=idx,
    )
