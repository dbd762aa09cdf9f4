"""The scorer hands DuckDB each row as one string and reads it back: every type a model
column can have reads back as the same value, and values that would not (a separator
inside a string, a list holding an empty string or a null) are scored by a query of
their own. Either way the scores are exactly those of the same SQL run on the tables."""

from __future__ import annotations

import datetime as dt
import math
import struct
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.linkage.realtime import RecordScorer, pack_row, pack_rows

SCHEMA = pa.schema(
    [
        ("record_key", pa.string()),
        ("name", pa.string()),
        ("n", pa.int64()),
        ("x", pa.float64()),
        ("flag", pa.bool_()),
        ("born", pa.date32()),
        ("seen", pa.timestamp("us")),
        ("tags", pa.list_(pa.string())),
        ("system", pa.string()),
    ]
)


def _comparison(name: str, condition: str, nulls: str) -> dict:
    return {
        "output_column_name": name,
        "comparison_levels": [
            {"sql_condition": nulls, "label_for_charts": "missing", "is_null_level": True},
            {"sql_condition": condition, "m_probability": 0.9, "u_probability": 0.01},
            {"sql_condition": "ELSE", "m_probability": 0.1, "u_probability": 0.99},
        ],
    }


def _either_null(col: str) -> str:
    return f"{col}_l IS NULL OR {col}_r IS NULL"


SETTINGS = {
    "link_type": "dedupe_only",
    "unique_id_column_name": "record_key",
    "source_dataset_column_name": "system",
    "additional_columns_to_retain": ["system"],
    "retain_matching_columns": True,
    "retain_intermediate_calculation_columns": True,
    "comparisons": [
        # a level per way a value could come back different
        _comparison("name", "name_l = name_r", _either_null("name")),
        _comparison("n", "n_l = n_r", _either_null("n")),
        _comparison("x", "x_l = x_r OR (isnan(x_l) AND isnan(x_r))", _either_null("x")),
        _comparison("sign", "signbit(x_l) = signbit(x_r)", _either_null("x")),
        _comparison("flag", "flag_l = flag_r", _either_null("flag")),
        _comparison("born", "born_l = born_r", _either_null("born")),
        _comparison("seen", "seen_l = seen_r", _either_null("seen")),
        _comparison("tags", "tags_l = tags_r", _either_null("tags")),
        _comparison("tag_count", "len(tags_l) = len(tags_r)", _either_null("tags")),
    ],
}

LEFT = {
    "record_key": "a",
    "name": 'Zoë O\'Brien, "jr"',
    "n": 2**62 + 1,
    "x": 1 / 3,
    "flag": True,
    "born": dt.date(1971, 6, 24),
    "seen": dt.datetime(2024, 2, 29, 23, 59, 58, 123456),
    "tags": ["a", "b c"],
    "system": "crm",
}

# a NaN with its sign bit set: DuckDB's signbit() tells it from a plain NaN
NEGATIVE_NAN = struct.unpack("<d", struct.pack("<Q", 0xFFF8000000000000))[0]

# each candidate equals the new record in some fields and not in others
CANDIDATES = [
    {**LEFT, "record_key": "same"},
    {
        **LEFT,
        "record_key": "nulls",
        "name": None,
        "n": None,
        "x": None,
        "flag": None,
        "born": None,
        "seen": None,
        "tags": None,
    },
    {**LEFT, "record_key": "empty", "name": "", "tags": []},
    {**LEFT, "record_key": "near", "x": 0.3333333333333333, "n": 2**62, "flag": False},
    {**LEFT, "record_key": "tiny", "x": 5e-324, "seen": dt.datetime(1900, 1, 1)},
    {**LEFT, "record_key": "huge", "x": 1.7976931348623157e308, "born": dt.date(1, 1, 1)},
    {**LEFT, "record_key": "neg0", "x": -0.0},
    {**LEFT, "record_key": "inf", "x": -math.inf},
    {**LEFT, "record_key": "nan", "x": math.nan},
    {**LEFT, "record_key": "-nan", "x": NEGATIVE_NAN},
    {**LEFT, "record_key": "tags", "tags": ["b c", "a"]},
    {**LEFT, "record_key": "one", "tags": ["a"]},
    {**LEFT, "record_key": "marks", "name": "semi;colon|pipe,comma\ttab\nline\\"},
]


