"""A system's own way of writing a column, learned from its values (resolver.exports.style)."""

from __future__ import annotations

from resolver.exports.style import ColumnStyle, learn, one_line, person_name


def test_a_phone_is_laid_out_as_most_of_the_columns_phones() -> None:
    style = learn(["(217) 555-0123", "(312) 555-0199", "217.555.0100 x12", "n/a"], phone=True)
    assert style.phone_layout == "(ddd) ddd-dddd"
    assert style.render("773.951.4522", e164="+17739514522") == "(773) 951-4522"
    assert style.render("773.951.4522", e164="+17739514522", ext="12") == "(773) 951-4522 x12"
    with_code = learn(["+1 217-555-0123", "+1 309-555-0100"], phone=True)
    assert with_code.render("(773) 951-4522", e164="+17739514522") == "+1 773-951-4522"
    bare = learn(["2175550123", "3095550100", "6305550100"], phone=True)
    assert bare.render("(773) 951-4522", e164="+17739514522") == "7739514522"
    # a number the layout has no room for is written as it came
    assert bare.render("+44 20 7946 0958", e164="+442079460958") == "+44 20 7946 0958"


def test_no_layout_when_the_column_agrees_on_none() -> None:
    mixed = learn(["(217) 555-0123", "217.555.0100", "2175550123", "+1 217-555-0123"], phone=True)
    assert mixed.phone_layout is None
    assert mixed.render("773.951.4522", e164="+17739514522") == "773.951.4522"


def test_letter_case_is_the_columns_when_most_values_share_it() -> None:
    upper = learn(["JOHN SMITH", "MARY O'NEIL", "ACME 2 LLC", "x"])
    assert upper.case == "upper" and upper.render("Karen Garcia") == "KAREN GARCIA"
    title = learn(["453 W Stonegate Ave", "52 Lakeview Ave", "9 NE Union Dr"])
    assert title.case == "title"
    assert title.render("453 W STONEGATE AVE STE 4B") == "453 W Stonegate Ave Ste 4B"
    assert title.render("9 NE UNION DR") == "9 NE Union Dr"
    assert title.render("McDonald Ave") == "McDonald Ave"  # mixed case is kept as written
    lower = learn(["ann@x.com", "bo@y.org", "cy@z.net"])
    assert lower.render("ANN@X.COM") == "ann@x.com"
    assert learn(["JOHN SMITH", "Mary Jones", "ann lee"]).case is None


def test_a_name_is_written_last_first_where_the_column_does() -> None:
    style = learn(["Smith, John", "Garcia, Andrew", "Acme Plumbing"], name=True)
    assert style.last_first
    assert person_name(style, "Linda", "Davis", "Linda Davis") == "Davis, Linda"
    plain = learn(["John Smith", "Andrew Garcia"], name=True)
    assert person_name(plain, "Linda", "Davis", "Linda Davis") == "Linda Davis"
    assert person_name(ColumnStyle(case="upper"), "Linda", "Davis", None) == "LINDA DAVIS"


def test_a_one_line_address_follows_the_columns_layout() -> None:
    no_comma = learn(
        ["6275 Orchard Pl, Bloomington IL 61759", "11 River Rd, La Crosse WI 54632"],
        address=True,
    )
    assert not no_comma.city_state_comma and no_comma.case == "title"
    parts = ("374 E DEVON RD", "UNIT 17C", "WHEATON", "IL", "60120")
    assert one_line(no_comma, *parts) == "374 E Devon Rd Unit 17C, Wheaton IL 60120"
    comma = learn(["9 Union Dr, Chicago, IL 60612", "1 Main St, Peoria, IL 61602"], address=True)
    assert (
        one_line(comma, "1 Oak St", None, "Peoria", "il", "61602") == "1 Oak St, Peoria, IL 61602"
    )


def test_an_invoice_number_takes_the_columns_prefix_and_padding() -> None:
    prefixed = learn(["INV-001068", "INV-001173", "INV-000012"], number=True)
    assert (prefixed.number_prefix, prefixed.number_width) == ("INV-", 6)
    assert prefixed.render("1003", number="1003") == "INV-001003"
    bare = learn(["1193", "01234", "987", "00042"], number=True)
    assert (bare.number_prefix, bare.number_width) == ("", 0)
    assert bare.render("INV-001003", number="1003") == "1003"
    # a number that is not all digits once folded is written as it came
    assert bare.render("INV-10A", number="10a") == "INV-10A"
    assert learn(["A-1", "B-2", "C-3"], number=True).render("X-9", number="9") == "X-9"
