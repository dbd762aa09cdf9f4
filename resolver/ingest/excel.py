"""One sheet of an Excel workbook (.xlsx), read as text the way a CSV is.

Read with openpyxl in read-only mode (values, not formulas: a formula cell gives the
value Excel last saved). The first row is the header; a row whose cells are all
empty is no row, as a blank line in a CSV. Every value becomes a stripped string or
None: an integer as its digits, a whole float (Excel keeps every number as one)
without ``.0``, a date or date-time in the date format the contract declares for
the field the column maps to (ISO elsewhere), so the date parser reads it as it
would the same column exported to CSV.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from resolver.errors import ResolverError


def sheet_names(path: Path) -> list[str]:

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def read_sheet(
    path: Path, sheet: str, *, date_formats: dict[str, str] | None = None, header_only: bool = False
) -> tuple[pd.DataFrame, list[tuple[int, int, str]]]:
    """The sheet as a frame of text with ``_row`` (1-based data row; see the module
    docstring), and the rows holding a value right of the header's last column as
    (data row, sheet row, reason): they are no data, as a CSV row of the wrong width.
    Only the header (an empty frame) with ``header_only``."""

    date_formats = date_formats or {}
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ResolverError(f"{path}: not a readable .xlsx workbook: {exc}") from None
    try:
        if sheet not in wb.sheetnames:
            raise ResolverError(
                f"{path}: no sheet {sheet!r}; its sheets: {', '.join(wb.sheetnames)}"
            )
        rows = wb[sheet].iter_rows(values_only=True)
        header = _header(next(rows, None) or ())
        if header_only:
            return pd.DataFrame(columns=header, dtype=object), []
        width = len(header)
        formats = [date_formats.get(name) for name in header]
        data, numbers, bad = [], [], []
        n = 0
        for sheet_row, row in enumerate(rows, start=2):
            cells = [_text(v, f) for v, f in zip(row[:width], formats, strict=False)]
            cells += [None] * (width - len(cells))
            beyond = [i for i, v in enumerate(row[width:], start=width + 1) if _text(v, None)]
            if not beyond and all(c is None for c in cells):
                continue  # an empty row is no row
            n += 1
            if beyond:
                bad.append(
                    (
                        n,
                        sheet_row,
                        f"a value in column {beyond[0]}, right of the header's "
                        f"{width} columns [bad_shape]",
                    )
                )
                continue
            data.append(cells)
            numbers.append(n)
        df = pd.DataFrame(data, columns=header, dtype=object)
        df.insert(0, "_row", pd.array(numbers, dtype="int64"))
        return df, bad
    finally:
        wb.close()


def _header(cells: tuple[Any, ...]) -> list[str]:
    names = ["" if c is None else str(c).strip() for c in cells]
    while names and not names[-1]:
        names.pop()
    return names


def _text(value: Any, fmt: str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if fmt:
            return value.strftime(fmt)
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.strftime(fmt) if fmt else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None
