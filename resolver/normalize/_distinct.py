"""The one over-distinct helper every normalizer's column form uses.

A column is factorized, the scalar normalizer runs once per distinct value and
the results are taken back by the codes, so cost grows with distinct values,
not rows (phonenumbers and address parsing cost tens of microseconds a call).
"""

from __future__ import annotations

import concurrent.futures
import itertools
import math
import multiprocessing
import os
import sys
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd


def is_missing(value: object) -> bool:
    """True for None, NaN/NA, and strings that are empty or only whitespace."""
    if type(value) is str:  # the common case first
        return not value.strip()
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_text(value: object) -> str | None:
    """The value as a stripped string, or None when missing."""
    if type(value) is str:  # the common case, without the checks below
        return value.strip() or None
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        # a CSV reader turned 62704 into 62704.0
        return str(int(value))
    return str(value).strip()


def fold_accents(text: str) -> str:
    """Fold accents and compatibility forms: 'José' -> 'Jose', 'ﬁ' -> 'fi'."""
    if text.isascii():
        return text  # NFKD changes nothing in ASCII; most values take this exit
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fixpoint(fn: Callable[[str], str], text: str, limit: int = 5) -> str:
    """Apply ``fn`` until the text stops changing, so the result is idempotent."""
    for _ in range(limit):
        nxt = fn(text)
        if nxt == text:
            return nxt
        text = nxt
    return text


# below this many distinct values a kind is mapped in-process: shipping values and
# results to the workers (started once per pool) costs more than it saves
MIN_PARALLEL = 50_000
_CHUNKS_PER_WORKER = 4


def resolve_workers(workers: int | None = None) -> int:
    """Worker processes to use: ``workers``, else ``$RESOLVER_WORKERS``, else the CPU count.

    ``1`` (or less) means everything runs in the calling process.
    """
    if workers is None:
        env = os.environ.get("RESOLVER_WORKERS", "").strip()
        if env:
            try:
                workers = int(env)
            except ValueError:
                workers = 1
        else:
            workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return max(1, min(int(workers), os.cpu_count() or 1))


def _map_chunk(
    fn: Callable[[Any], tuple[Any, ...]], chunk: Sequence[Any], n_cols: int
) -> list[tuple[Any, ...]]:
    """``fn`` over ``chunk``, returned column by column (one tuple per result column):
    fewer, larger objects to pickle back from a worker than one tuple per value."""
    if not chunk:
        return [()] * n_cols
    return list(zip(*[fn(v) for v in chunk], strict=True))


