"""Person-name and company normalizers: real-world tables and properties."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.normalize import company as company_module
from resolver.normalize import (
    first_name_key,
    looks_like_company,
    normalize_company,
    normalize_company_column,
    normalize_name,
    normalize_name_column,
    normalize_name_parts,
    normalize_name_parts_columns,
)
from resolver.normalize import name as name_module
from resolver.normalize._distinct import fixpoint

# raw -> (first, middle, last, title, suffix)
NAMES = [
    ("Smith, John Jr.", ("john", None, "smith", None, "jr")),
    ("Smith, John, Jr.", ("john", None, "smith", None, "jr")),
    ("John Smith, Jr.", ("john", None, "smith", None, "jr")),
    ("John Smith Jr", ("john", None, "smith", None, "jr")),
    ("Dr. Jane A. Doe", ("jane", "a", "doe", "dr", None)),
    ("Mrs. Jane Doe", ("jane", None, "doe", "mrs", None)),
    ("Mr John Smith", ("john", None, "smith", "mr", None)),
    ("Ms. Ann Lee", ("ann", None, "lee", "ms", None)),
    ("Prof. Alan Turing", ("alan", None, "turing", "prof", None)),
    ("Rev. Martin Luther King Jr.", ("martin", "luther", "king", "rev", "jr")),
    ("Smith, Dr. John", ("john", None, "smith", "dr", None)),
    ("JOHN SMITH", ("john", None, "smith", None, None)),
    ("john smith", ("john", None, "smith", None, None)),
    ("  John   Smith  ", ("john", None, "smith", None, None)),
    ("O'Brien, Mary-Kate", ("mary-kate", None, "obrien", None, None)),
    ("Mary-Kate O'Brien", ("mary-kate", None, "obrien", None, None)),
    ("Mc Donald, Ronald", ("ronald", None, "mcdonald", None, None)),
    ("Ronald Mc Donald", ("ronald", None, "mcdonald", None, None)),
    ("Ronald McDonald", ("ronald", None, "mcdonald", None, None)),
    ("Smith-Jones, Anna", ("anna", None, "smith-jones", None, None)),
    ("Anna Smith - Jones", ("anna", None, "smith-jones", None, None)),
    ("José García", ("jose", None, "garcia", None, None)),
    ("GARCÍA, JOSÉ LUIS", ("jose", "luis", "garcia", None, None)),
    ("Zoë Ünal", ("zoe", None, "unal", None, None)),
    ("Ludwig van Beethoven", ("ludwig", None, "van beethoven", None, None)),
    ("Maria de la Cruz", ("maria", None, "de la cruz", None, None)),
    ("John A. Smith MD", ("john", "a", "smith", None, None)),
    ("John Smith, Esq.", ("john", None, "smith", None, None)),
    ("William Gates III", ("william", None, "gates", None, "iii")),
    ("Gates, William H. III", ("william", "h", "gates", None, "iii")),
    ("Henry Ford II", ("henry", None, "ford", None, "ii")),
    ("Louis Smith IV", ("louis", None, "smith", None, "iv")),
    ("Smith Sr., John", ("john", None, "smith", None, "sr")),
    ("J. R. R. Tolkien", ("j", "r r", "tolkien", None, None)),
    ("Smith", (None, None, "smith", None, None)),
    ("Mr. Smith", (None, None, "smith", "mr", None)),
    ("D'Angelo, Tony", ("tony", None, "dangelo", None, None)),
    ("John O'Brien", ("john", None, "obrien", None, None)),
    ("John O Smith", ("john", "o", "smith", None, None)),
    ("Bob Smith", ("bob", None, "smith", None, None)),
    ("Elizabeth Taylor", ("elizabeth", None, "taylor", None, None)),
    ("", (None, None, None, None, None)),
    (None, (None, None, None, None, None)),
]


@pytest.mark.parametrize(("raw", "expected"), NAMES)
def test_name_table(raw, expected):
    result = normalize_name(raw)
    assert tuple(result)[:5] == expected
    assert result.name_is_company is False
    full = " ".join(p for p in expected[:3] if p) or None
    assert result.full_name_norm == full


@pytest.mark.parametrize(
    "raw",
    ["ACME PLUMBING LLC", "Smith & Sons", "Joe's Heating and Air", "Acme Inc.", "Smith Roofing Co"],
)
def test_company_in_name_field(raw):
    result = normalize_name(raw)
    assert result.name_is_company is True
    assert result.full_name_norm is None and result.last_name_norm is None


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("JOHN", "SMITH", ("john", None, "smith", None, None)),
        ("John", "Smith Jr.", ("john", None, "smith", None, "jr")),
        ("Dr. Jane A", "Doe", ("jane", "a", "doe", "dr", None)),
        ("Mary-Kate", "O'Brien", ("mary-kate", None, "obrien", None, None)),
        ("Ronald", "Mc Donald", ("ronald", None, "mcdonald", None, None)),
        (None, "Smith", (None, None, "smith", None, None)),
        ("John", None, ("john", None, None, None, None)),
        ("José", "García III", ("jose", None, "garcia", None, "iii")),
    ],
)
def test_name_parts(first, last, expected):
    assert tuple(normalize_name_parts(first, last))[:5] == expected


@pytest.mark.parametrize(
    "group",
    [
        ("bob", "robert", "rob", "bobby"),
        ("liz", "elizabeth", "beth"),
        ("bill", "william", "will"),
        ("peggy", "margaret", "maggie"),
        ("jim", "james"),
        ("mike", "michael"),
        ("tom", "thomas"),
    ],
)
def test_first_name_key_groups(group):
    keys = {first_name_key(n) for n in group}
    assert len(keys) == 1
    key = keys.pop()
    assert first_name_key(key) == key


def test_phonetic_keys_block_spelling_variants():
    assert (
        normalize_name("Jon Smyth").last_name_phonetic
        == normalize_name("John Smith").last_name_phonetic
    )
    assert (
        normalize_name("Katherine Smith").first_name_phonetic
        == normalize_name("Catherine Smith").first_name_phonetic
    )


# raw -> (norm, key, legal form)
COMPANIES = [
    ("Smith Plumbing, LLC", "smith plumbing", "smithplumbing", "llc"),
    ("SMITH PLUMBING", "smith plumbing", "smithplumbing", None),
    ("The Smith Plumbing Co.", "smith plumbing", "smithplumbing", "co"),
    ("Smith Plumbing L.L.C.", "smith plumbing", "smithplumbing", "llc"),
    ("Smith Plumbing, L L C", "smith plumbing", "smithplumbing", "llc"),
    ("Smith Plumbing Limited Liability Company", "smith plumbing", "smithplumbing", "llc"),
    ("Smith Plumbing Inc", "smith plumbing", "smithplumbing", "inc"),
    ("Smith Plumbing, Inc.", "smith plumbing", "smithplumbing", "inc"),
    ("Smith Plumbing Incorporated", "smith plumbing", "smithplumbing", "inc"),
    ("Smith Plumbing Corp.", "smith plumbing", "smithplumbing", "corp"),
    ("Smith Plumbing Corporation", "smith plumbing", "smithplumbing", "corp"),
    ("Smith Plumbing Company", "smith plumbing", "smithplumbing", "co"),
    ("Smith Plumbing Ltd", "smith plumbing", "smithplumbing", "ltd"),
    ("Smith Plumbing Limited", "smith plumbing", "smithplumbing", "ltd"),
    ("Smith & Jones LLP", "smith and jones", "smithjones", "llp"),
    ("Smith and Jones, L.L.P.", "smith and jones", "smithjones", "llp"),
    ("Smith Law PLLC", "smith law", "smithlaw", "pllc"),
    ("Smith Dental, P.C.", "smith dental", "smithdental", "pc"),
    ("Acme LP", "acme", "acme", "lp"),
    ("Müller GmbH", "muller", "muller", "gmbh"),
    ("Café Río S.A.", "cafe rio", "caferio", "sa"),
    ("Philips B.V.", "philips", "philips", "bv"),
    ("Tesco PLC", "tesco", "tesco", "plc"),
    ("Acme Pty Ltd", "acme", "acme", "pty ltd"),
    ("Smith & Sons", "smith and sons", "smithsons", None),
    ("Smith + Sons, Inc.", "smith and sons", "smithsons", "inc"),
    ("Joe's Heating and Air", "joes heating and air", "joesheatingair", None),
    ("JOE'S HEATING & AIR", "joes heating and air", "joesheatingair", None),
    ("The Home Depot", "home depot", "homedepot", None),
    ("AT&T Inc.", "at and t", "att", "inc"),
    ("Smith Plumbing - North", "smith plumbing north", "smithplumbingnorth", None),
    ("Smith Plumbing North LLC", "smith plumbing north", "smithplumbingnorth", "llc"),
    ("Smith Plumbing LLC - West", "smith plumbing west", "smithplumbingwest", "llc"),
    (
        "Smith Plumbing of Springfield",
        "smith plumbing of springfield",
        "smithplumbingofspringfield",
        None,
    ),
    ("Smith Plumbing #2", "smith plumbing 2", "smithplumbing2", None),
    ("Smith Plumbing (West)", "smith plumbing west", "smithplumbingwest", None),
    ("  smith   plumbing  ", "smith plumbing", "smithplumbing", None),
    ("The Company", "company", "company", None),
    ("Co", "co", "co", None),
    ("LLC", "llc", "llc", None),
    ("", None, None, None),
    (None, None, None, None),
]


@pytest.mark.parametrize(("raw", "norm", "key", "form"), COMPANIES)
def test_company_table(raw, norm, key, form):
    assert tuple(normalize_company(raw)) == (norm, key, form)


def test_branches_do_not_share_a_key():
    keys = {
        normalize_company(v).company_key
        for v in ("Smith Plumbing - North", "Smith Plumbing - South", "Smith Plumbing")
    }
    assert len(keys) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACME PLUMBING LLC", True),
        ("Smith & Sons", True),
        ("Joe's Heating and Air", True),
        ("Smith, John", False),
        ("John and Jane Doe", False),
        ("Mary Church", False),
        ("Dr. Jane Doe", False),
        ("Acme Corp", True),
        ("", False),
        (None, False),
    ],
)
def test_looks_like_company(text, expected):
    assert looks_like_company(text) is expected


NAME_TEXT = st.one_of(
    st.text(),
    st.lists(
        st.sampled_from(
            ["Smith", "John", "Jr.", "Dr.", ",", "O'Brien", "Mc", "van", "-", "José", "III", "A."]
        ),
        max_size=6,
    ).map(" ".join),
)


@settings(max_examples=300, deadline=None)
@given(NAME_TEXT)
def test_name_properties(raw):
    first = normalize_name(raw)
    if first.full_name_norm is not None:
        again = normalize_name(first.full_name_norm)
        assert again.full_name_norm == first.full_name_norm
        assert again.first_name_key == first.first_name_key


# names as _parse writes them: plain words, and the words it moves, joins or drops
PLAIN_NAMES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "smith",
                "john",
                "a",
                "o",
                "jr",
                "iii",
                "2nd",
                "dr",
                "mr",
                "md",
                "do",
                "pa",
                "mc",
                "mac",
                "van",
                "de",
                "st",
                "al",
                "smith-jones",
                "3",
                "x1",
                "ii",
                "miss",
            ]
        ),
        st.from_regex(r"[a-z0-9]{1,5}(-[a-z0-9]{1,3})?", fullmatch=True),
    ),
    min_size=1,
    max_size=5,
).map(" ".join)
ANY_NAME = st.one_of(PLAIN_NAMES, NAME_TEXT, st.text())


@pytest.mark.parametrize(
    ("full", "settles"),
    [
        ("john a smith", True),
        ("smith", True),
        ("jr", True),  # a lone suffix is the name
        ("mary-kate van der berg", True),
        ("dr john smith", False),
        ("john smith jr", False),
        ("john smith md", False),
        ("ronald mc donald", False),
        ("john  smith", False),
        ("José smith", False),
        ("smith, john", False),
    ],
)
def test_names_that_read_as_themselves(full, settles):
    assert name_module._reads_as_itself(full) is settles


@settings(max_examples=1000, deadline=None)
@given(ANY_NAME)
def test_name_shortcut_is_what_a_reread_gives(text):
    # normalize_name skips re-reading a name the shortcut says reads as itself
    if name_module._reads_as_itself(text):
        assert name_module._parse(text).full_name_norm == text


@settings(max_examples=500, deadline=None)
@given(ANY_NAME)
def test_name_shortcut_changes_no_result(raw):
    fast = normalize_name(raw)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(name_module, "_reads_as_itself", lambda full: False)  # always re-read
        assert normalize_name(raw) == fast


# raw names as exports write them: cases, commas, punctuation, accents, odd spaces
RAW_NAMES = st.one_of(
    ANY_NAME,
    st.lists(
        st.sampled_from(
            [
                *("SMITH", "John", "smith", ",", ", ", " ", "  ", "-", "O'Brien", "José"),
                *("\u212a", "\u0130", "ACME", "Plumbing", "LLC", "&", "+", "_", ".", "2nd"),
                *("\t", "Smith-Jones"),
            ]
        ),
        max_size=8,
    ).map("".join),
)


@settings(max_examples=1000, deadline=None)
@given(RAW_NAMES)
def test_name_clean_shortcut_is_the_fixpoint(text):
    # _clean lowers a plain text without the substitutions: the same as cleaning to
    # a fixed point
    assert name_module._clean(text) == fixpoint(name_module._clean_once, text, limit=5)


@settings(max_examples=1000, deadline=None)
@given(RAW_NAMES)
def test_company_words_shortcut_changes_nothing(text):
    fast = (company_module._tokens(text), looks_like_company(text), normalize_company(text))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(company_module, "_PLAIN", re.compile(r"(?!)"))  # never plain
        assert (company_module._tokens(text), looks_like_company(text)) == fast[:2]
        assert normalize_company(text) == fast[2]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.lists(
            st.sampled_from(
                ["The", "Smith", "&", "LLC", "Co.", "Inc", "-", "North", "L.L.C.", "and", "#2"]
            ),
            max_size=6,
        ).map(" ".join),
    )
)
def test_company_properties(raw):
    first = normalize_company(raw)
    if first.company_norm is not None:
        again = normalize_company(first.company_norm)
        assert again.company_norm == first.company_norm
        assert again.company_key == first.company_key
    looks_like_company(raw)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.sampled_from([r[0] for r in NAMES if r[0]]), st.text(max_size=10)),
        max_size=30,
    )
)
def test_name_columns_equal_scalar(values):
    frame = normalize_name_column(pd.Series(values, dtype=object))
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        tuple(normalize_name(v)) for v in values
    ]
    lasts = list(reversed(values))
    parts = normalize_name_parts_columns(
        pd.Series(values, dtype=object), pd.Series(lasts, dtype=object)
    )
    assert [tuple(r) for r in parts.itertuples(index=False)] == [
        tuple(normalize_name_parts(f, la)) for f, la in zip(values, lasts, strict=True)
    ]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(), st.sampled_from([r[0] for r in COMPANIES if r[0]]), st.text(max_size=10)
        ),
        max_size=30,
    )
)
def test_company_column_equals_scalar(values):
    frame = normalize_company_column(pd.Series(values, dtype=object))
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        tuple(normalize_company(v)) for v in values
    ]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        # unambiguous nicknames still fold to their formal name
        ("bob", "robert"),
        ("bobby", "robert"),
        ("bill", "william"),
        ("liz", "elizabeth"),
        ("jimmy", "james"),
        ("sophie", "sophia"),
        # formal names are never merged with one another
        ("emily", "emily"),
        ("amy", "amy"),
        ("amelia", "amelia"),
        ("mark", "mark"),
        ("felix", "felix"),
        ("oliver", "oliver"),
        # a nickname of several names stays as it is
        ("mat", "mat"),
        ("millie", "millie"),
        ("chris", "chris"),
        ("sam", "sam"),
        ("al", "al"),
    ],
)
def test_first_name_key_is_conservative(name, key):
    assert first_name_key(name) == key
    assert first_name_key(key) == key


def test_first_name_key_never_joins_two_formal_names():
    for a, b in [("emily", "amelia"), ("amy", "amelia"), ("emily", "amy"), ("mat", "martha")]:
        assert first_name_key(a) != first_name_key(b), (a, b)
