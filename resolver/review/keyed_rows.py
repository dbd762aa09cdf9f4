"""Rows of one store table held in memory (Arrow columns) and found by a key.

A reviewer opening a proposal needs a handful of records and one golden record
out of millions; DuckDB answers such point reads in milliseconds, a dictionary
from key to row in microseconds. The columns stay in Arrow's compact buffers.
"""

from __future__ import annotations

from typing import Any

import duckdb


class KeyedRows:
    """``SELECT columns FROM table`` in memory, one row per key (``columns=None``: all)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, table: str, key: str, columns: list[str] | None
    ) -> None:
        cols = "*" if columns is None else ", ".join(dict.fromkeys([key, *columns]))
        t = con.sql(f"SELECT {cols} FROM {table}").to_arrow_table()
        self.key = key
        self.names = list(t.column_names)
        self._columns = [t.column(c).combine_chunks() for c in self.names]
        keys = t.column(key).to_pylist()
        self._row = dict(zip(keys, range(len(keys)), strict=True))

    def __len__(self) -> int:
        return len(self._row)

    def get(self, key: str) -> dict[str, Any] | None:
        """The row with this key (dates as text), or None."""
        i = self._row.get(key)
        if i is None:
            return None
        return {n: _plain(c[i].as_py()) for n, c in zip(self.names, self._columns, strict=True)}

    def many(self, keys: list[str]) -> list[dict[str, Any]]:
        """The rows with these keys that exist, in key order."""
        return [r for r in (self.get(k) for k in sorted(set(keys))) if r is not None]


def _plain(v: Any) -> Any:
    return str(v) if hasattr(v, "isoformat") else v
