"""Writing a fix list: CSV, Parquet or XLSX, chosen by the output's extension."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from resolver.errors import ResolverError

SUFFIXES = (".csv", ".parquet", ".xlsx")


def write_table(df: pd.DataFrame, out: Path, *, sheet: str = "fixes") -> None:
    """Write ``df`` (every value text or empty) to ``out`` by its extension."""
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise ResolverError(f"{out}: the output must end in {', '.join(SUFFIXES)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    text = df.astype(object).where(df.notna(), None)
    if suffix == ".csv":
        text.to_csv(out, index=False)
    elif suffix == ".parquet":
        text.astype("string").to_parquet(out, index=False)
    else:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = sheet[:31]
        ws.append([str(c) for c in text.columns])
        for row in text.itertuples(index=False, name=None):
            ws.append(list(row))
        wb.save(out)
