"""The matcher's candidate index as files, memory-mapped: every server process of a
store shares one copy through the OS page cache instead of holding its own.

Per object, a folder of uncompressed Arrow IPC files:

- ``records.arrow``: one row per resolved record, in record-key order: keys, entity,
  the model's columns and ``tf_<column>`` (the term frequency of the record's value);
- ``blocks.arrow``: one batch per blocking rule, rule order: ``hash`` (the key of the
  rule's columns, :func:`resolver.store.match_index.block_key_sql`, sorted) and ``row``
  (the record holding it);
- ``packed.arrow``: the columns the scorer reads of each record (in ``records.arrow``'s
  order) packed as one string per record (:func:`~resolver.linkage.realtime.pack_rows`,
  null where a value cannot be packed), handed to the scorer as they are;
- ``tf_<i>.arrow``: the ``i``-th term-frequency column's lookup, sorted by value.

The folder lives in the store file's review view folder
(:mod:`resolver.review.view_file`: ``<store>.review/<key>/``, a fresh key per
published file, removed with its view), named by the object and a fingerprint of
what it was built from (model, blocking rules, columns, their types), so a server
started with other models builds its own. The first server process to need it builds
it (under a lock: the others wait, then map the same files); a store without a view
folder, or one that cannot be written, gets a private folder that is removed once
mapped (the mapping stays readable), so every process reads the index one way.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import hashlib
import itertools
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from resolver.linkage.realtime import pack_rows
from resolver.review.view_file import view_key, view_root
from resolver.store import match_index as store_index
from resolver.store.decisions import store_path

log = logging.getLogger("resolver.matching")

FORMAT = 2  # bump when the files' layout changes: older folders are then not read
RECORDS, BLOCKS, PACKED = "records.arrow", "blocks.arrow", "packed.arrow"
_BLOCK_SCHEMA = pa.schema([("hash", pa.uint64()), ("row", pa.int64())])
_PACKED_SCHEMA = pa.schema([("packed", pa.string())])


class TermFrequencies(Mapping):
    """A term-frequency lookup (value -> frequency) over sorted, mapped arrays: a
    binary search per lookup, nothing copied into the process."""

    def __init__(self, values: pa.Array | pa.ChunkedArray, tf: np.ndarray) -> None:
        self._values = values
        self._tf = tf

    def _position(self, value: Any) -> int | None:
        if value is None:
            return None
        vals = self._values

        class _Sorted:  # the sorted values as a sequence bisect can search
            def __len__(self) -> int:
                return len(vals)

            def __getitem__(self, i: int) -> Any:
                return vals[i].as_py()

        try:
            i = bisect.bisect_left(_Sorted(), value)
            found = i < len(vals) and vals[i].as_py() == value
        except TypeError:  # a value of another type than the column's: not held
            return None
        return i if found else None

    def get(self, value: Any, default: Any = None) -> Any:
        i = self._position(value)
        return default if i is None else float(self._tf[i])

    def __getitem__(self, value: Any) -> float:
        i = self._position(value)
        if i is None:
            raise KeyError(value)
        return float(self._tf[i])

    def __contains__(self, value: object) -> bool:
        return self._position(value) is not None

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return (v.as_py() for v in self._values)


def fingerprint(obj: str, parts: Any) -> str:
    """A name for the files of ``obj`` built from ``parts`` (anything JSON can write)."""
    text = json.dumps([FORMAT, obj, parts], sort_keys=True, default=str)
    return f"match-{obj}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def write_index(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    columns: Sequence[str],
    blocking: Sequence[Sequence[str]],
    lookups: Mapping[str, pa.Table],
    folder: Path,
    *,
    packed_columns: Sequence[str],
) -> None:
    """Write the index files of ``obj`` into ``folder`` (which exists). ``lookups``:
    per term-frequency column, a table of ``value`` and ``tf``; ``packed_columns``:
    the columns (of the records file) the scorer reads, packed per record."""
    block_cols = [f"_block_{i}" for i in range(len(blocking))]
    chunks: list[list[pa.Array]] = [[] for _ in blocking]
    cur = con.cursor()
    try:
        reader = store_index.resolved_records(cur, obj, columns, blocking, lookups)
        schema = reader.schema
        for name in block_cols:
            schema = schema.remove(schema.get_field_index(name))
        with pa.OSFile(str(folder / RECORDS), "wb") as sink, pa.ipc.new_file(sink, schema) as out:
            for batch in reader:
                for i, name in enumerate(block_cols):
                    chunks[i].append(batch.column(name))
                out.write_batch(batch.select(schema.names))
    finally:
        cur.close()
    records = pa.ipc.open_file(pa.memory_map(str(folder / RECORDS)))
    with (
        pa.OSFile(str(folder / PACKED), "wb") as sink,
        pa.ipc.new_file(sink, _PACKED_SCHEMA) as out,
    ):
        for i in range(records.num_record_batches):
            batch = pa.Table.from_batches([records.get_batch(i).select(packed_columns)])
            out.write_batch(pa.record_batch([pack_rows(batch)], schema=_PACKED_SCHEMA))
    with (
        pa.OSFile(str(folder / BLOCKS), "wb") as sink,
        pa.ipc.new_file(sink, _BLOCK_SCHEMA) as out,
    ):
        for i in range(len(blocking)):
            column = pa.chunked_array(chunks[i], type=pa.uint64())
            chunks[i] = []
            keys, rows = block_keys(column)
            order = np.argsort(keys, kind="stable")
            out.write_batch(pa.record_batch([keys[order], rows[order]], schema=_BLOCK_SCHEMA))
    for i, lookup in enumerate(lookups.values()):
        lookup = lookup.select(["value", "tf"]).take(
            pc.sort_indices(lookup, [("value", "ascending")])
        )
        path = folder / f"tf_{i}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, lookup.schema) as out:
            out.write_table(lookup.combine_chunks())


def open_index(
    folder: Path, tf_columns: Sequence[str]
) -> tuple[pa.Table, pa.Table, list[tuple[np.ndarray, np.ndarray]], dict[str, TermFrequencies]]:
    """The index files of ``folder``, memory-mapped: the records, their packed rows,
    each blocking rule's (sorted hashes, rows) and the term-frequency lookups by
    column."""
    data = _mapped(folder / RECORDS)
    packed = _mapped(folder / PACKED)
    reader = pa.ipc.open_file(pa.memory_map(str(folder / BLOCKS)))
    blocks = []
    for i in range(reader.num_record_batches):
        batch = reader.get_batch(i)
        blocks.append((batch.column(0).to_numpy(), batch.column(1).to_numpy()))
    tf = {}
    for i, col in enumerate(tf_columns):
        lookup = _mapped(folder / f"tf_{i}.arrow")  # one batch (or none: no values)
        values, freq = lookup.column("value"), lookup.column("tf")
        tf[col] = TermFrequencies(
            values.chunk(0) if values.num_chunks == 1 else values.combine_chunks(),
            freq.chunk(0).to_numpy() if freq.num_chunks == 1 else np.empty(0),
        )
    return data, packed, blocks, tf


def _mapped(path: Path) -> pa.Table:
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all()


def index_files(
    con: duckdb.DuckDBPyConnection, name: str, build: Callable[[Path], None]
) -> tuple[Path, Callable[[], None]]:
    """The folder of index files ``name`` of the store file ``con`` has open, built by
    ``build(folder)`` unless another process has built it already; and what to call
    once the files are mapped (removes a private folder)."""
    root = _view_folder(con)
    if root is not None:
        try:
            return _shared(root, name, build), lambda: None
        except OSError as exc:  # read-only folder, full disk: the process's own copy
            log.warning(
                "match index not written beside the store (%s); building a private one", exc
            )
    private = Path(tempfile.mkdtemp(prefix="resolver-match-"))
    build(private)
    return private, lambda: shutil.rmtree(private, ignore_errors=True)


def _view_folder(con: duckdb.DuckDBPyConnection) -> Path | None:
    key = view_key(con)
    if key is None:
        return None
    try:
        folder = view_root(store_path(con)) / key
    except ValueError:  # not a store file (in memory)
        return None
    return folder if folder.is_dir() else None


def _shared(root: Path, name: str, build: Callable[[Path], None]) -> Path:
    final = root / name
    with _locked(root / "match.lock"):
        if final.is_dir():
            return final
        work = root / f"{name}.building-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        try:
            build(work)
            for p in work.iterdir():
                _fsync(p)
            os.replace(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return final


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def block_keys(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The non-null 64-bit hashes of one blocking column and the rows holding them.

    Stays in Arrow until the nulls are gone: converting a hash column with nulls to
    NumPy (or pandas) gives float64, whose 53-bit mantissa rounds most hashes to a
    neighbouring value, and the record could then never be found by that key.
    """
    if not pa.types.is_uint64(column.type):
        raise TypeError(f"a blocking hash must be UBIGINT, not {column.type}")
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(valid).astype(np.int64)
    keys = column.drop_null().to_numpy(zero_copy_only=False)
    if keys.dtype != np.uint64:  # pragma: no cover - Arrow's uint64 without nulls is uint64
        raise TypeError(f"blocking hashes converted to {keys.dtype}")
    return keys, rows


def take_rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """``table``'s rows at positions ``rows``, in that order, reading only their
    batches (Arrow's own ``take`` on a table of many batches first joins each column
    into one: the whole mapped file, copied, per call)."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size and (rows.min() < 0 or rows.max() >= table.num_rows):
        raise IndexError(f"rows outside 0..{table.num_rows - 1}")
    batches = table.to_batches()
    if len(batches) <= 1:
        return table.take(pa.array(rows, type=pa.int64()))
    starts = np.cumsum([0] + [b.num_rows for b in batches])
    order = np.argsort(rows, kind="stable")
    ranked = rows[order]
    which = np.searchsorted(starts, ranked, side="right") - 1
    bounds = np.searchsorted(which, np.arange(len(batches) + 1))
    parts = [
        batches[b].take(pa.array(ranked[lo:hi] - starts[b], type=pa.int64()))
        for b, (lo, hi) in enumerate(itertools.pairwise(bounds))
        if hi > lo
    ]
    out = pa.Table.from_batches(parts, schema=table.schema).combine_chunks()
    if not np.all(order[:-1] < order[1:]):  # rows were not ascending: put them back
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        out = out.take(pa.array(back, type=pa.int64()))
    return out
