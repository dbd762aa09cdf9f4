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
