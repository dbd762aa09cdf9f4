"""The Python evaluator of level SQL gives DuckDB's answer, NULLs included."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import duckdb
import pytest

from resolver.linkage.sql_eval import Unsupported, compile_condition

TEXTS = [None, "", "jon", "john", "jonathan", "josé", "jose", "smith", "smyth", "a@x.com", "漢字"]
INTS = [None, 0, 99, 100, 114, 115, 200, -5]
DATES = [None, dt.date(2024, 1, 1), dt.date(2024, 1, 4), dt.date(2024, 2, 1), dt.date(2023, 12, 31)]
LISTS = [None, [], ["jon"], ["jon", "john"], ["bob", None]]

EXPRESSIONS = [
    ("a_l = a_r", "text"),
    ("a_l <> a_r", "text"),
    ("a_l IS NULL OR a_r IS NULL", "text"),
    ("a_l IS NOT NULL AND NOT (a_l = a_r)", "text"),
    ("jaro_winkler_similarity(a_l, a_r) >= 0.9", "text"),
    ("jaro_similarity(a_l, a_r) > 0.8", "text"),
    ("levenshtein(a_l, a_r) <= 1", "text"),
    ("damerau_levenshtein(a_l, a_r) <= 2", "text"),
    ("(length(a_l) = 1 OR length(a_r) = 1) AND left(a_l, 1) = left(a_r, 1)", "text"),
    ("split_part(a_l, '@', 1) = split_part(a_r, '@', 1)", "text"),
    ("ends_with(a_l, a_r) OR starts_with(a_r, a_l)", "text"),
    ("coalesce(a_l = a_r, false)", "text"),
    ("lower(a_l) = upper(a_r)", "text"),
    ("a_l = a_r", "int"),
    ("abs(a_l - a_r) <= 100", "int"),
    (
        "least(a_l, a_r) > 0 AND greatest(a_l, a_r)::DOUBLE / least(a_l, a_r) BETWEEN 1.0 AND 1.15",
        "int",
    ),
    ("greatest(a_l, a_r) >= 100", "int"),
    ("a_l * 2 + 1 > a_r", "int"),
    ("abs(date_diff('day', a_l, a_r)) <= 3", "date"),
    ("a_l = a_r", "date"),
    ("list_has_any(a_l, a_r)", "list"),
]
TYPES = {"text": "VARCHAR", "int": "BIGINT", "date": "DATE", "list": "VARCHAR[]"}
VALUES = {"text": TEXTS, "int": INTS, "date": DATES, "list": LISTS}


@pytest.mark.parametrize(("sql", "kind"), EXPRESSIONS)
def test_agrees_with_duckdb(sql: str, kind: str) -> None:
    con = duckdb.connect()
    ours = compile_condition(sql)
    t = TYPES[kind]
    for a, b in itertools.product(VALUES[kind], repeat=2):
        theirs = con.execute(f"SELECT {sql} FROM (SELECT ?::{t} AS a_l, ?::{t} AS a_r)", [a, b])
        assert ours({"a_l": a, "a_r": b}) == theirs.fetchone()[0], (sql, a, b)


def test_qualified_columns_read_sides() -> None:
    veto = compile_condition(
        "l.k IS NOT NULL AND r.k IS NOT NULL AND l.k <> r.k AND NOT coalesce(l.e = r.e, false)",
        qualified=True,
    )
    assert veto({"k_l": "jon", "k_r": "bob", "e_l": None, "e_r": "x"}) is True
    assert veto({"k_l": "jon", "k_r": "bob", "e_l": "x", "e_r": "x"}) is False
    assert veto({"k_l": None, "k_r": "bob"}) is False


def test_three_valued_logic() -> None:
    f = compile_condition("a_l = a_r OR b_l = b_r")
    assert f({"a_l": None, "a_r": "x", "b_l": "y", "b_r": "y"}) is True
    assert f({"a_l": None, "a_r": "x", "b_l": "y", "b_r": "z"}) is None
    g = compile_condition("a_l = a_r AND b_l = b_r")
    assert g({"a_l": None, "a_r": "x", "b_l": "y", "b_r": "z"}) is False


@pytest.mark.parametrize(
    "sql", ["regexp_matches(a_l, 'x')", "a_l IN ('x', 'y')", "try_cast(a_l AS INTEGER) = 1"]
)
def test_unsupported_sql_is_refused_when_compiled(sql: str) -> None:
    with pytest.raises(Unsupported):
        compile_condition(sql)


def test_random_strings_agree_on_string_similarity() -> None:
    rng = random.Random(3)
    con = duckdb.connect()
    f = compile_condition("jaro_winkler_similarity(a_l, a_r)")
    g = compile_condition("levenshtein(a_l, a_r)")
    for _ in range(300):
        a = "".join(rng.choice("abcdeé ") for _ in range(rng.randrange(0, 9)))
        b = "".join(rng.choice("abcdeé ") for _ in range(rng.randrange(0, 9)))
        jw, lev = con.execute(
            "SELECT jaro_winkler_similarity(?, ?), levenshtein(?, ?)", [a, b, a, b]
        ).fetchone()
        assert f({"a_l": a, "a_r": b}) == pytest.approx(jw, abs=1e-12)
        assert g({"a_l": a, "a_r": b}) == lev
