"""Normalization on Spark's executors: the costly normalizers (names, emails, phones,
addresses) mapped over distinct values in Arrow batches (``mapInPandas``).

:class:`SparkPool` takes the place of the local worker processes of
:mod:`resolver.normalize._distinct`: the same normalizer over the same distinct
values, so the same normalized columns. Values and results travel pickled, so any
value a normalizer takes (text, numbers, dates, tuples of them) goes through.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import SparkSession

from resolver.normalize._distinct import WorkerPool, _columns

# fewer distinct values than this are mapped in the driver: a Spark job costs a second
# or more whatever its size, more than the driver takes to map them
MIN_SPARK_VALUES = 10_000


class SparkPool(WorkerPool):
    """A :class:`~resolver.normalize._distinct.WorkerPool` whose workers are Spark's."""

    def __init__(self, spark: SparkSession, *, min_values: int = MIN_SPARK_VALUES) -> None:
        super().__init__(1)
        self.spark = spark
        self.min_values = min_values

    @property
    def parallel(self) -> bool:
        return True

    def submit_map(
        self, fn: Callable[[Any], tuple[Any, ...]], values: Sequence[Any], n_cols: int
    ) -> Callable[[], list[np.ndarray]]:
        if len(values) < max(self.min_values, 1):
            return super().submit_map(fn, values, n_cols)
        frame = pd.DataFrame(
            {
                "pos": np.arange(len(values), dtype=np.int64),
                "v": [pickle.dumps(v, protocol=5) for v in values],
            }
        )
        parts = max(1, int(self.spark.conf.get("spark.sql.shuffle.partitions")))
        mapped = (
            self.spark.createDataFrame(frame)
            .repartition(parts)
            .mapInPandas(_mapper(fn), schema="pos long, out binary")
            .toPandas()
            .sort_values("pos")
        )
        results = [pickle.loads(b) for b in mapped["out"]]
        chunk = list(zip(*results, strict=True)) if results else [()] * n_cols
        return lambda: _columns([chunk], len(values), n_cols)


def _mapper(
    fn: Callable[[Any], tuple[Any, ...]],
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            out = [pickle.dumps(tuple(fn(pickle.loads(v))), protocol=5) for v in batch["v"]]
            yield pd.DataFrame({"pos": batch["pos"].to_numpy(), "out": out})

    return run
