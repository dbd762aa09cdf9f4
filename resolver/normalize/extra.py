"""Extra attributes (a contract's ``extra:`` columns): text made comparable.

An extra attribute has no canonical meaning resolver knows (a region code, a date of
birth kept as text, a national id, a cuisine), so it gets the normalization every
text value can take without losing what matches: accents folded, lower case, runs of
white space as one space. What a value means is left to the model derived from the
data (a few distinct values: a category compared exactly; many: compared as text).
"""

from __future__ import annotations

import re

import pandas as pd

from resolver.normalize._distinct import as_text, fold_accents

_SPACE = re.compile(r"\s+")


def normalize_extra(value: object) -> str | None:
    """'  North  West ' -> 'north west'; 'Zoë' -> 'zoe'; '' or None -> None."""
    text = as_text(value)
    if text is None:
        return None
    return _SPACE.sub(" ", fold_accents(text).lower()).strip() or None


def normalize_extra_column(values: pd.Series) -> pd.Series:
    """:func:`normalize_extra` over a column, once per distinct value."""
    lookup = {v: normalize_extra(v) for v in values.dropna().unique()}
    out = [
        None if v is None else lookup.get(v)
        for v in values.astype(object).where(values.notna(), None)
    ]
    return pd.Series(out, index=values.index, dtype=object)