@pytest.fixture(scope="module")
def scorer() -> RecordScorer:
    return RecordScorer(SETTINGS, SCHEMA, prior=0.01)


def _table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def _same(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for k in a:
        x, y = np.ma.asarray(a[k]), np.ma.asarray(b[k])
        assert np.ma.getmaskarray(x).tolist() == np.ma.getmaskarray(y).tolist(), k
        if x.dtype.kind == "f":
            np.testing.assert_array_equal(np.ma.getdata(x), np.ma.getdata(y), err_msg=k)
        else:
            assert x.tolist() == y.tolist(), k


def test_every_type_reads_back_as_the_same_value(scorer: RecordScorer) -> None:
    left, right = _table([LEFT]), _table(CANDIDATES)
    assert pack_rows(right).null_count == 0  # these go through the packed rows
    got = scorer.score(left, right)
    _same(got, scorer.score_fresh(left, right))
    # and they were compared as values, not as text: the same record is the same in
    # every field; a null is missing; -0.0 keeps its sign; nan is nan
    levels = {k: got[f"gamma_{k}"] for k in ("name", "n", "x", "sign", "tags", "tag_count")}
    assert all(levels[k][0] == 1 for k in levels)  # levels: -1 missing, 1 same, 0 not
    assert all(levels[k][1] == -1 for k in ("name", "n", "x", "tags"))
    keys = [c["record_key"] for c in CANDIDATES]
    assert levels["x"][keys.index("near")] == 1  # 1/3 written as its shortest text
    assert levels["sign"][keys.index("neg0")] == 0
    assert levels["x"][keys.index("nan")] == 0
    nan = scorer.score(_table([{**LEFT, "x": math.nan}]), right)
    _same(nan, scorer.score_fresh(_table([{**LEFT, "x": math.nan}]), right))
    assert nan["gamma_x"][keys.index("nan")] == 1  # nan read back as nan, not as text
    assert levels["tags"][keys.index("empty")] == 0  # [] is a list, not a null
    assert levels["tag_count"][keys.index("empty")] == 0
    assert levels["tags"][keys.index("tags")] == 0  # the order of a list is kept


@pytest.mark.parametrize(
    "odd",
    [
        {"name": "a\x1fb"},  # the field separator inside a value
        {"name": "\x1e"},  # the null mark as a value
        {"tags": ["x\x1dy"]},  # the item separator inside an item
        {"tags": [""]},  # one empty item would read back as no item
        {"tags": ["a", None]},  # a null item
        {"system": "crm\x1c"},
    ],
)
def test_values_the_packing_cannot_carry_are_scored_by_a_query_of_their_own(
    scorer: RecordScorer, odd: dict
) -> None:
    right = _table([*CANDIDATES, {**LEFT, "record_key": "odd", **odd}])
    assert pack_rows(right).is_null().to_pylist() == [False] * len(CANDIDATES) + [True]
    left = _table([LEFT])
    got = scorer.score(left, right)
    _same(got, scorer.score_fresh(left, right))
    # the odd row was read as itself: only the field it differs in differs
    field = next(iter(odd))
    comparison = {"system": None}.get(field, field)
    if comparison:
        assert got[f"gamma_{comparison}"][-1] == 0


def test_a_column_of_another_type_is_refused_by_name() -> None:
    schema = SCHEMA.append(pa.field("where", pa.struct([("lat", pa.float64())])))
    with pytest.raises(TypeError, match="'where'"):
        RecordScorer(SETTINGS, schema, prior=0.01)


def test_rows_packed_once_and_kept_score_as_their_tables_do(scorer: RecordScorer) -> None:
    """``/match`` packs every record once, when it writes its index, and hands the
    candidates' kept strings to the scorer: in any order and any subset, concurrent
    calls each get exactly the scores of their own tables."""
    left, right = _table([LEFT]), _table(CANDIDATES)
    kept = pack_rows(right)
    packed_left = pack_rows(left).to_pylist()
    rng = np.random.default_rng(5)
    picks = [rng.choice(len(CANDIDATES), int(rng.integers(1, 8)), replace=False) for _ in range(24)]
    with ThreadPoolExecutor(8) as pool:
        got = list(
            pool.map(lambda p: scorer.score_packed(packed_left, kept.take(p).to_pylist()), picks)
        )
    for pick, out in zip(picks, got, strict=True):
        _same(out, scorer.score_fresh(left, right.take(pick)))


# a new record as /match holds it: text, integers, floats, lists of text and nulls
PLAIN = {**LEFT, "flag": None, "born": None, "seen": None, "tags": None}


def _packed_from_values_scores_as_table(scorer: RecordScorer, row: dict) -> None:
    right = _table(CANDIDATES)
    packed = pack_row(row, SCHEMA)
    assert packed is not None
    _same(
        scorer.score_packed([packed], pack_rows(right).to_pylist()),
        scorer.score_fresh(_table([row]), right),
    )


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"x": 5e-324},
        {"x": 1.7976931348623157e308},
        {"x": -0.0},
        {"x": -math.inf},
        {"x": math.nan},
        {"x": NEGATIVE_NAN},
        {"x": 100.0},
        {"x": 1e20},
        {"x": 3},  # an int in a float column
        {"n": -(2**63)},
        {"n": 0},
        {"name": ""},
        {"name": "semi;colon|pipe,comma\ttab\nline\\"},
        {"name": None, "n": None, "x": None},
        {"tags": []},
        {"tags": ["a"]},
        {"tags": ("a", "b c", "Zoë")},
    ],
)
def test_a_row_packed_from_its_values_scores_as_its_table(
    scorer: RecordScorer, change: dict
) -> None:
    """``/match`` packs its new record from Python values (``pack_row``), not through a
    table: the scores are exactly those of the record's table."""
    _packed_from_values_scores_as_table(scorer, {**PLAIN, **change})


