"""Every name a first name may stand for: itself and the names it is a nickname of.

Two first names "may be the same person" when their variant sets meet:
heather ~ hetty, john ~ jonnie, michelle ~ shellie, robert ~ billy. The list is the
``nicknames`` package's (a maintained nickname table), not a hand-written one.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
from nicknames import NickNamer

from resolver.normalize._distinct import over_distinct


@lru_cache(maxsize=1)
def _namer():

    return NickNamer()


def first_name_variants(name: object) -> list[str] | None:
    """'hetty' -> ['heather', 'hester', 'hetty', 'mehitabel']; None for a missing name."""
    if not isinstance(name, str) or not name.strip():
        return None
    key = name.strip().lower()
    return sorted({key} | set(_namer().canonicals_of(key)))


def first_name_variants_column(series: pd.Series) -> pd.Series:
    """Column form over distinct values (lists of strings, or None)."""
    out = over_distinct(series, lambda v: (first_name_variants(v),), ("variants",))
    return out["variants"]
