"""Read one source export (CSV or Parquet) as text, the way the ingest stage sees it.

Every value is a stripped string or None (empty after stripping is missing). Rows
whose field count differs from the header's come back apart, as ``bad_shape``
rows with their row and physical line numbers, so ingest can reject them.

CSV is parsed by Arrow's reader (in C++, about ten times faster than Python's csv
module at a million rows) whenever that gives exactly what the csv module gives.
It declines, and the file is read again with the csv module, when the file holds a
row of the wrong width (only the csv module knows its physical line), a header with
a repeated name, a field over the csv module's size limit, an encoding other than
UTF-8, or anything Arrow cannot read (an empty file, invalid UTF-8): every such file
gets the csv module's answer.

No single row fails a file: a row of the wrong width, one holding bytes its encoding
cannot decode, or one with a value over the field size limit (131,072 characters)
comes back apart with its reason, and ingest rejects it like any other bad row. A
byte-order mark is never part of the first column's name.
"""

from __future__ import annotations

import codecs
import csv
import json
import sys
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from resolver.ingest.source_types import check_source_types, is_binary, is_nested
from resolver.store.resources import duckdb_config

if TYPE_CHECKING:  # annotations only: contracts reads a source's encoding from here
    from resolver.ingest.contracts import Contract

# what str.strip() removes: every character Python counts as whitespace
_PY_WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
_UTF8 = ("utf-8", "utf-8-sig")
# a row read but not readable as data: its row and physical line, the column at fault
# (where known), the reason text ("... [kind]"), the kind, its source id and its values
BAD_ROW_COLUMNS = ["_row", "_line", "_column", "_reason", "_kind", "_source_id", "_raw"]


def read_source(contract: Contract) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a source as text: (rows, rows that cannot be read as data — the wrong
    field count, undecodable bytes, a value over the field size limit — as
    ``BAD_ROW_COLUMNS``, each with its reason).

    Both frames carry ``_row`` (1-based data row). Values are stripped strings or None.
    """
    if contract.is_parquet:
        df, bad = _read_parquet(contract)
    else:
        table = read_csv_fast(contract)
        if table is not None:
            df, bad = _text_frame(table), _no_bad_rows()
        else:
            df, bad = read_csv_python(contract)
            _strip(df)
    df.insert(0, "_row", np.arange(1, len(df) + 1, dtype=np.int64))
    if len(bad):
        # bad rows keep their own position; renumber good rows around them
        all_rows = np.arange(1, len(df) + len(bad) + 1, dtype=np.int64)
        good_rows = np.setdiff1d(all_rows, bad["_row"].to_numpy())
        df["_row"] = good_rows
    return df, bad


def source_encoding(contract: Contract) -> str:
    """The encoding to read a CSV with: the declared one (default UTF-8), a leading
    byte-order mark skipped — a BOM is never part of the first column's name."""
    declared = contract.csv_options.get("encoding", "utf-8-sig")
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return declared  # opening the file raises the error the user should see
    return "utf-8-sig" if name == "utf-8" else declared


