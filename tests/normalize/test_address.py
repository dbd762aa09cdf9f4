"""Address normalizer: real-world table and properties."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.normalize import (
    normalize_address,
    normalize_address_column,
    normalize_split_address_columns,
)

# raw line -> (house, street, unit, city, state, zip5, zip4, address_line)
LINES = [
    (
        "123 N Main St Apt 4B, Springfield, IL 62704-1234",
        (
            "123",
            "N MAIN ST",
            "APT 4B",
            "SPRINGFIELD",
            "IL",
            "62704",
            "1234",
            "123 N MAIN ST APT 4B, SPRINGFIELD, IL 62704",
        ),
    ),
    (
        "123 North Main Street Apartment 4B, Springfield, Illinois 62704",
        (
            "123",
            "N MAIN ST",
            "APT 4B",
            "SPRINGFIELD",
            "IL",
            "62704",
            None,
            "123 N MAIN ST APT 4B, SPRINGFIELD, IL 62704",
        ),
    ),
    (
        "123 n. main st., apt. 4b, springfield, il 62704",
        (
            "123",
            "N MAIN ST",
            "APT 4B",
            "SPRINGFIELD",
            "IL",
            "62704",
            None,
            "123 N MAIN ST APT 4B, SPRINGFIELD, IL 62704",
        ),
    ),
    (
        "123 Main St #4B, Springfield, IL 62704",
        (
            "123",
            "MAIN ST",
            "# 4B",
            "SPRINGFIELD",
            "IL",
            "62704",
            None,
            "123 MAIN ST # 4B, SPRINGFIELD, IL 62704",
        ),
    ),
    (
        "123 Main St Unit 5, Springfield, IL 62704",
        (
            "123",
            "MAIN ST",
            "UNIT 5",
            "SPRINGFIELD",
            "IL",
            "62704",
            None,
            "123 MAIN ST UNIT 5, SPRINGFIELD, IL 62704",
        ),
    ),
    (
        "PO BOX 12, Springfield, IL 62704",
        (
            None,
            "PO BOX 12",
            None,
            "SPRINGFIELD",
            "IL",
            "62704",
            None,
            "PO BOX 12, SPRINGFIELD, IL 62704",
        ),
    ),
    (
        "P.O. Box 12, Springfield, IL 62704",
        (
            None,
            "PO BOX 12",
            None,
            "SPRINGFIELD",
            "IL",
            "62704",
            None,
            "PO BOX 12, SPRINGFIELD, IL 62704",
        ),
    ),
    (
        "Post Office Box 12, Ames, Ia 50010",
        (None, "PO BOX 12", None, "AMES", "IA", "50010", None, "PO BOX 12, AMES, IA 50010"),
    ),
    (
        "P O Box 12, Ames, IA 50010",
        (None, "PO BOX 12", None, "AMES", "IA", "50010", None, "PO BOX 12, AMES, IA 50010"),
    ),
    (
        "One Main Street, Boston, MA 02108",
        ("1", "MAIN ST", None, "BOSTON", "MA", "02108", None, "1 MAIN ST, BOSTON, MA 02108"),
    ),
    (
        "Two Park Avenue, New York, NY 10016",
        ("2", "PARK AVE", None, "NEW YORK", "NY", "10016", None, "2 PARK AVE, NEW YORK, NY 10016"),
    ),
    (
        "Suite 200, 55 W Monroe, Chicago, IL 60603",
        (
            "55",
            "W MONROE",
            "STE 200",
            "CHICAGO",
            "IL",
            "60603",
            None,
            "55 W MONROE STE 200, CHICAGO, IL 60603",
        ),
    ),
    (
        "55 W Monroe St, Suite 200, Chicago, IL 60603",
        (
            "55",
            "W MONROE ST",
            "STE 200",
            "CHICAGO",
            "IL",
            "60603",
            None,
            "55 W MONROE ST STE 200, CHICAGO, IL 60603",
        ),
    ),
    (
        "55 W Monroe St Ste 200, Chicago, Ill. 60603",
        (
            "55",
            "W MONROE ST",
            "STE 200",
            "CHICAGO",
            "IL",
            "60603",
            None,
            "55 W MONROE ST STE 200, CHICAGO, IL 60603",
        ),
    ),
    (
        "100 ST. JOHN ST, St. Louis, MO 63101",
        (
            "100",
            "SAINT JOHN ST",
            None,
            "SAINT LOUIS",
            "MO",
            "63101",
            None,
            "100 SAINT JOHN ST, SAINT LOUIS, MO 63101",
        ),
    ),
    (
        "1 St Marks Pl, New York, NY 10003",
        (
            "1",
            "SAINT MARKS PL",
            None,
            "NEW YORK",
            "NY",
            "10003",
            None,
            "1 SAINT MARKS PL, NEW YORK, NY 10003",
        ),
    ),
    (
        "1600 Pennsylvania Ave NW, Washington, DC 20500",
        (
            "1600",
            "PENNSYLVANIA AVE NW",
            None,
            "WASHINGTON",
            "DC",
            "20500",
            None,
            "1600 PENNSYLVANIA AVE NW, WASHINGTON, DC 20500",
        ),
    ),
    (
        "1600 Pennsylvania Avenue Northwest, Washington, District of Columbia 20500",
        (
            "1600",
            "PENNSYLVANIA AVE NW",
            None,
            "WASHINGTON",
            "DC",
            "20500",
            None,
            "1600 PENNSYLVANIA AVE NW, WASHINGTON, DC 20500",
        ),
    ),
    (
        "742 Evergreen Terrace, Springfield",
        (
            "742",
            "EVERGREEN TER",
            None,
            "SPRINGFIELD",
            None,
            None,
            None,
            "742 EVERGREEN TER, SPRINGFIELD",
        ),
    ),
    (
        "12 North St, Salem, MA",
        ("12", "NORTH ST", None, "SALEM", "MA", None, None, "12 NORTH ST, SALEM, MA"),
    ),
    (
        "350 Fifth Avenue, New York, NY 10118",
        (
            "350",
            "FIFTH AVE",
            None,
            "NEW YORK",
            "NY",
            "10118",
            None,
            "350 FIFTH AVE, NEW YORK, NY 10118",
        ),
    ),
    (
        "123 Main St, 3rd Floor, Boston, MA 2108",
        (
            "123",
            "MAIN ST",
            "FL 3",
            "BOSTON",
            "MA",
            "02108",
            None,
            "123 MAIN ST FL 3, BOSTON, MA 02108",
        ),
    ),
    (
        "123 Main St Springfield IL 62704",
        (
            "123",
            "MAIN ST",
            None,
            "SPRINGFIELD",
            "IL",
            "62704",
            None,
            "123 MAIN ST, SPRINGFIELD, IL 62704",
        ),
    ),
    (
        "500 Oak Boulevard, Austin, TX 78701",
        ("500", "OAK BLVD", None, "AUSTIN", "TX", "78701", None, "500 OAK BLVD, AUSTIN, TX 78701"),
    ),
    (
        "500 Oak Blvd., Austin, Texas 78701",
        ("500", "OAK BLVD", None, "AUSTIN", "TX", "78701", None, "500 OAK BLVD, AUSTIN, TX 78701"),
    ),
    (
        "9 Elm Drive, Denver, CO 80202",
        ("9", "ELM DR", None, "DENVER", "CO", "80202", None, "9 ELM DR, DENVER, CO 80202"),
    ),
    (
        "9 Elm Dr, Denver, Colo. 80202",
        ("9", "ELM DR", None, "DENVER", "CO", "80202", None, "9 ELM DR, DENVER, CO 80202"),
    ),
    (
        "77 Lake Shore Drive Building C, Chicago, IL 60611",
        (
            "77",
            "LAKE SHORE DR",
            "BLDG C",
            "CHICAGO",
            "IL",
            "60611",
            None,
            "77 LAKE SHORE DR BLDG C, CHICAGO, IL 60611",
        ),
    ),
    (
        "8 Harbor Way Room 12, Seattle, WA 98101",
        (
            "8",
            "HARBOR WAY",
            "RM 12",
            "SEATTLE",
            "WA",
            "98101",
            None,
            "8 HARBOR WAY RM 12, SEATTLE, WA 98101",
        ),
    ),
    (
        "45 Northeast Sunset Parkway, Portland, OR 97201",
        (
            "45",
            "NE SUNSET PKWY",
            None,
            "PORTLAND",
            "OR",
            "97201",
            None,
            "45 NE SUNSET PKWY, PORTLAND, OR 97201",
        ),
    ),
    (
        "45 Sunset Pkwy NE, Portland, Oregon 97201",
        (
            "45",
            "SUNSET PKWY NE",
            None,
            "PORTLAND",
            "OR",
            "97201",
            None,
            "45 SUNSET PKWY NE, PORTLAND, OR 97201",
        ),
    ),
    (
        "10 Court Square, Miami, FL 33101",
        ("10", "COURT SQ", None, "MIAMI", "FL", "33101", None, "10 COURT SQ, MIAMI, FL 33101"),
    ),
    (
        "123 1/2 Main St, Springfield, IL 62704",
        (
            "123 1/2",
            "MAIN ST",
            None,
            "SPRINGFIELD",
            "IL",
            "62704",
            None,
            "123 1/2 MAIN ST, SPRINGFIELD, IL 62704",
        ),
    ),
    (
        "12-A Pine Road, Boston, MA 02108",
        ("12-A", "PINE RD", None, "BOSTON", "MA", "02108", None, "12-A PINE RD, BOSTON, MA 02108"),
    ),
    (
        "123 Main St, Springfield, IL 62704, USA",
        (
            "123",
            "MAIN ST",
            None,
            "SPRINGFIELD",
            "IL",
            "62704",
            None,
            "123 MAIN ST, SPRINGFIELD, IL 62704",
        ),
    ),
    (
        "123 Main St, Springfield, IL 62704, United States",
        (
            "123",
            "MAIN ST",
            None,
            "SPRINGFIELD",
            "IL",
            "62704",
            None,
            "123 MAIN ST, SPRINGFIELD, IL 62704",
        ),
    ),
    (
        "123 MAIN ST, SPRINGFIELD, IL 627041234",
        (
            "123",
            "MAIN ST",
            None,
            "SPRINGFIELD",
            "IL",
            "62704",
            "1234",
            "123 MAIN ST, SPRINGFIELD, IL 62704",
        ),
    ),
    (
        "4 Mt Vernon St, Ft Worth, TX 76101",
        (
            "4",
            "MOUNT VERNON ST",
            None,
            "FORT WORTH",
            "TX",
            "76101",
            None,
            "4 MOUNT VERNON ST, FORT WORTH, TX 76101",
        ),
    ),
    (
        "José Martí Ave 5, San Juan, PR 00901",
        (
            None,
            "JOSE MARTI AVE 5",
            None,
            "SAN JUAN",
            "PR",
            "00901",
            None,
            "JOSE MARTI AVE 5, SAN JUAN, PR 00901",
        ),
    ),
    (
        "10 Downing Street, London, SW1A 2AA, United Kingdom",
        (
            "10",
            "DOWNING ST",
            None,
            "LONDON",
            None,
            None,
            None,
            "10 DOWNING ST, LONDON, SW1A 2AA, UNITED KINGDOM",
        ),
    ),
    (
        "100 Queen St W, Toronto, ON M5H 2N2, Canada",
        (
            "100",
            "QUEEN ST W",
            None,
            "TORONTO",
            None,
            None,
            None,
            "100 QUEEN ST W, TORONTO, ON M5H 2N2, CANADA",
        ),
    ),
]


@pytest.mark.parametrize(("raw", "expected"), LINES)
def test_address_line_table(raw, expected):
    r = normalize_address(raw)
    got = (
        r.addr_house_number,
        r.addr_street,
        r.addr_unit,
        r.city_norm,
        r.state_norm,
        r.zip5,
        r.zip4,
        r.address_line,
    )
    assert got == expected
    assert normalize_address(r.address_line).address_line == r.address_line


@pytest.mark.parametrize(
    ("fields", "line", "reason"),
    [
        (
            dict(
                street="123 Main Street Apt 4",
                city="springfield",
                state="Illinois",
                postal_code="62704-1234",
            ),
            "123 MAIN ST APT 4, SPRINGFIELD, IL 62704",
            None,
        ),
        (
            dict(
                street="55 W Monroe",
                unit="Suite 200",
                city="Chicago",
                state="IL",
                postal_code="60603",
                country="USA",
            ),
            "55 W MONROE STE 200, CHICAGO, IL 60603",
            None,
        ),
        (
            dict(street="55 W Monroe", unit="4B", city="Chicago", state="IL", postal_code=60603.0),
            "55 W MONROE # 4B, CHICAGO, IL 60603",
            None,
        ),
        (
            dict(street="PO Box 9", city="Ames", state="IA", postal_code="5001"),
            "PO BOX 9, AMES, IA 05001",
            None,
        ),
        (
            dict(street="1 Main St", city="Boston", state="Massachusetts", postal_code="ABCDE"),
            "1 MAIN ST, BOSTON, MA",
            "invalid_zip",
        ),
        (
            dict(street="1 Main St", city="Boston", state="Atlantis", postal_code="02108"),
            "1 MAIN ST, BOSTON, 02108",
            "invalid_state",
        ),
        (
            dict(street="1 Rue de Rivoli", city="Paris", postal_code="75001", country="France"),
            "1 RUE DE RIVOLI, PARIS, 75001, FRANCE",
            None,
        ),
    ],
)
def test_split_fields(fields, line, reason):
    r = normalize_address(**fields)
    assert (r.address_line, r.address_reason) == (line, reason)


def test_missing_and_garbage():
    assert tuple(normalize_address(None)) == (None,) * 10
    assert tuple(normalize_address("   ")) == (None,) * 10
    assert normalize_address("garbage!!").address_reason == "unparsed"


STREET_BITS = st.lists(
    st.sampled_from(
        [
            "123",
            "One",
            "N",
            "North",
            "Main",
            "St.",
            "Street",
            "Apt",
            "4B",
            "#5",
            "Suite",
            "200",
            ",",
            "Springfield",
            "IL",
            "Illinois",
            "62704",
            "62704-1234",
            "PO",
            "Box",
            "12",
            "ST.",
            "John",
            "USA",
        ]
    ),
    max_size=10,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_address_never_raises(raw):
    normalize_address(raw)
    normalize_address(street=raw, unit=raw, city=raw, state=raw, postal_code=raw, country=raw)


ADDRESS_LIKE = st.builds(
    lambda house, pre, name, suffix, unit, city, region, sep: sep.join(
        p for p in (" ".join(x for x in (house, pre, name, suffix, unit) if x), city, region) if p
    ),
    st.sampled_from(["123", "One", "12-A", "", "PO Box 12", "P.O. Box 7"]),
    st.sampled_from(["", "N", "North", "SW", "Northeast"]),
    st.sampled_from(["Main", "St. John", "Oak", "Martin Luther King", "Park", "5th", "North"]),
    st.sampled_from(["St", "Street", "Avenue", "Blvd.", "Rd", "", "Pkwy NE"]),
    st.sampled_from(["", "Apt 4B", "#5", "Suite 200", "Unit 3", "Fl 2", "Bldg C"]),
    st.sampled_from(["Springfield", "St. Louis", "New York", ""]),
    st.sampled_from(
        ["IL 62704", "Illinois 62704-1234", "Ill. 62704", "NY", "MA 2108", "", "62704"]
    ),
    st.sampled_from([", ", ",", " , "]),
)


@settings(max_examples=300, deadline=None)
@given(ADDRESS_LIKE)
def test_address_idempotent(raw):
    # idempotence is checked on address-like text; arbitrary unicode only must not raise
    first = normalize_address(raw)
    if first.address_line is not None:
        assert normalize_address(first.address_line).address_line == first.address_line


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.sampled_from([r[0] for r in LINES]), STREET_BITS), max_size=20)
)
def test_address_columns_equal_scalar(values):
    frame = normalize_address_column(pd.Series(values, dtype=object))
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        tuple(normalize_address(v)) for v in values
    ]
    s = pd.Series(values, dtype=object)
    cities = pd.Series(["Chicago", None] * 10, dtype=object)[: len(values)].set_axis(s.index)
    states = pd.Series(["IL", "Ill."] * 10, dtype=object)[: len(values)].set_axis(s.index)
    zips = pd.Series(["60603", None] * 10, dtype=object)[: len(values)].set_axis(s.index)
    empty = pd.Series([None] * len(values), dtype=object, index=s.index)
    split = normalize_split_address_columns(s, empty, cities, states, zips, empty)
    assert [tuple(r) for r in split.itertuples(index=False)] == [
        tuple(normalize_address(street=v, city=c, state=t, postal_code=z))
        for v, c, t, z in zip(values, cities, states, zips, strict=True)
    ]


@pytest.mark.parametrize(
    ("raw", "street", "unit"),
    [
        ("8124 E Front Ave, Fishers, IN 46018", "E FRONT AVE", None),
        ("12 W Front St #2C, Peoria, IL 61602", "W FRONT ST", "# 2C"),
        ("5 Rear St Apt 3, Dover, DE 19901", "REAR ST", "APT 3"),
        ("9 Main St Front, Dover, DE 19901", "MAIN ST", "FRNT"),
    ],
)
def test_a_unit_word_before_a_street_type_names_the_street(raw, street, unit):
    """'Front', 'Rear', 'Lobby' are unit designators only where no street type follows."""
    r = normalize_address(raw)
    assert (r.addr_street, r.addr_unit) == (street, unit)
