"""Read any contract's source: one file, a glob of files, an Excel sheet, a database.

:func:`read_any` gives every source the same shape — the rows as text, each with
``_row`` (its position in the whole source), ``_file`` (the file, sheet or table it
came from) and ``_file_row`` (its data row in that file; for a table, its position
in key order) — beside the rows that cannot be read as data, so ingest locates every
row it loads or rejects. :func:`check_source` validates a source before anything is
loaded (files exist and hold the mapped columns; a database answers and has them).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from resolver.errors import Problem, ResolverError
from resolver.ingest import database as _db
from resolver.ingest.canonical import FIELDS
from resolver.ingest.contracts import check_one_file, missing_columns
from resolver.ingest.excel import read_sheet
from resolver.ingest.source_files import BAD_ROW_COLUMNS, _text_frame, read_source
from resolver.ingest.source_types import check_source_types

if TYPE_CHECKING:
    from resolver.ingest.contracts import Contract

# the columns read_any adds to the source's own
LOCATION_COLUMNS = ("_row", "_file", "_file_row")


@dataclass
class SourceRead:
    """A source read: its rows, its unreadable rows (``BAD_ROW_COLUMNS`` + ``_file``,
    ``_file_row``), a sha256 of what was read, and whether rows are located by key."""

    rows: pd.DataFrame
    bad: pd.DataFrame
    sha256: str
    by_key: bool = False  # a table's rows are located by their key, a file's by row


def source_files(contract: Contract) -> list[Path]:
    """The files a file source reads: the one file, or a glob's matches in name order."""
    if contract.file is None:
        return []
    if not contract.is_glob:
        return [contract.file]
    return sorted(p for p in contract.file.parent.glob(contract.file.name) if p.is_file())


def read_any(contract: Contract) -> SourceRead:
    """Read a contract's source (see the module docstring)."""
    if contract.database is not None:
        return _read_database(contract)
    parts, bads, hashes = [], [], []
    offset = 0
    for path in source_files(contract):
        one = replace(contract, file=path)
        df, bad = _read_file(one)
        df.insert(1, "_file", one.location)
        df.insert(2, "_file_row", df["_row"].to_numpy())
        bad = bad.assign(_file=one.location, _file_row=bad["_row"].to_numpy())
        n = len(df) + len(bad)
        df["_row"] = df["_row"].to_numpy() + offset
        bad["_row"] = bad["_row"].to_numpy() + offset
        offset += n
        parts.append(df)
        bads.append(bad)
        hashes.append(f"{path.name}:{_sha256(path)}")
    if not parts:
        raise ResolverError(f"{contract.path}: {contract.file} matches no file")
    rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    bad = pd.concat(bads, ignore_index=True) if len(bads) > 1 else bads[0]
    if len(parts) > 1:  # a column only some files have is missing in the others' rows
        own = [c for c in rows.columns if c not in LOCATION_COLUMNS]
        rows[own] = rows[own].astype(object).where(rows[own].notna(), None)
    sha = hashes[0].split(":", 1)[1] if len(hashes) == 1 else _sha_text("\n".join(hashes))
    return SourceRead(rows=rows, bad=bad.reset_index(drop=True), sha256=sha)


def _read_file(contract: Contract) -> tuple[pd.DataFrame, pd.DataFrame]:

    if not contract.is_excel:
        return read_source(contract)
    df, bad = read_sheet(contract.file, contract.sheet or "", date_formats=_date_formats(contract))
    bad_frame = pd.DataFrame(
        {
            "_row": [b[0] for b in bad],
            "_line": [b[1] for b in bad],
            "_column": None,
            "_reason": [b[2] for b in bad],
            "_kind": "bad_shape",
            "_source_id": None,
            "_raw": None,
        },
        columns=BAD_ROW_COLUMNS,
    )
    return df, bad_frame


def _read_database(contract: Contract) -> SourceRead:

    table = _db.read_table(contract.database, contract.id_column)
    check_source_types(contract, table.schema)
    sha = _db.table_fingerprint(table)
    df = _text_frame(_db.text_columns(table, _date_formats(contract)))
    df.insert(0, "_row", np.arange(1, len(df) + 1, dtype=np.int64))
    df.insert(1, "_file", contract.location)
    df.insert(2, "_file_row", df["_row"].to_numpy())
    bad = pd.DataFrame(columns=[*BAD_ROW_COLUMNS, "_file", "_file_row"])
    return SourceRead(rows=df, bad=bad, sha256=sha, by_key=True)


def _date_formats(contract: Contract) -> dict[str, str]:
    """Source column -> the strftime format its date values are written in: the one
    the contract declares for the date field it maps to (ISO: none)."""

    out = {}
    for name, kind in FIELDS[contract.object].items():
        mapped = contract.fields.get(name)
        if kind != "date" or not isinstance(mapped, str):
            continue
        fmt = contract.date_format(name)
        if fmt.lower() not in ("iso", "auto", ""):
            out[mapped] = fmt
    return out


def check_source(contract: Contract, problems: list[Problem]) -> None:
    """Validate a glob, Excel or database source before anything is loaded: the
    files exist (a glob matches some), each has the mapped columns; a database
    answers with the credentials its environment variable holds and has the table
    and columns. Every problem is appended, naming the contract."""

    where = str(contract.path)
    if contract.database is not None:
        try:
            header = _db.read_table(contract.database, contract.id_column, empty=True).column_names
        except ResolverError as exc:
            problems.append(Problem(where, "database", str(exc)))
            return
        _check_columns(contract, header, contract.location, problems)
        return
    files = source_files(contract)
    if not files:
        what = "matches no file" if contract.is_glob else "does not exist"
        problems.append(Problem(where, "file", f"{contract.file} {what}"))
        return
    for path in files:
        one = replace(contract, file=path)
        if not one.is_excel:
            check_one_file(one, problems)
            continue
        try:
            df, _ = read_sheet(path, contract.sheet or "", header_only=True)
        except ResolverError as exc:
            key = "sheet" if "no sheet" in str(exc) else "file"
            problems.append(Problem(where, key, str(exc)))
            continue
        if not len(df.columns):
            problems.append(Problem(where, "sheet", f"{one.location} is empty (not even a header)"))
            continue
        _check_columns(one, list(df.columns), one.location, problems)


def _check_columns(
    contract: Contract, header: list[str], location: str, problems: list[Problem]
) -> None:
    problems += missing_columns(contract, header, location)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sha_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


__all__ = ["LOCATION_COLUMNS", "SourceRead", "check_source", "read_any", "source_files"]
