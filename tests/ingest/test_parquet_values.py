"""Parquet values that are not text: each loads as the text it holds, or its row is a
reject naming file, row and column — never Python's repr of it (``"['a' 'b']"``,
``"b'...'"``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from resolver import store
from resolver.ingest.contracts import load_contracts
from resolver.ingest.load import ingest

CONTRACT = """\
system: crm
object: customer
file: contacts.parquet
id: ContactID
fields:
  first_name: First Name
  last_name: Last Name
{fields}"""


def _ingest(tmp_path: Path, columns: dict[str, pa.Array], fields: str):
    table = pa.table(
        {
            "ContactID": ["C1", "C2", "C3"],
            "First Name": ["Ann", "Bob", "Cy"],
            "Last Name": ["Lee", "Ng", "Oh"],
            **columns,
        }
    )
    pq.write_table(table, tmp_path / "contacts.parquet")
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "crm.yaml").write_text(CONTRACT.format(fields=fields))
    con = store.connect(tmp_path / "store.duckdb", create=True)
    try:
        (load,) = ingest(con, load_contracts(tmp_path, data_dir=tmp_path))
        loaded = con.execute("SELECT * FROM customers ORDER BY source_id").df()
        rejects = con.execute("SELECT * FROM rejects ORDER BY source_row").df()
    finally:
        con.close()
    assert load.rows_loaded + load.rows_rejected == load.rows_read == 3
    return loaded, rejects


def test_a_nested_value_in_a_mapped_column_rejects_its_row(tmp_path: Path) -> None:
    loaded, rejects = _ingest(
        tmp_path,
        {
            "Tags": pa.array([["a", "b"], None, None]),
            "Parent": pa.array([None, {"id": 7, "name": "x"}, None]),
        },
        "  company: Tags\n  branch: Parent\n",
    )
    assert list(loaded["source_id"]) == ["C3"]
    assert list(rejects["source_row"]) == [1, 2]
    assert list(rejects["column_name"]) == ["Tags", "Parent"]
    assert all(r.endswith("[nested_value]") for r in rejects["reason"])
    first = rejects["reason"].iloc[0]
    assert first.startswith(f"{tmp_path / 'contacts.parquet'}: row 1: column 'Tags': a nested")
    assert "[nested_value]" in first
    assert json.loads(rejects["raw"].iloc[0])["Tags"] == '["a", "b"]'


def test_a_nested_column_no_field_reads_is_kept_as_json(tmp_path: Path) -> None:
    loaded, rejects = _ingest(tmp_path, {"Tags": pa.array([["a", "b"], None, ["c"]])}, "")
    assert rejects.empty and len(loaded) == 3
    assert json.loads(loaded["raw"].iloc[0])["Tags"] == '["a", "b"]'


def test_a_binary_column_is_its_text_and_undecodable_bytes_are_a_reject(tmp_path: Path) -> None:
    loaded, rejects = _ingest(
        tmp_path,
        {"Mail": pa.array([b"ann@example.com", b"b\xffb@example.com", None], type=pa.binary())},
        "  email: Mail\n",
    )
    assert list(loaded["source_id"]) == ["C1", "C3"]
    assert loaded["email"].iloc[0] == "ann@example.com"  # not "b'ann@example.com'"
    (reject,) = rejects.itertuples()
    assert reject.source_row == 2 and reject.column_name == "Mail"
    assert "bytes that are not valid utf-8 [bad_encoding]" in reject.reason


def test_a_typed_timestamp_is_a_date_not_a_bad_date(tmp_path: Path) -> None:
    stamps = [dt.datetime(2024, 1, 2, 3, 4, 5), None, dt.datetime(2024, 5, 6)]
    loaded, rejects = _ingest(
        tmp_path,
        {"Modified": pa.array(stamps, type=pa.timestamp("us", tz="UTC"))},
        "  updated_at: Modified\n",
    )
    assert rejects.empty
    assert [None if v is None or v != v else str(v)[:10] for v in loaded["updated_at"]] == [
        "2024-01-02",
        None,
        "2024-05-06",
    ]


def test_a_typed_column_that_cannot_be_its_field_stops_before_loading(tmp_path: Path) -> None:
    """A source's types are checked against the canonical fields before any row loads:
    a true/false column mapped to a date, a timestamp mapped to an email."""
    import pytest

    from resolver.errors import ContractError

    with pytest.raises(ContractError) as err:
        _ingest(
            tmp_path,
            {
                "Active": pa.array([True, False, None]),
                "Mail": pa.array([dt.datetime(2024, 1, 2), None, None]),
            },
            "  updated_at: Active\n  email: Mail\n",
        )
    text = str(err.value)
    assert f"{tmp_path / 'contacts.parquet'}: fields.updated_at: column 'Active' holds bool" in text
    assert "a date field takes dates, timestamps, text or whole numbers" in text
    assert "fields.email: column 'Mail' holds timestamp" in text
    con = store.connect(tmp_path / "store.duckdb")
    try:  # nothing was loaded
        assert (
            not con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'customers'"
            ).fetchone()[0]
            or not con.execute("SELECT count(*) FROM customers").fetchone()[0]
        )
    finally:
        con.close()


def test_typed_columns_that_fit_their_fields_load(tmp_path: Path) -> None:
    loaded, rejects = _ingest(
        tmp_path,
        {
            "Changed": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5), None, None]),
            "Phone": pa.array([5551234567, None, None], type=pa.int64()),
            "Flag": pa.array([True, None, False]),
        },
        "  updated_at: Changed\n  phone: Phone\n  status: Flag\n",
    )
    assert rejects.empty and len(loaded) == 3
