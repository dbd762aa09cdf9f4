"""Splink on Spark: the linker the batch job scores (and trains) with under
``--engine spark``.

The model's SQL is translated for Spark on load (:mod:`resolver.linkage.model_file`);
everything else — blocking, the prior, term frequencies, the veto, the pairs kept —
is the engine-neutral code of :mod:`resolver.linkage.predict` and
:mod:`resolver.linkage.model`, so both engines give the same pairs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa
from pyspark.sql import SparkSession
from splink import Linker, SparkAPI

from resolver.linkage.model import LinkWork
from resolver.linkage.model_file import for_engine

_SPLINK_LOG = logging.ERROR


def spark_work(
    spark: SparkSession,
) -> Callable[[pa.Table | pd.DataFrame, dict[str, Any]], LinkWork]:
    """A ``work`` for :func:`resolver.linkage.predict.score_pairs` and
    :func:`resolver.linkage.model.train_model` on ``spark``."""

    def open_work(table: pa.Table | pd.DataFrame, settings: dict[str, Any]) -> LinkWork:
        db_api = SparkAPI(
            spark_session=spark,
            # Splink's default writes each step to Parquet under the checkpoint
            # directory (what a cluster needs); RESOLVER_SPARK_LINEAGE=persist keeps
            # them in memory, quicker on one machine
            break_lineage_method=os.environ.get("RESOLVER_SPARK_LINEAGE", "parquet"),
            num_partitions_on_repartition=int(spark.conf.get("spark.sql.shuffle.partitions")),
        )
        frame = spark.createDataFrame(
            table
            if isinstance(table, pa.Table)
            else pa.Table.from_pandas(table, preserve_index=False)
        )
        sdf = db_api.register(frame, table_name="link_input")
        linker = Linker(
            sdf, for_engine(settings, "spark"), log_level=_SPLINK_LOG, validate_settings=True
        )

        def close() -> None:
            for view in spark.catalog.listTables():
                if view.isTemporary:
                    spark.catalog.dropTempView(view.name)

        return LinkWork("spark", linker, sdf, lambda sql: spark.sql(sql).toArrow(), close)

    return open_work