@pytest.mark.parametrize(
    "change",
    [
        {"born": dt.date(2000, 1, 1)},  # a date, a bool: packed as a table
        {"flag": False},
        {"tags": [""]},  # a list item that would not read back the same
        {"tags": ["a", None]},
        {"tags": ["a\x1db"]},
        {"tags": [1]},  # a number in a list of text
        {"tags": "a"},  # a text where a list belongs
        {"name": "a\x1fb"},  # a mark: not packable at all
        {"n": 2**63},  # beyond the column's type
        {"n": 1.5},  # a float in an integer column
        {"n": True},
        {"name": 7},  # a number in a text column
    ],
)
def test_a_value_pack_row_does_not_write_is_left_to_the_table(change: dict) -> None:
    assert pack_row({**PLAIN, **change}, SCHEMA) is None


@settings(max_examples=40, deadline=None)
@given(
    name=st.none() | st.text(st.characters(codec="utf-8", exclude_characters="\x1c\x1d\x1e\x1f")),
    n=st.none() | st.integers(-(2**63), 2**63 - 1),
    x=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    tags=st.none()
    | st.lists(
        st.text(st.characters(codec="utf-8", exclude_characters="\x1c\x1d\x1e\x1f"), min_size=1)
    ),
)
def test_any_plain_row_packed_from_its_values_scores_as_its_table(
    scorer: RecordScorer, name: str | None, n: int | None, x: float | None, tags: list | None
) -> None:
    row = {**PLAIN, "name": name, "n": n, "x": x, "tags": tags}
    _packed_from_values_scores_as_table(scorer, row)


def test_large_and_plain_text_columns_pack_together(scorer: RecordScorer) -> None:
    """A store read into memory gives some text columns as Arrow's large strings and
    others as plain ones: the rows pack (and score) as the all-plain table's do."""
    mixed = pa.schema([f.with_type(pa.large_string()) if f.name == "name" else f for f in SCHEMA])
    right = _table(CANDIDATES)
    packed = pack_rows(right.cast(mixed))
    assert packed.to_pylist() == pack_rows(right).to_pylist()
