"""Email and phone normalizers: real-world tables and properties."""

from __future__ import annotations

import random

import pandas as pd
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.normalize import (
    normalize_email,
    normalize_email_column,
    normalize_phone,
    normalize_phone_column,
)
from resolver.normalize.phone import _fast, _slow

EMAILS = [
    ("jane@x.com", "jane@x.com", "jane@x.com", None),
    ("  Jane@X.COM ", "jane@x.com", "jane@x.com", None),
    ("mailto:bob@acme.com", "bob@acme.com", "bob@acme.com", None),
    ("MAILTO:Bob@Acme.com", "bob@acme.com", "bob@acme.com", None),
    ("Jane Doe <jane@x.com>", "jane@x.com", "jane@x.com", None),
    ('"Doe, Jane" <Jane.Doe@x.com>', "jane.doe@x.com", "jane.doe@x.com", None),
    ("<jane@x.com>", "jane@x.com", "jane@x.com", None),
    ("jane@x.com;", "jane@x.com", "jane@x.com", None),
    ("jane @ x.com", "jane@x.com", "jane@x.com", None),
    ("j.doe@gmail.com", "j.doe@gmail.com", "jdoe@gmail.com", None),
    ("J.Doe+crm@gmail.com", "j.doe+crm@gmail.com", "jdoe@gmail.com", None),
    ("j.doe@googlemail.com", "j.doe@googlemail.com", "jdoe@gmail.com", None),
    ("jane+billing@x.com", "jane+billing@x.com", "jane@x.com", None),
    ("jane.doe@yahoo.com", "jane.doe@yahoo.com", "jane.doe@yahoo.com", None),
    ("jane@gmial.com", "jane@gmail.com", "jane@gmail.com", None),
    ("jane@gmai.com", "jane@gmail.com", "jane@gmail.com", None),
    ("jane@gamil.com", "jane@gmail.com", "jane@gmail.com", None),
    ("jane@gmail.con", "jane@gmail.com", "jane@gmail.com", None),
    ("jane@hotmial.com", "jane@hotmail.com", "jane@hotmail.com", None),
    ("jane@yahooo.com", "jane@yahoo.com", "jane@yahoo.com", None),
    ("jane@yaho.com", "jane@yahoo.com", "jane@yahoo.com", None),
    ("jane@outlok.com", "jane@outlook.com", "jane@outlook.com", None),
    ("o'brien@x.ie", "o'brien@x.ie", "o'brien@x.ie", None),
    (
        "first_last@sub.example.co.uk",
        "first_last@sub.example.co.uk",
        "first_last@sub.example.co.uk",
        None,
    ),
    (
        "first_last@mail.acme.co.uk",
        "first_last@mail.acme.co.uk",
        "first_last@mail.acme.co.uk",
        None,
    ),
    ("none@none.com", None, None, "placeholder"),
    ("noemail@acme.com", None, None, "placeholder"),
    ("no-email@gmail.com", None, None, "placeholder"),
    ("test@test.com", None, None, "placeholder"),
    ("n/a", None, None, "placeholder"),
    ("N/A", None, None, "placeholder"),
    ("na", None, None, "placeholder"),
    ("none", None, None, "placeholder"),
    ("unknown", None, None, "placeholder"),
    ("jane@example.com", None, None, "placeholder"),
    ("jane@", None, None, "invalid"),
    ("@x.com", None, None, "invalid"),
    ("jane.x.com", None, None, "invalid"),
    ("jane@x", None, None, "invalid"),
    ("jane@@x.com", None, None, "invalid"),
    ("jane..doe@x.com", None, None, "invalid"),
    ("jane@x.c", None, None, "invalid"),
    ("", None, None, None),
    ("   ", None, None, None),
    (None, None, None, None),
    (float("nan"), None, None, None),
]


@pytest.mark.parametrize(("raw", "norm", "key", "reason"), EMAILS)
def test_email_table(raw, norm, key, reason):
    assert tuple(normalize_email(raw)) == (norm, key, reason)


