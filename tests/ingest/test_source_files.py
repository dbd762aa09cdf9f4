"""Reading sources: Arrow's fast CSV path gives exactly what Python's csv module gives."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolver.ingest import source_files
from resolver.ingest.contracts import Contract
from resolver.ingest.source_files import read_csv_fast, read_source, rows_as_json


def _contract(file: Path, **csv_options: str) -> Contract:
    return Contract(
        path=file.with_suffix(".yaml"),
        system="shop",
        object="customer",
        file=file,
        id_column="id",
        fields={},
        csv_options=csv_options,
    )


def _reference(contract: Contract, monkeypatch: pytest.MonkeyPatch):
    """read_source with the fast path turned off: Python's csv module throughout."""
    with monkeypatch.context() as m:
        m.setattr(source_files, "read_csv_fast", lambda c: None)
        return read_source(contract)


def _assert_same(got, want) -> None:
    pd.testing.assert_frame_equal(got[0], want[0])
    pd.testing.assert_frame_equal(got[1], want[1], check_dtype=False)


# every character that changes how a CSV line splits or strips, and some that do not;
# plain cells too, so that most files keep their shape and take the fast path
_CELLS = st.text(alphabet="ab ,;|'\"\n\r\t\u00a0\u2028é", max_size=6) | st.text(
    alphabet="ab \u00a0é", max_size=4
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.lists(_CELLS, min_size=3, max_size=3) | st.lists(_CELLS, max_size=4), max_size=6
    ),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quotechar=st.sampled_from(['"', "'"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_fast_csv_reading_matches_the_csv_module(
    rows, delimiter, quotechar, newline, bom, encoding
) -> None:
    lines = [delimiter.join(["id", "name", "city"])] + [delimiter.join(r) for r in rows]
    raw = ("\ufeff" if bom else "") + newline.join(lines)
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "s.csv"
        file.write_bytes(raw.encode("utf-8"))
        contract = _contract(file, encoding=encoding, delimiter=delimiter, quotechar=quotechar)
        with pytest.MonkeyPatch.context() as mp:
            want = _reference(contract, mp)
        _assert_same(read_source(contract), want)


def test_a_plain_file_takes_the_fast_path_with_quotes_and_newlines(tmp_path: Path) -> None:
    file = tmp_path / "s.csv"
    file.write_text('id,name,city\n1," Smith, John ",Oslo\n\n2,"two\nlines",""\n3,  ,x\n')
    contract = _contract(file)
    assert read_csv_fast(contract) is not None
    rows, bad = read_source(contract)
    assert rows.to_dict("records") == [
        {"_row": 1, "id": "1", "name": "Smith, John", "city": "Oslo"},
        {"_row": 2, "id": "2", "name": "two\nlines", "city": None},
        {"_row": 3, "id": "3", "name": None, "city": "x"},
    ]
    assert bad.empty


def test_a_row_of_the_wrong_width_goes_to_the_csv_module(tmp_path: Path, monkeypatch) -> None:
    file = tmp_path / "s.csv"
    file.write_text('id,name\n1,a\n2,"b\nc",extra\n3,d\n')
    contract = _contract(file)
    assert read_csv_fast(contract) is None
    rows, bad = read_source(contract)
    assert rows["_row"].tolist() == [1, 3]
    assert bad.to_dict("records") == [
        {
            "_row": 2,
            "_line": 4,
            "_column": None,
            "_reason": "has 3 fields, the header has 2 [bad_shape]",
            "_kind": "bad_shape",
            "_source_id": None,
            "_raw": None,
        }
    ]


@pytest.mark.parametrize(
    ("content", "options"),
    [
        ("id,id\n1,2\n", {}),  # a repeated column name
        ("", {}),  # an empty file
        ("\nid,name\n1,a\n", {}),  # a blank first line: the csv module's header is empty
        ("id;name\n1;a\n", {"delimiter": ";", "encoding": "latin-1"}),  # not UTF-8
    ],
)
def test_what_only_the_csv_module_reads_right_goes_to_it(
    tmp_path: Path, monkeypatch, content: str, options: dict[str, str]
) -> None:
    file = tmp_path / "s.csv"
    file.write_text(content)
    contract = _contract(file, **options)
    assert read_csv_fast(contract) is None
    _assert_same(read_source(contract), _reference(contract, monkeypatch))


def test_invalid_utf8_is_a_bad_row_not_an_error(tmp_path: Path) -> None:
    file = tmp_path / "s.csv"
    file.write_bytes(b"id,name\n1,\xff\n2,b\n")
    rows, bad = read_source(_contract(file))
    assert rows[["_row", "id", "name"]].to_dict("records") == [{"_row": 2, "id": "2", "name": "b"}]
    assert bad[["_row", "_line", "_column", "_kind", "_source_id"]].to_dict("records") == [
        {"_row": 1, "_line": 2, "_column": "name", "_kind": "bad_encoding", "_source_id": "1"}
    ]
    assert bad["_raw"][0] == '{"id":"1","name":"\ufffd"}'


def test_parquet_text_columns_read_like_pandas(tmp_path: Path) -> None:
    file = tmp_path / "s.parquet"
    pq.write_table(pa.table({"id": ["1", " 2 ", None], "name": ["a\u00a0", "", "  c"]}), file)
    rows, bad = read_source(_contract(file))
    assert rows.to_dict("records") == [
        {"_row": 1, "id": "1", "name": "a"},
        {"_row": 2, "id": "2", "name": None},
        {"_row": 3, "id": None, "name": "c"},
    ]
    assert bad.empty
    assert rows["id"].dtype == object


def test_parquet_with_other_types_keeps_their_pandas_text(tmp_path: Path) -> None:
    file = tmp_path / "s.parquet"
    pd.DataFrame({"id": pd.array([1, None], dtype="Int64"), "name": ["a", "b"]}).to_parquet(file)
    rows, _ = read_source(_contract(file))
    assert rows["id"].iloc[0] == "1"  # pandas' nullable ints, not floats ("1.0")
    assert pd.isna(rows["id"].iloc[1])


_VALUES = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(max_codepoint=0x3000) | st.sampled_from('/\\"\u2028\U0001f600')),
)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(_VALUES, _VALUES), min_size=1, max_size=6),
    names=st.sampled_from([("id", "name"), ("a/b", 'c"d'), ("é", "\\u00")]),
)
def test_rows_as_json_is_the_text_pandas_writes(rows, names) -> None:
    df = pd.DataFrame(rows, columns=list(names), dtype=object)
    want = [
        df.iloc[[i]].to_json(orient="records", lines=True, force_ascii=False).rstrip("\n")
        for i in range(len(df))
    ]
    assert list(rows_as_json(df)) == want