def read_csv_python(contract: Contract) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reference reader: Python's csv module, row by row (values not yet stripped).

    A row that cannot be read as data comes back apart (see :func:`read_source`): one
    of the wrong width, one holding bytes the encoding cannot decode, one with a value
    over the csv module's field size limit. No row fails the file.
    """
    opts = contract.csv_options
    rows: list[list[str]] = []
    shape: list[tuple[int, int, int]] = []
    lines: list[int] = []
    numbers: list[int] = []
    limit = csv.field_size_limit()
    encoding = source_encoding(contract)
    # undecodable bytes become lone surrogates (found below), long values are read
    # whole and rejected: neither ends the file with a traceback
    with contract.file.open(encoding=encoding, errors="surrogateescape", newline="") as fh:
        reader = csv.reader(
            fh, delimiter=opts.get("delimiter", ","), quotechar=opts.get("quotechar", '"')
        )
        csv.field_size_limit(sys.maxsize)
        try:
            header = next(reader, [])
            width = len(header)
            row = 0
            for rec in reader:
                if not rec:  # blank lines are not rows (nor do they take a row number)
                    continue
                row += 1
                if len(rec) == width:
                    rows.append(rec)
                    numbers.append(row)
                    lines.append(reader.line_num)
                else:
                    shape.append((row, reader.line_num, len(rec)))
        finally:
            csv.field_size_limit(limit)
    df = pd.DataFrame(rows, columns=header, dtype=object)
    bad = _bad_shape_frame(shape, width)
    at = (np.asarray(numbers, dtype=np.int64), np.asarray(lines, dtype=np.int64))
    unreadable, df = _unreadable_rows(df, at, contract.id_column, encoding, limit)
    if len(unreadable):
        bad = pd.concat([bad, unreadable], ignore_index=True).sort_values("_row")
    return df, bad.reset_index(drop=True)


def _bad_shape_frame(shape: list[tuple[int, int, int]], width: int) -> pd.DataFrame:
    bad = pd.DataFrame(shape, columns=["_row", "_line", "_fields"])
    return pd.DataFrame(
        {
            "_row": bad["_row"],
            "_line": bad["_line"],
            "_column": None,
            "_reason": "has "
            + bad["_fields"].astype(str)
            + f" fields, the header has {width} [bad_shape]",
            "_kind": "bad_shape",
            "_source_id": None,
            "_raw": None,
        },
        columns=BAD_ROW_COLUMNS,
    )


_SURROGATE = "[\udc80-\udcff]"  # what surrogateescape makes of an undecodable byte


def _unreadable_rows(
    df: pd.DataFrame,
    at: tuple[np.ndarray, np.ndarray],
    id_column: str,
    encoding: str,
    limit: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows holding undecodable bytes or a value over ``limit`` characters, as bad rows
    (``at``: every row's number and physical line), and the frame without them."""
    if df.empty:
        return _no_bad_rows(), df
    reasons = pd.Series(None, index=df.index, dtype=object)
    columns = pd.Series(None, index=df.index, dtype=object)
    kinds = pd.Series(None, index=df.index, dtype=object)
    for i, name in enumerate(df.columns):
        col = df.iloc[:, i]
        lengths = col.str.len()
        long = (lengths > limit) & reasons.isna()
        if long.any():
            reasons[long] = (
                f"column {name!r}: a value of "
                + lengths[long].map("{:,}".format)
                + f" characters, over the limit of {limit:,} [field_too_large]"
            )
            columns[long], kinds[long] = name, "field_too_large"
        undecodable = col.str.contains(_SURROGATE, regex=True, na=False) & reasons.isna()
        if undecodable.any():
            reasons[undecodable] = (
                f"column {name!r}: bytes that are not valid {encoding} [bad_encoding]"
            )
            columns[undecodable], kinds[undecodable] = name, "bad_encoding"
    bad = reasons.notna().to_numpy()
    if not bad.any():
        return _no_bad_rows(), df
    rows = df.loc[bad].map(lambda v: _printable(v, limit)).reset_index(drop=True)
    ids = rows[id_column] if id_column in rows.columns else None
    out = pd.DataFrame(
        {
            "_row": at[0][bad],
            "_line": at[1][bad],
            "_column": columns[bad].to_numpy(),
            "_reason": reasons[bad].to_numpy(),
            "_kind": kinds[bad].to_numpy(),
            "_source_id": None if ids is None else ids.str.strip().to_numpy(),
            "_raw": rows_as_json(rows),
        },
        columns=BAD_ROW_COLUMNS,
    )
    return out, df.loc[~bad].reset_index(drop=True)


def _printable(value: str, limit: int) -> str:
    """A value as a reject keeps it: undecodable bytes as U+FFFD, a huge value cut."""
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text if len(text) <= limit else text[:200] + f"… ({len(text):,} characters)"