PHONES = [
    ("(312) 555-1234", "+13125551234", None, "3125551234", None),
    ("312-555-1234", "+13125551234", None, "3125551234", None),
    ("312.555.1234", "+13125551234", None, "3125551234", None),
    ("3125551234", "+13125551234", None, "3125551234", None),
    ("13125551234", "+13125551234", None, "3125551234", None),
    ("1-312-555-1234", "+13125551234", None, "3125551234", None),
    ("+1 312 555 1234", "+13125551234", None, "3125551234", None),
    ("+1 (312) 555-1234", "+13125551234", None, "3125551234", None),
    ("+13125551234", "+13125551234", None, "3125551234", None),
    (" (312)555-1234 ", "+13125551234", None, "3125551234", None),
    ("312 555 1234 x12", "+13125551234", "12", "3125551234", None),
    ("312-555-1234 ext. 12", "+13125551234", "12", "3125551234", None),
    ("312-555-1234 ext 12", "+13125551234", "12", "3125551234", None),
    ("312-555-1234 extension 4", "+13125551234", "4", "3125551234", None),
    ("312-555-1234 #12", "+13125551234", "12", "3125551234", None),
    ("312-555-1234, x 7", "+13125551234", "7", "3125551234", None),
    ("(212) 736-5000", "+12127365000", None, "2127365000", None),
    ("415.555.2671", "+14155552671", None, "4155552671", None),
    ("+1 416 555 2000", "+14165552000", None, "4165552000", None),
    ("(800) 555-1212", "+18005551212", None, "8005551212", None),
    ("+44 20 7946 0958", "+442079460958", None, "2079460958", None),
    ("+44 (0)20 7946 0958", "+442079460958", None, "2079460958", None),
    ("+49 30 901820", "+4930901820", None, "30901820", None),
    ("+33 1 42 68 53 00", "+33142685300", None, "142685300", None),
    ("+52 55 5555 1234", "+525555551234", None, "5555551234", None),
    ("(312) 555-1234 ", "+13125551234", None, "3125551234", None),
    ("000-000-0000", None, None, None, "placeholder"),
    ("0000000000", None, None, None, "placeholder"),
    ("555-555-5555", None, None, None, "placeholder"),
    ("999-999-9999", None, None, None, "placeholder"),
    ("123-456-7890", None, None, None, "placeholder"),
    ("1234567890", None, None, None, "placeholder"),
    ("(312) 555-0123", None, None, None, "placeholder"),
    ("111-111-1111", None, None, None, "placeholder"),
    # not valid, but the digits are kept (7 to 15 of them): they still match
    ("555-1234", None, None, "5551234", "invalid"),
    ("(012) 555-1234", None, None, "0125551234", "invalid"),
    ("312-555-123", None, None, "312555123", "invalid"),
    ("246-1501", None, None, "2461501", "invalid"),
    ("1-999-555-1234", None, None, "9995551234", "invalid"),
    ("19995551234", None, None, "9995551234", "invalid"),
    ("999-555-1234 x5", None, "5", "9995551234", "invalid"),
    ("+44 20 7946 095", None, None, "207946095", "invalid"),
    ("+999 1234567", None, None, None, "invalid"),
    ("12-34", None, None, None, "invalid"),
    ("1234 5678 9012 3456", None, None, None, "invalid"),
    ("1234567", None, None, None, "placeholder"),
    ("1-555-555-5555", None, None, None, "placeholder"),
    ("call me", None, None, None, "invalid"),
    ("n/a", None, None, None, "invalid"),
    ("+1 999 555 1234", None, None, "9995551234", "invalid"),
    ("", None, None, None, None),
    ("  ", None, None, None, None),
    (None, None, None, None, None),
]


@pytest.mark.parametrize(("raw", "e164", "ext", "digits", "reason"), PHONES)
def test_phone_table(raw, e164, ext, digits, reason):
    assert tuple(normalize_phone(raw)) == (e164, ext, digits, reason)


def test_phone_region_changes_national_reading():
    assert normalize_phone("020 7946 0958", "GB").phone_e164 == "+442079460958"
    assert normalize_phone("020 7946 0958", "US").reason == "invalid"


def test_fast_path_agrees_with_phonenumbers():
    rng = random.Random(3)
    numbers = [
        f"{rng.randint(200, 999)}{rng.randint(0, 999):03d}{rng.randint(0, 9999):04d}"
        for _ in range(3000)
    ]
    for nsn in numbers:
        fast = _fast(nsn, "US")
        assert fast is not None
        slow = _slow(nsn, "US")
        assert fast[1] == slow[3], nsn
        if fast[1] is None:
            assert fast[0] == slow[0]
            parsed = phonenumbers.parse(nsn, "US")
            assert (
                phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                == f"+1{nsn}"
            )


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_email_properties(raw):
    first = normalize_email(raw)
    if first.email_norm is not None:
        again = normalize_email(first.email_norm)
        assert again.email_norm == first.email_norm
        assert again.email_key == first.email_key
        assert normalize_email(first.email_key).email_key == first.email_key


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.from_regex(r"\+?1?[ (]?[2-9]\d\d[) .-]?\d{3}[ .-]?\d{4}( x\d{1,4})?", fullmatch=True),
    )
)
def test_phone_properties(raw):
    first = normalize_phone(raw)
    if first.phone_e164 is not None:
        again = normalize_phone(first.phone_e164)
        assert again.phone_e164 == first.phone_e164
        assert again.phone_digits == first.phone_digits


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from([r[0] for r in EMAILS if isinstance(r[0], str)]),
            st.text(max_size=12),
        ),
        max_size=30,
    )
)
def test_email_column_equals_scalar(values):
    frame = normalize_email_column(pd.Series(values, dtype=object))
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        tuple(normalize_email(v)) for v in values
    ]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from([r[0] for r in PHONES if isinstance(r[0], str)]),
            st.text(max_size=12),
        ),
        max_size=30,
    )
)
def test_phone_column_equals_scalar(values):
    frame = normalize_phone_column(pd.Series(values, dtype=object))
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        tuple(normalize_phone(v)) for v in values
    ]