class WorkerPool:
    """A lazily started process pool for mapping distinct values; a context manager.

    Workers are forked (Linux only): they start without re-importing anything,
    share the caller's memory copy-on-write, and never run the caller's
    ``__main__`` again (which 'spawn'/'forkserver' would). Where fork is not the
    safe default (macOS, Windows) the pool stays serial. ``workers <= 1`` never
    starts a process.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = resolve_workers(workers) if sys.platform.startswith("linux") else 1
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None

    @property
    def parallel(self) -> bool:
        return self.workers > 1

    def executor(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._executor is None:
            self._executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("fork")
            )
        return self._executor

    def submit_map(
        self, fn: Callable[[Any], tuple[Any, ...]], values: Sequence[Any], n_cols: int
    ) -> Callable[[], list[np.ndarray]]:
        """Start mapping ``fn`` (value -> ``n_cols``-tuple) over ``values``; returns a
        callable giving the results in order, as one object array per result column.

        ``fn`` must pickle (a module-level function or a ``functools.partial`` of one).
        Runs in-process when the pool is serial or the values are few.
        """
        if not self.parallel or len(values) < MIN_PARALLEL:
            return lambda: _columns([_map_chunk(fn, values, n_cols)], len(values), n_cols)
        values = list(values)
        n_chunks = self.workers * _CHUNKS_PER_WORKER
        size = -(-len(values) // n_chunks)
        futures = [
            self.executor().submit(_map_chunk, fn, values[i : i + size], n_cols)
            for i in range(0, len(values), size)
        ]
        return lambda: _columns([f.result() for f in futures], len(values), n_cols)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SERIAL = WorkerPool(1)


class Distinct:
    """A column factorized once: its codes (missing -> the last slot) and distinct values."""

    def __init__(self, series: pd.Series | Sequence[Any], index: pd.Index | None = None) -> None:
        if not isinstance(series, pd.Series):
            series = pd.Series(list(series), dtype=object)
        self.index = series.index if index is None else index
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        self.values = list(uniques)
        self.codes = np.where(codes < 0, len(self.values), codes)


def _columns(chunks: list[list[tuple[Any, ...]]], total: int, n_cols: int) -> list[np.ndarray]:
    """Column-wise chunks -> one object array per column, with a spare last slot (None)."""
    out = []
    for j in range(n_cols):
        col = np.empty(total + 1, dtype=object)
        col[:total] = list(itertools.chain.from_iterable(chunk[j] for chunk in chunks))
        out.append(col)
    return out


def _table_frame(
    tables: list[np.ndarray], columns: Sequence[str], codes: np.ndarray, index: pd.Index
) -> pd.DataFrame:
    data = {name: table[codes] for name, table in zip(columns, tables, strict=True)}
    return pd.DataFrame(data, index=index, dtype=object, copy=False)


def over_distinct(
    series: pd.Series | Sequence[Any],
    fn: Callable[[Any], tuple[Any, ...]],
    columns: Sequence[str],
    *,
    index: pd.Index | None = None,
    pool: WorkerPool | None = None,
) -> pd.DataFrame:
    """Apply ``fn`` (value -> tuple, one item per column) once per distinct value.

    Missing values (None/NaN) get ``fn(None)``. The result is an object-dtype
    frame on the series' index (or ``index``), one column per name in ``columns``.
    With a parallel ``pool`` (and ``fn`` picklable) many distinct values are
    spread over its worker processes; the result is the same.
    """
    return over_distinct_later(series, fn, columns, index=index, pool=pool)()


def row_mask(series: pd.Series, test: Callable[[Any], bool]) -> np.ndarray:
    """``test`` of each value, row by row, as a boolean mask. For a test as cheap as
    hashing a value (``is_missing``, a regular expression search) this costs less than
    factorizing the column to run it over distinct values."""
    values = series.to_numpy(dtype=object)
    return np.fromiter(map(test, values), dtype=bool, count=len(values))


def present(series: pd.Series) -> np.ndarray:
    """Boolean mask of the values that are not missing (``is_missing``)."""
    return ~row_mask(series, is_missing)


def over_distinct_later(
    series: pd.Series | Sequence[Any],
    fn: Callable[[Any], tuple[Any, ...]],
    columns: Sequence[str],
    *,
    index: pd.Index | None = None,
    pool: WorkerPool | None = None,
) -> Callable[[], pd.DataFrame]:
    """``over_distinct`` started now (on a parallel pool), finished by the returned call.

    The caller can do other work in this process while the workers map the values.
    """
    dist = Distinct(series, index)
    pending = (pool or _SERIAL).submit_map(fn, dist.values, len(columns))

    def finish() -> pd.DataFrame:
        tables = pending()
        for table, value in zip(tables, fn(None), strict=True):
            table[-1] = value  # code -1 (missing) takes the last slot
        return _table_frame(tables, columns, dist.codes, dist.index)

    return finish


def over_distinct_rows(
    columns_in: Sequence[pd.Series],
    fn: Callable[[tuple[Any, ...]], tuple[Any, ...]],
    columns: Sequence[str],
    *,
    pool: WorkerPool | None = None,
) -> pd.DataFrame:
    """Apply ``fn`` once per distinct combination of values across ``columns_in``.

    ``fn`` gets a tuple with one value per input column (missing values as None).
    The series share one index, which the result (object dtype) takes. Each column
    is factorized on its own and the codes combined, which is much cheaper than
    hashing a tuple per row.
    """
    index = columns_in[0].index
    n = len(index)
    key = np.zeros(n, dtype=np.int64)
    span = 1  # key < span
    parts = []
    for series in columns_in:
        dist = Distinct(series)
        width = len(dist.values) + 1
        if span * width >= 2**62:  # renumber the combinations so far before they overflow
            key, seen = pd.factorize(key)
            span = len(seen)
        key = key * width + dist.codes
        span *= width
        parts.append((dist.values, dist.codes))
    codes, uniques = pd.factorize(key)
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)  # first row of each combination
    cols = []
    for values, part_codes in parts:
        table = np.empty(len(values) + 1, dtype=object)
        table[:-1] = values
        table[-1] = None
        cols.append(table[part_codes[first]])
    keys = list(zip(*cols, strict=True)) if cols else []
    tables = (pool or _SERIAL).submit_map(fn, keys, len(columns))()
    return _table_frame(tables, columns, codes, index)
