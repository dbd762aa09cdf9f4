"""The frame entry point ``normalize_customer_frame``."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.normalize import (
    CUSTOMER_OUTPUT_COLUMNS,
    normalize_address,
    normalize_company,
    normalize_customer_frame,
    normalize_customer_record,
    normalize_email,
    normalize_name,
    normalize_name_parts,
    normalize_phone,
)

from .columns import MATCH_KEY_COLUMNS

EXPECTED_COLUMNS = [
    "first_name_norm",
    "middle_name_norm",
    "last_name_norm",
    "name_title",
    "name_suffix",
    "full_name_norm",
    "first_name_key",
    "first_name_phonetic",
    "last_name_phonetic",
    "name_is_company",
    "company_norm",
    "company_key",
    "company_legal_form",
    "email_norm",
    "email_key",
    "email_reason",
    "phone_e164",
    "phone_ext",
    "phone_digits",
    "phone_reason",
    "addr_house_number",
    "addr_street",
    "addr_unit",
    "city_norm",
    "state_norm",
    "zip5",
    "zip4",
    "country_norm",
    "address_line",
    "address_reason",
    *MATCH_KEY_COLUMNS,
]


def test_columns_index_and_missing_inputs():
    df = pd.DataFrame({"email": ["a@b.com", None]}, index=[10, 20])
    out = normalize_customer_frame(df)
    assert list(out.columns) == EXPECTED_COLUMNS == list(CUSTOMER_OUTPUT_COLUMNS)
    assert list(out.index) == [10, 20]
    assert out.loc[10, "email_norm"] == "a@b.com"
    assert out.loc[20].drop("name_is_company").isna().all()
    assert out["name_is_company"].dtype == bool


def test_rules():
    df = pd.DataFrame(
        {
            "name": [
                "Smith, John Jr.",
                "ACME PLUMBING LLC",
                "Ignored Name",
                "Joe's Heating and Air",
            ],
            "first_name": [None, None, "JOHN", None],
            "last_name": [None, None, "Smith Jr.", None],
            "company": [None, None, None, "Other Co"],
            "address": [
                "123 N Main St Apt 4B, Springfield, IL 62704-1234",
                None,
                "1 Main St, Boston, MA 02108",
                None,
            ],
            "street": [None, "55 W Monroe", "9 Elm Dr", None],
            "unit": [None, "Suite 200", None, None],
            "city": [None, "Chicago", "Denver", None],
            "state": [None, "IL", "CO", None],
            "postal_code": [None, "60603", "80202", None],
        }
    )
    out = normalize_customer_frame(df)
    assert out.loc[0, ["first_name_norm", "last_name_norm", "name_suffix"]].tolist() == [
        "john",
        "smith",
        "jr",
    ]
    assert out.loc[0, "address_line"] == "123 N MAIN ST APT 4B, SPRINGFIELD, IL 62704"
    assert out.loc[0, "zip4"] == "1234"
    # a company in the name field fills the company fields
    assert bool(out.loc[1, "name_is_company"]) and out.loc[1, "full_name_norm"] is None
    assert out.loc[1, ["company_norm", "company_legal_form"]].tolist() == ["acme plumbing", "llc"]
    assert out.loc[1, "address_line"] == "55 W MONROE STE 200, CHICAGO, IL 60603"
    # split name fields win over name; split address fields win over the line
    assert out.loc[2, ["first_name_norm", "last_name_norm", "name_suffix"]].tolist() == [
        "john",
        "smith",
        "jr",
    ]
    assert out.loc[2, "address_line"] == "9 ELM DR, DENVER, CO 80202"
    # a company field present is kept; the person fields stay null
    assert out.loc[3, "company_norm"] == "other"
    assert out.loc[3, "first_name_norm"] is None


def test_progress_sums_to_rows():
    df = pd.DataFrame({"email": ["a@b.com"] * 13})
    calls: list[int] = []
    normalize_customer_frame(df, progress=calls.append)
    assert sum(calls) == 13 and all(c > 0 for c in calls)


def _row(name, first, last, company, email, phone, address, street, city):
    return dict(
        name=name,
        first_name=first,
        last_name=last,
        company=company,
        email=email,
        phone=phone,
        address=address,
        street=street,
        city=city,
    )


VALUES = st.one_of(st.none(), st.text(max_size=8))


ROWS = st.lists(
    st.builds(
        _row,
        st.one_of(VALUES, st.sampled_from(["Smith, John", "ACME LLC", "Dr. Jane Doe"])),
        st.one_of(VALUES, st.sampled_from(["JOHN", "Bob", "  "])),
        st.one_of(VALUES, st.sampled_from(["Smith Jr.", "Roofing Co"])),
        VALUES,
        st.one_of(VALUES, st.sampled_from(["J@GMIAL.COM", "n/a"])),
        st.one_of(VALUES, st.sampled_from(["(312) 555-1234 x2", "+44 20 7946 0958"])),
        st.one_of(VALUES, st.sampled_from(["123 Main St, Springfield, IL 62704", "PO Box 1"])),
        st.one_of(VALUES, st.sampled_from(["9 Elm Drive Apt 2", ":"])),
        st.one_of(VALUES, st.sampled_from(["Denver"])),
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=25, deadline=None)
@given(ROWS)
def test_frame_equals_scalars(rows):
    df = pd.DataFrame(
        rows,
        columns=[
            "name",
            "first_name",
            "last_name",
            "company",
            "email",
            "phone",
            "address",
            "street",
            "city",
        ],
    )
    out = normalize_customer_frame(df)
    for i, r in enumerate(rows):
        has_split = any(isinstance(v, str) and v.strip() for v in (r["first_name"], r["last_name"]))
        names = (
            normalize_name_parts(r["first_name"], r["last_name"])
            if has_split
            else normalize_name(r["name"])
        )
        assert tuple(out.iloc[i][list(names._fields)]) == tuple(names)
        company_src = r["company"]
        if names.name_is_company and not (isinstance(company_src, str) and company_src.strip()):
            company_src = (
                f"{r['first_name'] or ''} {r['last_name'] or ''}".strip()
                if has_split
                else r["name"]
            )
        assert tuple(out.iloc[i][["company_norm", "company_key", "company_legal_form"]]) == tuple(
            normalize_company(company_src)
        )
        assert tuple(out.iloc[i][["email_norm", "email_key", "email_reason"]]) == tuple(
            normalize_email(r["email"])
        )
        assert tuple(
            out.iloc[i][["phone_e164", "phone_ext", "phone_digits", "phone_reason"]]
        ) == tuple(normalize_phone(r["phone"]))
        addr = normalize_address(r["address"], street=r["street"], city=r["city"])
        assert tuple(out.iloc[i][list(addr._fields)]) == tuple(addr)


def _frame_rows(df: pd.DataFrame) -> list[dict]:
    out = normalize_customer_frame(df, workers=1)
    return [
        {k: (None if v is None or (isinstance(v, float) and v != v) else v) for k, v in r.items()}
        for r in out.to_dict("records")
    ]


@settings(max_examples=25, deadline=None)
@given(ROWS)
def test_one_record_equals_the_frame(rows):
    df = pd.DataFrame(rows)
    for r, expected in zip(rows, _frame_rows(df), strict=True):
        assert normalize_customer_record(r) == expected


def test_one_record_equals_what_ingest_stored(demo_store):
    """Every customer row the demo run loaded: normalized one record at a time, from
    its canonical values, it equals the normalized columns ingest stored."""
    from resolver import store
    from resolver.ingest.contracts import load_contracts
    from resolver.normalize import CUSTOMER_INPUT_COLUMNS, CUSTOMER_OUTPUT_COLUMNS

    contracts = {
        c.system: c
        for c in load_contracts(demo_store.rules_dir, data_dir=demo_store.data_dir)
        if c.object == "customer"
    }
    con = store.connect(demo_store.db, read_only=True)
    try:
        stored = con.execute("SELECT * FROM customers ORDER BY record_key").df()
    finally:
        con.close()
    compared = [c for c in CUSTOMER_OUTPUT_COLUMNS if c in stored.columns]
    assert len(compared) >= 25
    for r in stored.astype(object).where(stored.notna(), None).to_dict("records"):
        c = contracts[r["system"]]
        got = normalize_customer_record(
            {k: r.get(k) for k in CUSTOMER_INPUT_COLUMNS},
            phone_region=c.phone_region,
            default_country=c.country,
        )
        assert {k: got[k] for k in compared} == {k: r[k] for k in compared}, r["record_key"]
    assert len(stored) > 1000


def test_an_address_line_beside_a_city_column_is_the_street():
    """A one-line `address` mapped beside `city` (no street column) keeps its number and
    street: the split fields must not silently drop it (the restaurants file's shape)."""
    df = pd.DataFrame(
        {
            "company": ["arnie morton's", "arnie morton's"],
            "address": ["435 s. la cienega blv.", "435 s. la cienega blvd."],
            "city": ["los angeles", "los angeles"],
        }
    )
    out = normalize_customer_frame(df, workers=1)
    assert out["addr_house_number"].tolist() == ["435", "435"]
    assert out["street_core"].tolist() == ["la cienega", "la cienega"]
    assert out.loc[0, "address_line"] == "435 S LA CIENEGA BLVD, LOS ANGELES"
    one = normalize_customer_record({"address": "435 s. la cienega blv.", "city": "los angeles"})
    assert one["address_line"] == out.loc[0, "address_line"]
