"""Invoice numbers: prefixes, separators, case and leading zeros folded.

"INV-000123", "inv 123", "123" and "#00123" share ``123``; a non-numeric core
is kept: "INV-A12" -> ``a12``. Missing or prefix-only values give None.
"""

from __future__ import annotations

import re

import pandas as pd

from resolver.normalize._distinct import as_text, fixpoint, fold_accents, over_distinct

# 'INV-', 'INV#', 'Invoice No. ', 'BILL ', 'IN', '#': a prefix followed by a separator or a digit
_PREFIX = re.compile(
    r"^(?:invoice|inv|in|bill|billing|no|nr|num|number|ref|#)(?:[\s#:./_-]+|(?=\d))", re.IGNORECASE
)
_SEPARATORS = re.compile(r"[\s#:./_\-]+")
_LEADING_ZEROS = re.compile(r"^0+(?=.)")


def _step(text: str) -> str:
    text = _PREFIX.sub("", text.strip().lower())
    text = _SEPARATORS.sub("", text)
    return _LEADING_ZEROS.sub("", text)  # '000123' -> '123', 'a12' stays


def normalize_invoice_number(raw: object) -> str | None:
    """Normalize one invoice number; never raises.

    >>> [normalize_invoice_number(v) for v in ("INV-000123", "#00123", "INV-A12")]
    ['123', '123', 'a12']
    """
    text = as_text(raw)
    if text is None:
        return None
    text = fold_accents(text)
    out = fixpoint(_step, text, limit=10)
    return out or None


def normalize_invoice_number_column(series: pd.Series) -> pd.Series:
    """Column form over distinct values."""
    out = over_distinct(series, lambda v: (normalize_invoice_number(v),), ("invoice_number_norm",))
    return out["invoice_number_norm"]
