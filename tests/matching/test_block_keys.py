"""POST /match computes a record's blocking keys in Python, the index holds DuckDB's:
the two must be the same number for every value, or the record's candidates are
never found."""

from __future__ import annotations

import datetime as dt

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.store.match_index import block_key, block_key_sql

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)  # NUL included
CON = duckdb.connect()


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=4))
def test_python_computes_the_key_duckdb_computes(values: list[str]) -> None:
    con = CON.cursor()
    names = [f"v{i}" for i in range(len(values))]
    given_ = ", ".join(f"?::VARCHAR AS {n}" for n in names)
    (key,) = con.execute(f"SELECT {block_key_sql(names)} FROM (SELECT {given_})", values).fetchone()
    assert key == block_key(values)
    assert 0 <= key < 2**64


def test_a_null_value_gives_no_key_and_other_types_key_their_text() -> None:
    con = duckdb.connect()
    got = con.execute(
        f"SELECT {block_key_sql(['a', 'b'])}, {block_key_sql(['d'])} "
        "FROM (SELECT 'x' AS a, NULL::VARCHAR AS b, DATE '2024-02-29' AS d)"
    ).fetchone()
    assert got == (None, block_key([dt.date(2024, 2, 29).isoformat()]))


def test_the_separator_keeps_keys_of_different_splits_apart() -> None:
    assert block_key(["ab", "c"]) != block_key(["a", "bc"])
    assert block_key(["ab"]) != block_key(["a", "b"])
