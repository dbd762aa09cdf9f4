"""Tax and national ids: separators and case folded, so "12-3456789" and "123456789" agree."""

from __future__ import annotations

import re

import pandas as pd

from resolver.normalize._distinct import over_distinct

_NOT_ID = re.compile(r"[^0-9A-Za-z]")
_PLACEHOLDER = re.compile(r"^(0+|9+|1234567890?|n/?a|none|unknown)$", re.IGNORECASE)


def normalize_tax_id(raw: object) -> str | None:
    """'12-3456789' -> '123456789'; 'de 123 456 789' -> 'DE123456789'; '000000000' -> None."""
    if not isinstance(raw, str) or not raw.strip() or _PLACEHOLDER.match(raw.strip()):
        return None
    value = _NOT_ID.sub("", raw).upper()
    if not value or _PLACEHOLDER.match(value):
        return None
    return value


def normalize_tax_id_column(series: pd.Series) -> pd.Series:
    """Column form over distinct values."""
    out = over_distinct(series, lambda v: (normalize_tax_id(v),), ("tax_id_norm",))
    return out["tax_id_norm"]