def read_csv_fast(contract: Contract) -> pa.Table | None:
    """The CSV as an Arrow table of strings, or None where only the csv module's
    reading is known to be right (see the module docstring)."""
    opts = contract.csv_options
    delimiter, quotechar = opts.get("delimiter", ","), opts.get("quotechar", '"')
    try:
        encoding = codecs.lookup(source_encoding(contract)).name
    except LookupError:
        return None  # the csv module path raises the error the user should see
    if encoding not in _UTF8 or not (_one_byte(delimiter) and _one_byte(quotechar)):
        return None
    try:
        with contract.file.open(encoding=encoding, newline="") as fh:
            header = next(csv.reader(fh, delimiter=delimiter, quotechar=quotechar), None)
    except (UnicodeDecodeError, csv.Error):
        return None
    if not header or len(set(header)) != len(header):
        return None
    try:
        table = pa_csv.read_csv(
            contract.file,
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, quote_char=quotechar, newlines_in_values=True
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowException:
        return None  # e.g. a row of the wrong width: its line number needs the csv module
    if table.column_names != header:
        return None
    limit = csv.field_size_limit()
    for col in table.columns:
        longest = pc.max(pc.utf8_length(col)).as_py()
        if longest is not None and longest > limit:
            return None
    return table


def _one_byte(char: str) -> bool:
    return len(char) == 1 and ord(char) < 128


def _read_parquet(contract: Contract) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A Parquet file as text, and its rows that cannot be read as data.

    String columns go through Arrow; a file with any other type is read by pandas (its
    types, restored from pandas' metadata, decide the text: ``1`` not ``1.0``, a
    timestamp as ``2024-01-02 03:04:05``). A binary column is text stored as bytes:
    decoded as UTF-8, a value that is not makes its row a ``bad_encoding`` reject. A
    nested value (list, struct, map) has no one text: in a column the contract maps it
    makes its row a ``nested_value`` reject; elsewhere it is kept as JSON (``raw``).
    """
    path = contract.file
    table = pq.read_table(path)
    check_source_types(contract, table.schema)
    meta = table.schema.pandas_metadata or {}
    index = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
    if index:  # a stored index is no column (as pandas reads it)
        table = table.drop_columns(index)
    names = table.column_names
    if len(set(names)) == len(names) and all(_is_text(t) for t in table.schema.types):
        return _text_frame(table), _no_bad_rows()
    df = pd.read_parquet(path)
    if index:
        df = df.reset_index(drop=True)
    df = df.astype(object).where(df.notna(), None)
    special = {}  # position -> Arrow column, for binary and nested columns
    for i, t in enumerate(table.schema.types):
        if pa.types.is_dictionary(t):
            t = t.value_type
        if is_binary(t) or is_nested(t):
            special[i] = table.column(i)
    for i in range(df.shape[1]):  # by position, as plain objects (a header may repeat)
        texts = [v if v is None or isinstance(v, str) else str(v) for v in df.iloc[:, i]]
        df.isetitem(i, pd.Series(texts, dtype=object))
    mapped = _mapped_columns(contract)
    nested: dict[int, np.ndarray] = {}
    for i, col in special.items():
        values = col.to_pylist()
        if is_nested(col.type.value_type if pa.types.is_dictionary(col.type) else col.type):
            df.isetitem(i, pd.Series([_json(v) for v in values], dtype=object))
            if names[i] in mapped:
                nested[i] = np.array([v is not None for v in values])
        else:  # undecodable bytes become surrogates: a bad_encoding row below
            df.isetitem(i, pd.Series([_decoded(v) for v in values], dtype=object))
    n, limit = len(df), csv.field_size_limit()
    at = (np.arange(1, n + 1, dtype=np.int64), np.full(n, np.nan))
    bad_nested = _nested_rows(df, at, nested, contract.id_column, limit)
    keep = np.ones(n, dtype=bool)
    for flags in nested.values():
        keep &= ~flags
    unreadable, rest = _unreadable_rows(
        df.loc[keep].reset_index(drop=True),
        (at[0][keep], at[1][keep]),
        contract.id_column,
        "utf-8",
        limit,
    )
    _strip(rest)  # as the csv module's rows are: once the unreadable ones are out
    bad = pd.concat([b for b in (bad_nested, unreadable) if len(b)] or [_no_bad_rows()])
    return rest, bad.sort_values("_row").reset_index(drop=True)


def _mapped_columns(contract: Contract) -> set[str]:
    """Every source column the contract reads into a field, an extra or the id."""
    out = {contract.id_column}
    for source in [*contract.fields.values(), *contract.extra.values()]:
        out |= {source} if isinstance(source, str) else set(source)
    return out


def _nested_rows(
    df: pd.DataFrame,
    at: tuple[np.ndarray, np.ndarray],
    nested: dict[int, np.ndarray],
    id_column: str,
    limit: int,
) -> pd.DataFrame:
    """Rows holding a nested value in a mapped column, as ``nested_value`` bad rows."""
    if not nested:
        return _no_bad_rows()
    column = pd.Series(None, index=df.index, dtype=object)
    for i, flags in sorted(nested.items(), reverse=True):  # the first column names it
        column[flags] = df.columns[i]
    bad = column.notna().to_numpy()
    rows = df.loc[bad].map(lambda v: v if v is None else _printable(v, limit))
    rows = rows.reset_index(drop=True)
    names = column[bad].to_numpy()
    ids = rows[id_column] if id_column in rows.columns else None
    return pd.DataFrame(
        {
            "_row": at[0][bad],
            "_line": at[1][bad],
            "_column": names,
            "_reason": [
                f"column {c!r}: a nested value (list, struct or map); a field takes one "
                "value [nested_value]"
                for c in names
            ],
            "_kind": "nested_value",
            "_source_id": None if ids is None else ids.to_numpy(),
            "_raw": rows_as_json(rows),
        },
        columns=BAD_ROW_COLUMNS,
    )


def _decoded(value: bytes | None) -> str | None:
    # b"Ann" -> "Ann"; b"\xff" -> "\udcff" (a surrogate: flagged as bad_encoding)
    return None if value is None else value.decode("utf-8", "surrogateescape")


def _json(value: object) -> str | None:
    # ["a", "b"] -> '["a", "b"]'; {"a": 1} -> '{"a": 1}'; a map's pairs as a list
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _json_default(value: object) -> object:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)  # dates, decimals, timestamps: their text


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _text_frame(table: pa.Table) -> pd.DataFrame:
    """A table of strings as object columns of stripped strings (None where missing or
    blank)."""
    columns = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        stripped = pc.utf8_trim(col, characters=_PY_WHITESPACE)
        blank = pc.equal(pc.utf8_length(stripped), 0)
        values = pc.if_else(blank, pa.scalar(None, stripped.type), stripped)
        columns[name] = values.to_numpy(zero_copy_only=False)
    return pd.DataFrame(columns, columns=table.column_names, dtype=object)


def _strip(df: pd.DataFrame) -> None:
    for i in range(df.shape[1]):  # by position: a header may repeat a name
        df.isetitem(i, _stripped(df.iloc[:, i]))


def _stripped(s: pd.Series) -> pd.Series:
    return s.where(s.isna(), s.astype(str).str.strip()).replace("", None)


def rows_as_json(df: pd.DataFrame) -> np.ndarray:
    """Each row as one JSON object of its columns in order (how a record keeps its
    source row): the text pandas' ``to_json(orient="records", lines=True,
    force_ascii=False)`` gives, "/" escaped as "\\/" included, built by DuckDB in a
    fifth of the time.

    DuckDB writes a control character's ``\\u00XX`` escape in upper case and pandas in
    lower case: the rare rows holding one are written by pandas itself.
    """
    if df.empty:
        return np.array([], dtype=object)
    # a connection of its own each call: a cached one would keep a DuckDB instance and its
    # threads alive in the process, and a worker forked later (normalizers, Spark's
    # gateway) crashed on them
    con = duckdb.connect(config=duckdb_config())
    try:
        con.execute("SET preserve_insertion_order = true")  # one JSON text per row, in order
        con.register("_rows", df)
        fields = ", ".join(f"{_ident(c)} := {_ident(c)}" for c in df.columns)
        out = con.sql(
            f"SELECT replace(to_json(struct_pack({fields}))::VARCHAR, '/', '\\/') AS j, "
            "contains(j, '\\u00') AS escaped FROM _rows"
        ).to_arrow_table()
    finally:
        con.close()
    texts = out.column("j").to_numpy(zero_copy_only=False)
    if len(texts) != len(df):
        raise AssertionError("rows_as_json: one JSON text per row")
    escaped = np.flatnonzero(out.column("escaped").to_numpy(zero_copy_only=False))
    if len(escaped):
        # pandas escapes every line break inside a value: records split on "\n" alone
        lines = df.iloc[escaped].to_json(orient="records", lines=True, force_ascii=False)
        texts[escaped] = lines.rstrip("\n").split("\n")
    return texts


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _no_bad_rows() -> pd.DataFrame:
    """No bad rows: an empty frame of ``BAD_ROW_COLUMNS``."""
    return pd.DataFrame(columns=BAD_ROW_COLUMNS)


__all__ = ["read_csv_fast", "read_csv_python", "read_source", "rows_as_json"]
