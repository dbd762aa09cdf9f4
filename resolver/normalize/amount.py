"""Money amounts -> integer cents.

``parse_amount(raw, *, locale="en_US")`` returns ``(cents, reason)``; reason is
None when parsed or missing, else "invalid" or "out_of_range". Locales whose
language writes a decimal comma ("eu", "de_DE", "fr_FR", ...) read "1.234,50"
as 123450. Currency symbols and codes, parentheses (negative) and spaces are
handled; more than two decimals round half up.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

from resolver.normalize._distinct import is_missing, over_distinct

_COMMA_DECIMAL = frozenset(
    [
        "eu",
        "de",
        "fr",
        "es",
        "it",
        "nl",
        "pt",
        "da",
        "sv",
        "nb",
        "no",
        "fi",
        "pl",
        "ru",
        "tr",
        "cs",
        "sk",
        "hu",
        "ro",
        "el",
        "id",
        "vi",
    ]
)
_CURRENCY = re.compile(r"(?i)(?:usd|eur|gbp|cad|aud|chf|mxn|us\$|c\$|a\$|[$€£¥])")
# '(12.00)' -> negative; '12.00-' (trailing minus, ledger style) too
_PARENS = re.compile(r"^\((.*)\)$")
_EN = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
_EU = re.compile(r"^(?:\d{1,3}(?:[.\s']\d{3})+|\d+)?(?:,\d+)?$")
_MAX_CENTS = 10**15
# the common form, read without Decimal: digits, a point and at most two decimals
_PLAIN = re.compile(r"(-?)(\d+)(?:\.(\d{1,2}))?", re.ASCII)


def _comma_decimal(locale: str) -> bool:
    return locale.replace("-", "_").split("_")[0].lower() in _COMMA_DECIMAL


def parse_amount(raw: object, *, locale: str = "en_US") -> tuple[int | None, str | None]:
    """Parse one amount to integer cents; never raises.

    >>> parse_amount("$1,234.50"), parse_amount("(12.00)"), parse_amount("1.234,50", locale="eu")
    ((123450, None), (-1200, None), (123450, None))
    """
    if is_missing(raw):
        return None, None
    if isinstance(raw, bool):
        return None, "invalid"
    if isinstance(raw, (int, np.integer)):
        cents = int(raw) * 100
        return (cents, None) if abs(cents) < _MAX_CENTS else (None, "out_of_range")
    if type(raw) is str and not _comma_decimal(locale):
        plain = _PLAIN.fullmatch(raw)
        if plain:  # what the general path below gives for it, exactly
            sign, whole, frac = plain.groups()
            cents = int(whole) * 100 + int((frac or "").ljust(2, "0"))
            if cents >= _MAX_CENTS:
                return None, "out_of_range"
            return (-cents if sign else cents), None
    if isinstance(raw, (float, np.floating)):
        if not math.isfinite(raw):
            return None, "invalid"
        raw = repr(float(raw))
        locale = "en_US"
    text = str(raw).strip().replace("\u00a0", " ").replace("\u2212", "-")
    negative = False
    parens = _PARENS.match(text)
    if parens:
        text, negative = parens.group(1).strip(), True
    text = _CURRENCY.sub("", text).strip()
    if text.startswith("-"):
        text, negative = text[1:].strip(), not negative
    elif text.endswith("-"):
        text, negative = text[:-1].strip(), not negative
    elif text.startswith("+"):
        text = text[1:].strip()
    text = _CURRENCY.sub("", text).strip()
    if _comma_decimal(locale):
        if not _EU.match(text) or not any(ch.isdigit() for ch in text):
            return None, "invalid"
        text = re.sub(r"[.\s']", "", text).replace(",", ".")
    else:
        text = text.replace(" ", "")
        if not _EN.match(text) or not any(ch.isdigit() for ch in text):
            return None, "invalid"
        text = text.replace(",", "")
    try:
        value = Decimal(text) * 100
        cents = int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        return None, "invalid"
    if abs(cents) >= _MAX_CENTS:
        return None, "out_of_range"
    return (-cents if negative else cents), None


def format_cents(cents: int) -> str:
    """Cents as '1,234.50' (negative '-1,234.50'): parse_amount reads it back."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{frac:02d}"


def parse_amount_column(series: pd.Series, *, locale: str = "en_US") -> pd.DataFrame:
    """Column form over distinct values: ``value`` (nullable Int64 cents) and ``reason``."""
    out = over_distinct(series, lambda v: parse_amount(v, locale=locale), ("value", "reason"))
    out["value"] = pd.array(out["value"].tolist(), dtype="Int64")
    return out
