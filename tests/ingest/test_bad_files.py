"""One bad row is a reject, never a failed night; a bad file is named in one line.

Invalid UTF-8 past Arrow's first block, a field over the csv module's size limit, a
byte-order mark, an empty file and a wrong delimiter — real files, read as ingest
reads them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver import store
from resolver.errors import ContractError
from resolver.ingest.contracts import load_contracts
from resolver.ingest.load import ingest

CONTRACT = """\
system: crm
object: customer
file: contacts.csv
id: ContactID
fields:
  first_name: First Name
  last_name: Last Name
  email: Email
{csv}"""

HEADER = "ContactID,First Name,Last Name,Email\n"


def _rows(n: int) -> str:
    return "".join(f"C{i:05d},Ann{i},Lee{i},ann{i}@example.com\n" for i in range(1, n + 1))


def _folder(tmp_path: Path, data: bytes, csv: str = "") -> Path:
    (tmp_path / "sources").mkdir(exist_ok=True)
    (tmp_path / "sources" / "crm.yaml").write_text(CONTRACT.format(csv=csv))
    (tmp_path / "contacts.csv").write_bytes(data)
    return tmp_path


def _ingest(folder: Path):
    con = store.connect(folder / "store.duckdb", create=True)
    try:
        (load,) = ingest(con, load_contracts(folder, data_dir=folder))
        rejects = con.execute("SELECT * FROM rejects ORDER BY source_row").df()
        loaded = con.execute("SELECT source_id, source_row FROM customers").df()
    finally:
        con.close()
    assert load.rows_loaded + load.rows_rejected == load.rows_read
    return load, rejects, loaded


@pytest.mark.parametrize("encoding", ["", "csv: {encoding: utf-8}\n"])
def test_invalid_utf8_past_the_first_block_rejects_that_row(tmp_path: Path, encoding: str) -> None:
    body = _rows(400)  # ~16 KB: past the reader's first block
    bad = b"C09999,Bob,Bad,bob@example.com\n".replace(b"Bad", b"B\xffd")
    data = (HEADER + body).encode() + bad + b"C10000,Cy,Ok,cy@example.com\n"
    load, rejects, loaded = _ingest(_folder(tmp_path, data, encoding))
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (402, 401, 1)
    (reject,) = rejects.itertuples()
    assert reject.source_row == 401 and reject.column_name == "Last Name"
    assert reject.reason.endswith("[bad_encoding]")
    assert reject.reason.startswith(f"{tmp_path / 'contacts.csv'}: row 401")
    assert "column 'Last Name'" in reject.reason and "utf-8" in reject.reason
    assert reject.source_id == "C09999"
    assert "C10000" in set(loaded["source_id"])


def test_a_field_over_the_size_limit_rejects_that_row(tmp_path: Path) -> None:
    huge = "x" * (10 * 1024 * 1024)
    data = (HEADER + _rows(3) + f"C00004,Dee,Long,{huge}\n" + "C00005,Eve,Ok,e@x.com\n").encode()
    load, rejects, _ = _ingest(_folder(tmp_path, data))
    assert (load.rows_read, load.rows_loaded, load.rows_rejected) == (5, 4, 1)
    (reject,) = rejects.itertuples()
    assert reject.source_row == 4 and reject.column_name == "Email"
    assert reject.reason.endswith("[field_too_large]")
    assert "10,485,760 characters" in reject.reason
    assert reject.raw is None or len(reject.raw) < 100_000  # the 10 MB value is not kept


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + (HEADER + _rows(3)).encode()
    load, _, _ = _ingest(_folder(tmp_path, data, "csv: {encoding: utf-8}\n"))
    assert (load.rows_loaded, load.rows_rejected) == (3, 0)


def test_an_empty_file_is_one_line(tmp_path: Path) -> None:
    folder = _folder(tmp_path, b"")
    with pytest.raises(ContractError) as err:
        load_contracts(folder, data_dir=folder)
    assert [p.message for p in err.value.problems] == [
        f"{tmp_path / 'contacts.csv'} is empty (not even a header)"
    ]


def test_a_wrong_delimiter_names_the_likely_one(tmp_path: Path) -> None:
    text = (HEADER + _rows(3)).replace(",", ";")
    folder = _folder(tmp_path, text.encode())
    with pytest.raises(ContractError) as err:
        load_contracts(folder, data_dir=folder)
    (problem,) = err.value.problems
    assert problem.key == "csv.delimiter"
    assert "';'" in problem.message and 'delimiter: ";"' in problem.message
