"""Match keys that keep matchable values: phones, postcodes, streets, names, birth years."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.normalize import (
    CUSTOMER_OUTPUT_COLUMNS,
    normalize_customer_frame,
    normalize_customer_record,
    normalize_phone,
)
from resolver.normalize.address import normalize_address, normalize_address_keys
from resolver.normalize.address_keys import postal_key, street_core
from resolver.normalize.date import birth_year, partial_year
from resolver.normalize.keys import (
    company_sorted,
    email_user,
    name_keys,
    phone_local,
)
from resolver.store.schema import CUSTOMER_NORM_COLUMNS

from .columns import MATCH_KEY_COLUMNS

# ---------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("raw", "area_code", "e164", "digits", "reason"),
    [
        ("246-1501", None, None, "2461501", "invalid"),
        ("246-1501", "310", "+13102461501", "3102461501", None),
        ("246 1501 x4", "310", "+13102461501", "3102461501", None),
        ("310/246-1501", "310", "+13102461501", "3102461501", None),  # 10 digits: as given
        ("+44 20 7946 0958", "310", "+442079460958", "2079460958", None),  # '+': never
        ("555-1234", "999", None, "9995551234", "invalid"),  # prefixed, still not valid
        ("123-4567", "310", None, None, "placeholder"),  # a placeholder stays one
        ("000-0000", "310", None, None, "placeholder"),
        ("312-555-123", "310", None, "312555123", "invalid"),  # 9 digits: not local
    ],
)
def test_phone_area_code(raw, area_code, e164, digits, reason):
    got = normalize_phone(raw, area_code=area_code)
    assert (got.phone_e164, got.phone_digits, got.reason) == (e164, digits, reason)


@pytest.mark.parametrize(
    ("digits", "local"),
    [
        ("3102461501", "2461501"),
        ("2461501", "2461501"),
        ("207946095", "7946095"),
        ("123456", None),
        (None, None),
        ("", None),
    ],
)
def test_phone_local(digits, local):
    assert phone_local(digits) == local


def test_a_local_number_matches_the_full_one():
    short, full = normalize_phone("246-1501"), normalize_phone("310/246-1501")
    assert short.phone_e164 is None and full.phone_e164 == "+13102461501"
    assert phone_local(short.phone_digits) == phone_local(full.phone_digits) == "2461501"


PHONE_TEXT = st.one_of(
    st.text(max_size=20),
    st.from_regex(r"\+?1?[ (]?\d{3}[) ./-]?\d{3}[ .-]?\d{4}( x\d{1,4})?", fullmatch=True),
    st.from_regex(r"\d{3}[ .-]?\d{4}", fullmatch=True),
    st.from_regex(r"\+\d{1,3} \d{6,12}", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(PHONE_TEXT, st.sampled_from([None, "310", "44"]))
def test_phone_digits_properties(raw, area_code):
    got = normalize_phone(raw, area_code=area_code)  # never raises
    if got.phone_digits is not None:
        assert got.phone_digits.isdigit() and got.reason in (None, "invalid")
        if got.reason == "invalid":  # kept for its digits: 7 to 15 of them
            assert 7 <= len(got.phone_digits) <= 15
        if "+" not in raw:  # (a '+' number's national digits need its country code)
            again = normalize_phone(got.phone_digits)  # the digits read back as themselves
            assert again.phone_digits == got.phone_digits
    if got.reason == "placeholder":
        assert got.phone_digits is None and got.phone_e164 is None
    if got.phone_e164 is not None:
        assert got.reason is None and got.phone_e164.endswith(got.phone_digits)


# ---------------------------------------------------------------- postal codes


@pytest.mark.parametrize(
    ("fields", "postal", "zip5"),
    [
        ({"postal_code": "62701-1234"}, "62701", "62701"),
        ({"postal_code": "62701"}, "62701", "62701"),
        ({"postal_code": "2134", "state": "MA"}, "02134", "02134"),
        ({"postal_code": "2602", "country": "Australia"}, "2602", None),
        ({"postal_code": "SW1A 1AA", "country": "UK"}, "SW1A1AA", None),
        ({"postal_code": "sw1a-1aa", "country": "GB"}, "SW1A1AA", None),
        ({"postal_code": "M5V 2T6", "country": "Canada"}, "M5V2T6", None),
        ({"postal_code": "75008", "country": "France"}, "75008", None),
        ({"postal_code": "1000.01", "country": "BE"}, "100001", None),
        ({"postal_code": "N/A", "country": "GB"}, None, None),
        # under the US default: address_reason invalid_zip, but the code is kept
        ({"street": "1 Main St", "postal_code": "SW1A 1AA"}, "SW1A1AA", None),
        ({"street": "1 Main St"}, None, None),
    ],
)
def test_postal_norm_split_fields(fields, postal, zip5):
    result, got = normalize_address_keys(**fields)
    assert (got, result.zip5) == (postal, zip5)
    assert result == normalize_address(**fields)  # the address itself is unchanged


@pytest.mark.parametrize(
    ("line", "postal"),
    [
        ("123 Main St, Springfield, IL 62704-1234", "62704"),
        ("10 Downing Street, London, SW1A 2AA, United Kingdom", "SW1A2AA"),
        ("1 Main St, Toronto, ON M5V 2T6, Canada", "M5V2T6"),
        ("1 Main St, Canberra, ACT 2602, Australia", "2602"),
        ("PO Box 12", None),
        (None, None),
    ],
)
def test_postal_norm_single_line(line, postal):
    assert normalize_address_keys(line)[1] == postal


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=12)), st.one_of(st.none(), st.text(max_size=6)))
def test_postal_key_properties(postal, zip5):
    got = postal_key(zip5 or None, postal)  # never raises
    if got is not None and not zip5:
        assert got == got.upper() and got.isalnum()
        assert postal_key(None, got) == got  # idempotent


# ---------------------------------------------------------------- streets


@pytest.mark.parametrize(
    ("street", "core"),
    [
        ("435 s. la cienega blv.", "la cienega"),
        ("435 S La Cienega Blvd", "la cienega"),
        ("435 South La Cienega Boulevard Suite 200", "la cienega"),
        ("123 North Main Street Apt 4B", "main"),
        ("9 Main St NW", "main"),
        ("1 Elm Avenue", "elm"),
        ("1 Oak Rd", "oak"),
        ("5 Birch Lane", "birch"),
        ("7 Pine Pl", "pine"),
        ("8 Cedar Ct", "cedar"),
        ("77 Sunset Hwy", "sunset"),
        ("12 Garden State Pkwy", "garden state"),
        ("3 Old Mill Way", "old mill"),  # one type stripped: 'mill' is the name
        ("4 Elm St West", "elm"),
        ("5 N Park St W", "park"),
        ("1 North Street", "north"),  # nothing left but the name word: kept
        ("2 West Drive", "west"),
        ("3 St. John St", "saint john"),
        ("PO Box 12", "po box 12"),
        (None, None),
    ],
)
def test_street_core(street, core):
    assert street_core(normalize_address(street=street).addr_street) == core


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.sampled_from(["N Park St W", "North", "W End Ave"])))
def test_street_core_properties(street):
    addr_street = normalize_address(street=street).addr_street
    core = street_core(addr_street)  # never raises
    if addr_street is None:
        assert core is None
    else:  # a lower-case run of the street's own words, never empty
        assert core and core == core.lower() and core == " ".join(core.split())
        assert f" {core.upper()} " in f" {addr_street.upper()} "


# ---------------------------------------------------------------- names, companies, email


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("john", "smith", ("john smith", "j", "joh", "smi")),
        ("smith", "john", ("john smith", "s", "smi", "joh")),
        ("jo", "van beethoven", ("beethoven jo van", "j", "jo", "van")),
        (None, "smith", ("smith", None, None, "smi")),
        ("mary-kate", None, ("mary-kate", "m", "mar", None)),
        (None, None, (None, None, None, None)),
    ],
)
def test_name_keys(first, last, expected):
    assert name_keys(first, last) == expected


def test_name_keys_agree_across_orders():
    a = normalize_customer_record({"name": "Smith John"})
    b = normalize_customer_record({"name": "John Smith"})
    assert a["name_sorted"] == b["name_sorted"] == "john smith"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("hotel bel air", "air bel hotel"),
        ("bel air hotel", "air bel hotel"),
        ("acme acme plumbing", "acme plumbing"),
        ("smith and sons", "smith sons"),  # 'and' is not in company_key either
        ("and", "and"),
        (None, None),
        ("", None),
    ],
)
def test_company_sorted(key, expected):
    assert company_sorted(key) == expected


def test_company_sorted_agrees_across_orders():
    a = normalize_customer_record({"company": "Hotel Bel-Air"})
    b = normalize_customer_record({"company": "The Bel Air Hotel, Inc."})
    assert a["company_sorted"] == b["company_sorted"] == "air bel hotel"


@pytest.mark.parametrize(
    ("key", "expected"),
    [("jane.doe@x.com", "jane.doe"), ("a@b@c.com", "a@b"), (None, None), ("@x.com", None)],
)
def test_email_user(key, expected):
    assert email_user(key) == expected


# ---------------------------------------------------------------- birth years


@pytest.mark.parametrize(
    ("raw", "year", "partial"),
    [
        ("1987", "1987", "1987"),
        ("1987-05", "1987", "1987"),
        ("1987/5", "1987", "1987"),
        ("05/1987", "1987", "1987"),
        ("5-1987", "1987", "1987"),
        ("May 1987", "1987", "1987"),
        ("Sept. 1987", "1987", "1987"),
        ("1987-05-12", "1987", None),
        ("05/12/1987", "1987", None),
        (dt.date(1987, 5, 12), "1987", None),
        (pd.Timestamp("1987-05-12"), "1987", None),
        ("1987-13", None, None),
        ("13/1987", None, None),
        ("0001", None, None),
        ("2250", None, None),
        (dt.date(2250, 1, 1), None, None),
        ("87", None, None),
        ("unknown", None, None),
        (None, None, None),
        (float("nan"), None, None),
    ],
)
def test_birth_year(raw, year, partial):
    assert (birth_year(raw), partial_year(raw)) == (year, partial)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=12), st.dates(), st.integers(), st.none()))
def test_birth_year_properties(raw):
    year = birth_year(raw)  # never raises
    if year is not None:
        assert len(year) == 4 and year.isdigit()
        assert birth_year(year) == year  # idempotent


# ---------------------------------------------------------------- frame and record


def test_every_new_column_is_stored_and_produced():
    for col in MATCH_KEY_COLUMNS:
        assert col in CUSTOMER_NORM_COLUMNS and col in CUSTOMER_OUTPUT_COLUMNS
    assert set(normalize_customer_record({})) == set(CUSTOMER_OUTPUT_COLUMNS)


def test_the_frame_fills_the_keys():
    df = pd.DataFrame(
        {
            "first_name": ["John", None],
            "last_name": ["Smith", None],
            "name": [None, "Bel Air Hotel"],
            "company": [None, None],
            "email": ["John.Smith@x.com", None],
            "phone": ["246-1501", "(999) 555-1234"],
            "street": ["435 s. la cienega blv.", "10 Downing St"],
            "postal_code": ["90048-1234", "SW1A 1AA"],
            "country": [None, "UK"],
            "birth_date": [dt.date(1987, 5, 12), None],
            "birth_date_partial": [None, "05/1987"],
        }
    )
    out = normalize_customer_frame(df, phone_area_code="310", workers=1)
    first, second = out.iloc[0], out.iloc[1]
    assert first["name_sorted"] == "john smith" and first["first_initial"] == "j"
    assert first["email_user"] == "john.smith"
    assert (first["phone_e164"], first["phone_local"]) == ("+13102461501", "2461501")
    assert (first["street_core"], first["postal_norm"]) == ("la cienega", "90048")
    assert first["birth_year"] == "1987"
    assert second["company_sorted"] == "air bel hotel"
    assert (second["phone_digits"], second["phone_reason"]) == ("9995551234", "invalid")
    assert (second["postal_norm"], second["zip5"]) == ("SW1A1AA", None)
    assert second["birth_year"] == "1987"


KEY_ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "first_name": st.one_of(st.none(), st.sampled_from(["John", "amy", "Bob", "  "])),
            "last_name": st.one_of(st.none(), st.text(max_size=6), st.just("Van Dyke")),
            "company": st.one_of(st.none(), st.sampled_from(["Hotel Bel Air", "Bel-Air Hotel"])),
            "email": st.one_of(st.none(), st.sampled_from(["J.Doe@X.com", "bad@"])),
            "phone": st.one_of(
                st.none(),
                st.text(max_size=10),
                st.sampled_from(["246-1501", "310/246-1501", "(999) 555-1234", "555-555-5555"]),
            ),
            "address": st.one_of(
                st.none(), st.sampled_from(["10 Downing Street, London, SW1A 2AA, UK"])
            ),
            "street": st.one_of(
                st.none(), st.text(max_size=10), st.sampled_from(["435 S La Cienega Blvd"])
            ),
            "postal_code": st.one_of(
                st.none(), st.text(max_size=8), st.sampled_from(["2602", "SW1A 1AA", "62701-1"])
            ),
            "country": st.one_of(st.none(), st.sampled_from(["AU", "UK", "US"])),
            "birth_date": st.one_of(st.none(), st.dates()),
            "birth_date_partial": st.one_of(st.none(), st.sampled_from(["1987", "05/1987"])),
        }
    ),
    min_size=1,
    max_size=12,
)


def _plain(v: object) -> object:
    return None if v is None or (isinstance(v, float) and v != v) else v


@settings(max_examples=40, deadline=None)
@given(KEY_ROWS, st.sampled_from([None, "310"]))
def test_the_frame_equals_the_record_with_keys(rows, area_code):
    df = pd.DataFrame(rows)
    out = normalize_customer_frame(df, phone_area_code=area_code, workers=1)
    for r, got in zip(rows, out.to_dict("records"), strict=True):
        want = normalize_customer_record(r, phone_area_code=area_code)
        assert {k: _plain(v) for k, v in got.items()} == want
