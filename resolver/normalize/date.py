"""Dates: ``parse_date(raw, *, fmt=None)`` -> ``(datetime.date | None, reason)``.

Accepted without ``fmt``: ISO dates ("2024-03-05"), ISO timestamps
("2024-03-05T10:22:00Z", "2024-03-05 10:22:00+02:00": a timestamp with a zone
is converted to UTC, then its date is taken; a naive timestamp keeps its own
date), US slash dates "MM/DD/YYYY" and "MM/DD/YY", "DD-Mon-YY" / "DD-Mon-YYYY"
("05-Mar-24"), "Mon DD, YYYY", "DD Mon YYYY", compact "YYYYMMDD". A source
contract with an ambiguous format declares ``fmt`` (a strptime format), which
is then the only format tried. Reason is None when parsed or missing, else
"invalid".

``parse_date_column`` returns ``value`` as ``pd.ArrowDtype(pa.date32())``, a
nullable date dtype that DuckDB reads as DATE.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pyarrow as pa

from resolver.normalize._distinct import is_missing, over_distinct

DATE_DTYPE = pd.ArrowDtype(pa.date32())

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# '2024-03-05T10:22:00Z', '2024-03-05 10:22:00.123+02:00'
_ISO_TS = re.compile(
    r"^\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
_SLASH = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?$",
    re.IGNORECASE,
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TEXT_FORMATS = (
    "%d-%b-%y",
    "%d-%b-%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%d.%m.%Y",
)


def _year(y: str) -> int:
    # two-digit years: 00-68 -> 2000s, 69-99 -> 1900s (the strptime %y pivot)
    return int(y) if len(y) == 4 else (2000 + int(y) if int(y) < 69 else 1900 + int(y))


def _iso_ts(text: str) -> dt.date:
    text = text.replace(" ", "T", 1).replace(",", ".")
    if text[-1] in "zZ":
        text = text[:-1] + "+00:00"
    stamp = dt.datetime.fromisoformat(text)
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC)  # '2024-03-05 01:00+02:00' -> 2024-03-04
    return stamp.date()


def parse_date(raw: object, *, fmt: str | None = None) -> tuple[dt.date | None, str | None]:
    """Parse one date; never raises.

    >>> parse_date("03/05/2024"), parse_date("05-Mar-24")
    ((datetime.date(2024, 3, 5), None), (datetime.date(2024, 3, 5), None))
    """
    if is_missing(raw):
        return None, None
    if isinstance(raw, dt.datetime):
        if raw.tzinfo is not None:
            raw = raw.astimezone(dt.UTC)
        return raw.date(), None
    if isinstance(raw, dt.date):
        return raw, None
    text = str(raw).strip()
    try:
        if fmt is not None:
            parsed = dt.datetime.strptime(text, fmt)
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(dt.UTC)
            return parsed.date(), None
        match = _ISO_DATE.match(text) or _COMPACT.match(text)
        if match:
            y, m, d = match.groups()
            return dt.date(int(y), int(m), int(d)), None
        if _ISO_TS.match(text):
            return _iso_ts(text), None
        match = _SLASH.match(text)
        if match:
            m, d, y = match.groups()  # US order unless the contract says otherwise
            return dt.date(_year(y), int(m), int(d)), None
        for form in _TEXT_FORMATS:
            try:
                return dt.datetime.strptime(text, form).date(), None
            except ValueError:
                continue
    except (ValueError, OverflowError, TypeError):
        return None, "invalid"
    return None, "invalid"


def parse_date_column(series: pd.Series, *, fmt: str | None = None) -> pd.DataFrame:
    """Column form over distinct values: ``value`` (date32, DuckDB DATE) and ``reason``."""
    out = over_distinct(series, lambda v: parse_date(v, fmt=fmt), ("value", "reason"))
    out["value"] = pd.Series(pd.array(out["value"].tolist(), dtype=DATE_DTYPE), index=out.index)
    return out


# partial dates, as birth dates are often kept: '1987', '1987-05', '1987/5', '05/1987',
# '5-1987', 'May 1987', 'May, 1987'
_YEAR = re.compile(r"^(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_MONTH_NAME_YEAR = re.compile(r"^([A-Za-z]{3,9})\.?,?\s+(\d{4})$")
_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_YEARS = (1800, 2199)  # a year outside this is a typo, not a birth year


def _plausible(year: str, month: int | None = None) -> str | None:
    if not _YEARS[0] <= int(year) <= _YEARS[1]:
        return None
    if month is not None and not 1 <= month <= 12:
        return None
    return year


def partial_year(raw: object) -> str | None:
    """The year of a partial date ('1987', '1987-05', '05/1987', 'May 1987'), else None.

    A full date is not partial: ``partial_year("1987-05-12")`` is None.
    """
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)  # a year kept as a number
    if is_missing(raw) or not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text.isascii():
        return None
    match = _YEAR.match(text)
    if match:
        return _plausible(match.group(1))
    match = _YEAR_MONTH.match(text)
    if match:
        return _plausible(match.group(1), int(match.group(2)))
    match = _MONTH_YEAR.match(text)
    if match:
        return _plausible(match.group(2), int(match.group(1)))
    match = _MONTH_NAME_YEAR.match(text)
    if match and match.group(1).lower() in _MONTHS:
        return _plausible(match.group(2))
    return None


def birth_year(value: object) -> str | None:
    """'1987' from a date, a full date text or a partial one; None otherwise; never raises.

    >>> birth_year(dt.date(1987, 5, 12)), birth_year("05/1987"), birth_year("1987-05-12")
    ('1987', '1987', '1987')
    """
    if is_missing(value):
        return None
    if isinstance(value, dt.date):
        value, _ = parse_date(value)  # a datetime with a zone: its UTC date, as stored
        return _plausible(f"{value.year:04d}") if value is not None else None
    year = partial_year(value)
    if year is not None:
        return year
    parsed, _ = parse_date(value)
    return _plausible(f"{parsed.year:04d}") if parsed is not None else None
