"""Invoice numbers, amounts and dates."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.normalize import (
    format_cents,
    normalize_invoice_frame,
    normalize_invoice_number,
    parse_amount,
    parse_amount_column,
    parse_date,
    parse_date_column,
)

INVOICES = [
    ("INV-000123", "123"),
    ("inv 123", "123"),
    ("123", "123"),
    ("#00123", "123"),
    ("INV#123", "123"),
    ("INV 00123", "123"),
    ("Invoice No. 123", "123"),
    ("BILL-123", "123"),
    ("IN123", "123"),
    ("in-0123", "123"),
    ("INV-A12", "a12"),
    ("inv a-12", "a12"),
    ("A-0012", "a0012"),
    ("2024/0042", "20240042"),
    ("INV.123", "123"),
    ("  inv_123 ", "123"),
    ("INTL-5", "intl5"),
    ("INV", "inv"),
    ("000", "0"),
    ("", None),
    (None, None),
    ("   ", None),
]


@pytest.mark.parametrize(("raw", "expected"), INVOICES)
def test_invoice_table(raw, expected):
    assert normalize_invoice_number(raw) == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_invoice_idempotent(raw):
    out = normalize_invoice_number(raw)
    if out is not None:
        assert normalize_invoice_number(out) == out


def test_invoice_frame():
    df = pd.DataFrame(
        {"invoice_number": ["INV-000123", None, "#00123", "INV-A12"]}, index=[5, 6, 7, 8]
    )
    out = normalize_invoice_frame(df)
    assert list(out.columns) == ["invoice_number_norm"]
    assert list(out.index) == [5, 6, 7, 8]
    assert out["invoice_number_norm"].tolist() == ["123", None, "123", "a12"]


AMOUNTS = [
    ("$1,234.50", "en_US", 123450),
    ("1234.5", "en_US", 123450),
    ("(12.00)", "en_US", -1200),
    ("-12", "en_US", -1200),
    ("1.234,50", "eu", 123450),
    ("1.234,50", "de_DE", 123450),
    ("1 234,50", "fr_FR", 123450),
    ("USD 1,234.50", "en_US", 123450),
    ("1,234.50 USD", "en_US", 123450),
    ("12", "en_US", 1200),
    ("$-5.00", "en_US", -500),
    ("-$5.00", "en_US", -500),
    ("12.00-", "en_US", -1200),
    ("€12,50", "eu", 1250),
    ("0.005", "en_US", 1),
    (".5", "en_US", 50),
    ("+3", "en_US", 300),
    (12.5, "en_US", 1250),
    (7, "en_US", 700),
    ("1,234,567.89", "en_US", 123456789),
]


@pytest.mark.parametrize(("raw", "locale", "cents"), AMOUNTS)
def test_amount_table(raw, locale, cents):
    assert parse_amount(raw, locale=locale) == (cents, None)


@pytest.mark.parametrize("raw", ["abc", "1,23", "12..5", "$", "1.2.3", "--5", float("inf"), "1e5"])
def test_amount_invalid(raw):
    assert parse_amount(raw) == (None, "invalid")


@pytest.mark.parametrize("raw", [None, "", "  ", float("nan")])
def test_amount_missing(raw):
    assert parse_amount(raw) == (None, None)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_amount_never_raises(raw):
    cents, reason = parse_amount(raw)
    assert (cents is None) != (reason is None) or (cents is None and reason is None)
    parse_amount(raw, locale="eu")


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_amount_round_trips_formatted_cents(cents):
    assert parse_amount(format_cents(cents)) == (cents, None)
    assert (
        parse_amount(f"${cents / 100:.2f}" if abs(cents) < 10**12 else format_cents(cents))[0]
        == cents
    )


def test_amount_column():
    out = parse_amount_column(pd.Series(["$1.00", None, "x", "$1.00"], dtype=object))
    assert str(out["value"].dtype) == "Int64"
    assert out["value"].tolist()[0] == 100 and out["value"].isna().tolist() == [
        False,
        True,
        True,
        False,
    ]
    assert out["reason"].tolist() == [None, None, "invalid", None]


D = dt.date(2024, 3, 5)
DATES = [
    ("2024-03-05", None, D),
    ("2024-3-5", None, D),
    ("2024-03-05T10:22:00Z", None, D),
    ("2024-03-05T10:22:00", None, D),
    ("2024-03-05 10:22:00+02:00", None, D),
    ("2024-03-05 01:22:00+02:00", None, dt.date(2024, 3, 4)),
    ("2024-03-05T23:30:00-05:00", None, dt.date(2024, 3, 6)),
    ("03/05/2024", None, D),
    ("3/5/2024", None, D),
    ("3/5/24", None, D),
    ("03/05/2024 10:22", None, D),
    ("05-Mar-24", None, D),
    ("05-MAR-2024", None, D),
    ("Mar 5, 2024", None, D),
    ("March 5, 2024", None, D),
    ("5 Mar 2024", None, D),
    ("20240305", None, D),
    ("05/03/2024", "%d/%m/%Y", D),
    ("05.03.2024", "%d.%m.%Y", D),
    (dt.datetime(2024, 3, 5, 10), None, D),
    (D, None, D),
]


@pytest.mark.parametrize(("raw", "fmt", "expected"), DATES)
def test_date_table(raw, fmt, expected):
    assert parse_date(raw, fmt=fmt) == (expected, None)


@pytest.mark.parametrize("raw", ["2024-02-30", "13/01/2024", "yesterday", "2024-13-01", "5/3"])
def test_date_invalid(raw):
    assert parse_date(raw) == (None, "invalid")


def test_date_fmt_is_the_only_format_tried():
    assert parse_date("2024-03-05", fmt="%d/%m/%Y") == (None, "invalid")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_date_never_raises(raw):
    parse_date(raw)
    parse_date(raw, fmt="%Y-%m-%d")


@settings(max_examples=100, deadline=None)
@given(st.dates())
def test_date_round_trips_iso(day):
    assert parse_date(day.isoformat()) == (day, None)


def test_date_column_reads_as_duckdb_date():
    out = parse_date_column(pd.Series(["2024-03-05", None, "nope", "03/05/2024"], dtype=object))
    assert out["reason"].tolist() == [None, None, "invalid", None]
    frame = out[["value"]]  # noqa: F841 - read by DuckDB below
    rel = duckdb.sql("select value from frame")
    assert rel.types[0] == "DATE"
    assert rel.fetchall() == [(D,), (None,), (None,), (D,)]
