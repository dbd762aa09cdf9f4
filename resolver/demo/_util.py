"""Vectorised string building and sampling helpers for the demo generator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache

import numpy as np
import pandas as pd

# Day 0 of the demo calendar and the day the exports were taken.
EPOCH = dt.date(2019, 1, 1)
EXPORT_DATE = dt.date(2025, 1, 31)
EXPORT_DAY = (EXPORT_DATE - EPOCH).days
_MAX_DAY = EXPORT_DAY + 120  # due dates run past the export day


def pick(
    rng: np.random.Generator, eligible: np.ndarray, rate: float, *, minimum: int = 1
) -> np.ndarray:
    """A sorted random subset of ``eligible`` of size round(rate * len), at least ``minimum``."""
    n = len(eligible)
    if n == 0:
        return eligible[:0]
    k = min(n, max(minimum, round(rate * n)))
    return np.sort(rng.choice(eligible, size=k, replace=False))


def weighted(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    """``size`` indices drawn with the given relative weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def table(values: Sequence[str]) -> np.ndarray:
    """An object array to index vocabulary strings by integer codes."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


@cache
def padded(width: int) -> np.ndarray:
    """Zero-padded decimal strings of 0 .. 10**width - 1."""
    return table([f"{i:0{width}d}" for i in range(10**width)])


@cache
def plain(n: int) -> np.ndarray:
    """Decimal strings of 0 .. n-1."""
    return table([str(i) for i in range(n)])


def num(values: np.ndarray, width: int = 0) -> np.ndarray:
    """Integers as strings, zero-padded to ``width`` (vectorised through a lookup table)."""
    values = np.asarray(values, dtype=np.int64)
    if width and width <= 5 and (not len(values) or values.max() < 10**width):
        return padded(width)[values]
    if not width and len(values) and values.max() < 100_000:
        return plain(100_000)[values]
    s = pd.Series(values).astype(str)
    return (s.str.zfill(width) if width else s).to_numpy(dtype=object)


@cache
def _date_table(fmt: str) -> np.ndarray:
    days = pd.date_range(EPOCH, periods=_MAX_DAY + 1, freq="D")
    return table(list(days.strftime(fmt)))


def dates(day: np.ndarray, fmt: str) -> np.ndarray:
    """Day offsets from EPOCH formatted with a strftime format (English month names)."""
    return _date_table(fmt)[np.asarray(day, dtype=np.int64)]


@cache
def _clock_table() -> np.ndarray:
    return table([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)])


def iso_timestamps(day: np.ndarray, second: np.ndarray) -> np.ndarray:
    """ISO-8601 UTC timestamps like ``2024-03-14T09:12:45Z``."""
    return cat(dates(day, "%Y-%m-%d"), "T", _clock_table()[np.asarray(second, dtype=np.int64)], "Z")


def cat(*parts: object) -> np.ndarray:
    """Element-wise concatenation of object arrays and scalar strings."""
    out: object = ""
    for part in parts:
        out = out + part  # numpy object arrays concatenate Python strings element-wise
    if isinstance(out, str):
        raise ValueError("cat() needs at least one array")
    return np.asarray(out, dtype=object)


def where(cond: np.ndarray, a: object, b: object) -> np.ndarray:
    """np.where that keeps Python strings (object dtype)."""
    return np.where(cond, np.asarray(a, dtype=object), np.asarray(b, dtype=object))


def upper(values: np.ndarray) -> np.ndarray:
    return pd.Series(values, dtype=object).str.upper().to_numpy(dtype=object)


def lower(values: np.ndarray) -> np.ndarray:
    return pd.Series(values, dtype=object).str.lower().to_numpy(dtype=object)


def money(cents: np.ndarray, *, symbol: str = "", thousands: str = "") -> np.ndarray:
    """Integer cents as "1234.50", or "$1,234.50" with symbol="$", thousands=","."""
    cents = np.asarray(cents, dtype=np.int64)
    neg = cents < 0
    dollars, rest = np.divmod(np.abs(cents), 100)
    if thousands:
        d = [f"{x:,}" for x in dollars.tolist()]
        dstr = table(d) if thousands == "," else table([x.replace(",", thousands) for x in d])
    else:
        dstr = num(dollars)
    return cat(where(neg, "-", ""), symbol, dstr, ".", padded(2)[rest])


_KEYBOARD = {
    "a": "sqz",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "q": "w",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "tu",
    "z": "x",
}


def typo(word: str, r1: int, r2: int) -> str:
    """One realistic keying error in ``word`` (never in the first letter): swap, drop,
    double or hit a neighbouring key. ``r1``/``r2`` are random integers."""
    if len(word) < 4:
        return word + word[-1]
    i = 1 + r1 % (len(word) - 2)
    kind = r2 % 4
    if kind == 0 and word[i] != word[i + 1]:  # "Jonhson"
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind in (0, 1):  # "Jonson"
        return word[:i] + word[i + 1 :]
    if kind == 2:  # "Johnsson"
        return word[: i + 1] + word[i:]
    near = _KEYBOARD.get(word[i].lower(), "e")
    return word[:i] + near[r2 // 4 % len(near)] + word[i + 1 :]
