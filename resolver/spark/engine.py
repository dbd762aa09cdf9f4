"""The Spark engine assembled: its linker, its clustering and its normalizer pool on
one session."""

from __future__ import annotations

from typing import Any

from pyspark.sql import SparkSession

from resolver.engine import Engine
from resolver.spark.clustering import spark_constrained_clusters
from resolver.spark.linkage import spark_work
from resolver.spark.normalize import SparkPool
from resolver.spark.session import spark_session


def spark_engine(session: SparkSession | None = None) -> Engine:
    """The engine on ``session``, or on a new local session."""
    spark = session or spark_session()

    def cluster(n: int, **kwargs: Any) -> Any:
        return spark_constrained_clusters(spark, n, **kwargs)

    return Engine(
        "spark", work=spark_work(spark), cluster=cluster, session=spark, pool=SparkPool(spark)
    )
