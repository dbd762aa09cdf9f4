"""Rows of one store table held in memory (Arrow columns) and found by a key.

A reviewer opening a proposal needs a handful of records and one golden record
out of millions; DuckDB answers such point reads in milliseconds, a binary search
down the sorted key column in microseconds. The columns stay in Arrow's compact
buffers (memory-mapped from the view's files on a server).
"""

from __future__ import annotations

import bisect
from typing import Any

import pyarrow as pa


class Strings:
    """A string column read by position as Python ``str`` (nothing copied ahead)."""

    def __init__(self, column: pa.ChunkedArray) -> None:
        self._column = column

    def __len__(self) -> int:
        return len(self._column)

    def __getitem__(self, i: int) -> str:
        return self._column[i].as_py()


class Positions:
    """Position of a key in a column sorted by it (binary search: no dictionary of
    a million keys in each process)."""

    def __init__(self, keys: Strings) -> None:
        self._keys = keys

    def get(self, key: str) -> int | None:
        i = bisect.bisect_left(self._keys, key)
        return i if i < len(self._keys) and self._keys[i] == key else None

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None


class KeyedRows:
    """The rows of ``table`` (sorted by ``key``, one row per key), found by key."""

    def __init__(self, table: pa.Table, key: str) -> None:
        self.key = key
        self.names = list(table.column_names)
        self._columns = [table.column(c) for c in self.names]
        self._keys = Strings(table.column(key))
        self._row = Positions(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

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
