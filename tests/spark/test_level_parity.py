"""Every comparison level gives the same gamma on Spark as on DuckDB.

A level's SQL is written once (DuckDB's dialect) and translated for Spark on load
(:mod:`resolver.linkage.model_file`); a function both engines name alike but compute
differently (a string similarity, a length, a split) moves a pair into another level on
one engine only, and with it the pair's weight by many bits. At 100k records no pair
happened to fall where the engines disagree; at 1M some did. This test evaluates the
levels of the shipped models and of every comparison kind resolver derives, on both
engines, over crafted value pairs: keying errors of real words, accents, non-Latin text,
emoji, empty strings, whitespace, very long strings, NULLs, values at the thresholds.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from resolver.demo.fixtures import MODELS
from resolver.linkage.comparisons import KINDS, comparison_dict, level_gammas
from resolver.linkage.model_file import for_engine
from resolver.spark.linkage import prepare_session

SEED = 17

WORDS = [
    "hansen", "spencer", "margaret", "michigan", "bennett", "yolanda", "carter", "sanders",
    "martha", "dwayne", "dixon", "johnson", "christopher", "jo", "al", "mississippi",
    "irving park", "la cienega", "acme corp", "hotel bel air", "bel air hotel", "o brien",
]  # fmt: skip
ODD = [
    "josé", "jose", "müller", "mueller", "muller", "łukasz", "lukasz", "straße", "strasse",
    "zoë", "zoe", "ø", "o", "李小龙", "李小明", "иван", "ivan", "иванов", "😀", "😀😀", "a😀b",
    "ab", "e\u0301", "é", "", " ", "  ", "a ", " a", "a  b", "a b", "A", "a", "ANNA", "anna",
    "x" * 300, "x" * 299 + "y", "ab" * 150, "5551234567", "5551234568", "555123456", "٥٥٥١٢٣",
    "12", "1", "acme  corp", "corp acme", "acme corp inc", "a.b", "a|b", "a\tb", "\u00a0a",
]  # fmt: skip


def _typos(word: str) -> list[str]:
    """Every single keying error of ``word``: a swap, a drop, a double, a substitution."""
    out = []
    for i in range(len(word)):
        out.append(word[:i] + word[i + 1 :])
        out.append(word[: i + 1] + word[i:])
        out.append(word[:i] + "e" + word[i + 1 :])
        if i + 1 < len(word):
            out.append(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    return out


def _string_pairs(rng: random.Random) -> list[tuple[str | None, str | None]]:
    pairs: list[tuple[str | None, str | None]] = []
    for w in WORDS:
        pairs += [(w, t) for t in _typos(w)]
    values = WORDS + ODD
    pairs += [(a, b) for a in ODD for b in ODD]
    pairs += [(rng.choice(values), rng.choice(values)) for _ in range(500)]
    pairs += [(v, v) for v in values] + [(None, v) for v in values[:5]] + [(None, None)]
    return pairs


# the columns the levels below read that are not strings
_DATES = {"invoice_date", "birth_date"}
_INTS = {"amount_cents", "birth_year"}
_LISTS = {"first_name_variants"}


def _comparisons() -> list[dict[str, Any]]:
    """The shipped models' comparisons and one of every kind resolver derives, with
    every option that adds a level."""
    comps = []
    for path in sorted(MODELS.glob("*.json")):
        comps += json.loads(path.read_text())["splink"]["comparisons"]
    home = ["phone_digits", "address_line"]
    kinds = {
        "exact": {"column": "email_norm", "tf": True},
        "string": {
            "column": "last_name_norm",
            "thresholds": [0.92, 0.8],
            "phonetic_column": "last_name_phonetic",
            "home_columns": home,
        },
        "first_name": {
            "column": "first_name_norm",
            "key_column": "first_name_key",
            "variants_column": "first_name_variants",
            "thresholds": [0.92, 0.8],
            "home_columns": home,
        },
        "email": {"column": "email_norm", "key_column": "email_key", "user_threshold": 0.88},
        "address": {
            "line_column": "address_line",
            "house_number_column": "addr_house_number",
            "street_column": "addr_street",
            "postal_column": "postal_norm",
            "street_core_column": "street_core",
        },
        "phone": {"column": "phone_digits", "local_column": "phone_local"},
        "contact": {
            "phone_column": "phone_digits",
            "local_column": "phone_local",
            "line_column": "address_line",
            "house_number_column": "addr_house_number",
            "street_column": "addr_street",
            "postal_column": "postal_norm",
            "street_core_column": "street_core",
        },
        "company": {"column": "company_key", "sorted_column": "company_sorted"},
        "names_swapped": {"first_column": "first_name_norm", "last_column": "last_name_norm"},
        "birth": {"date_column": "birth_date", "year_column": "birth_year"},
        "amount": {"column": "amount_cents", "tolerance_cents": 100, "ratio_range": [1.0, 1.15]},
        "date": {"column": "invoice_date", "thresholds_days": [3, 31]},
        "code": {"column": "invoice_number_norm"},
    }
    assert set(kinds) == set(KINDS) - {"custom"}  # a new kind is tested here too
    comps += [comparison_dict(f"kind_{k}", {"kind": k, **o}) for k, o in kinds.items()]
    return comps


def _columns(comps: list[dict[str, Any]]) -> list[str]:
    import re

    sql = " ".join(lv["sql_condition"] for c in comps for lv in c["comparison_levels"])
    return sorted(set(re.findall(r"\b([a-z][a-z0-9_]*)_[lr]\b", sql)))


def _table(columns: list[str]) -> pa.Table:
    rng = random.Random(SEED)
    strings = _string_pairs(rng)
    day = dt.date(2024, 2, 28)
    dates = [(day, day + dt.timedelta(days=d)) for d in (0, 1, -1, 3, 4, -31, 31, 32, 366)]
    dates += [(None, day), (None, None), (dt.date(1999, 12, 31), dt.date(2000, 1, 1))]
    dates += [
        (dt.date(2001, 2, 3), dt.date(2001, 3, 2)),
        (dt.date(2010, 1, 1), dt.date(2011, 1, 1)),
    ]
    ints = [(100, 100), (100, 200), (100, 201), (0, 0), (0, 50), (-5, 5), (1000, 1150)]
    ints += [(1000, 1151), (1000, 1000 + 1), (7, None), (None, None), (1980, 1981), (1980, 1980)]
    lists = [["bob", "robert"], ["rob", "robert"], ["bill"], [], None, ["josé"], ["jose"]]
    rows = len(strings) + 500
    table: dict[str, list] = {"row_id": list(range(rows))}
    for col in columns:
        pool = dates if col in _DATES else ints if col in _INTS else strings
        if col in _LISTS:
            pool = [(a, b) for a in lists for b in lists]
        # every pair of the pool at least once
        picks = [pool[i] if i < len(pool) else rng.choice(pool) for i in range(rows)]
        rng.shuffle(picks)
        table[f"{col}_l"] = [a for a, _ in picks]
        table[f"{col}_r"] = [b for _, b in picks]
    # rows whose columns all carry the same pair: names compared across columns
    # (names_swapped) and levels that need two columns to agree at once
    for i in range(len(strings)):
        a, b = strings[i]
        for col in columns:
            if col not in _DATES | _INTS | _LISTS and i % 3 == 0:
                table[f"{col}_l"][i], table[f"{col}_r"][i] = a, b
    return pa.table(table)


def _gamma_sql(comps: list[dict[str, Any]], engine: str) -> str:
    cases = []
    for comp in for_engine(
        {"comparisons": comps, "blocking_rules_to_generate_predictions": []}, engine
    )["comparisons"]:
        levels = comp["comparison_levels"]
        whens = [
            f"WHEN {lv['sql_condition']} THEN {g}"
            for lv, g in zip(levels, level_gammas(levels), strict=True)
            if lv["sql_condition"] != "ELSE"
        ]
        name = comp["output_column_name"]
        cases.append(f"CASE {' '.join(whens)} ELSE 0 END AS gamma_{name}")
    return f"SELECT row_id, {', '.join(cases)} FROM level_cases ORDER BY row_id"


@pytest.fixture(scope="module")
def cases() -> tuple[list[dict[str, Any]], pa.Table]:
    comps = _comparisons()
    # one column per comparison name: a shipped and a derived comparison may share one
    for i, comp in enumerate(comps):
        comp["output_column_name"] = f"{i}_{comp['output_column_name']}"
    return comps, _table(_columns(comps))


def test_every_level_gives_the_same_gamma_on_both_engines(spark, cases) -> None:
    comps, table = cases
    con = duckdb.connect()
    try:
        con.register("level_cases", table)
        duck = con.sql(_gamma_sql(comps, "duckdb")).to_arrow_table().to_pylist()
    finally:
        con.close()
    prepare_session(spark)
    spark.createDataFrame(table).createOrReplaceTempView("level_cases")
    theirs = spark.sql(_gamma_sql(comps, "spark")).toArrow().to_pylist()
    rows = table.to_pylist()
    differ = []
    for d, s in zip(duck, theirs, strict=True):
        for key in d:
            if d[key] != s[key]:
                comp = comps[int(key.split("_")[1])]
                cols = _columns([comp])
                values = {
                    c: (rows[d["row_id"]][f"{c}_l"], rows[d["row_id"]][f"{c}_r"]) for c in cols
                }
                differ.append(f"{key}: duckdb {d[key]}, spark {s[key]}, {values}")
    assert len(duck) == len(rows) > 4000
    assert not differ, f"{len(differ)} gammas differ:\n" + "\n".join(differ[:25])
