"""A classic Spark session set up for Splink and resolver.

Splink's similarity functions (``jaro_winkler``, ...) come from a jar shipped inside
Splink that must be on the session before it starts; Splink breaks long lineages by
checkpointing, so the session needs a checkpoint directory. A Spark Connect session
cannot register the jar's functions: resolver starts a classic one.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession
from splink.backends.spark import similarity_jar_location

from resolver.errors import ResolverError

DEFAULT_MASTER = "local[*]"


def spark_session(
    *,
    master: str | None = None,
    checkpoint_dir: Path | str | None = None,
    shuffle_partitions: int | None = None,
    config: dict[str, Any] | None = None,
) -> SparkSession:
    """The Spark session resolver runs on (an active one is reused if it has the jar).

    ``master``: ``RESOLVER_SPARK_MASTER`` or ``local[*]``; ``checkpoint_dir``:
    ``RESOLVER_SPARK_CHECKPOINT`` or a temporary folder (on a cluster: shared storage
    every executor reaches); ``shuffle_partitions``: ``RESOLVER_SPARK_PARTITIONS`` or
    twice the local cores (Spark's default of 200 is for clusters). The driver's memory:
    ``RESOLVER_SPARK_DRIVER_MEMORY`` or 4g (it must be set before the JVM starts).
    """
    if os.environ.get("SPARK_CONNECT_MODE_ENABLED") or os.environ.get("SPARK_REMOTE"):
        raise ResolverError(
            "resolver needs a classic Spark session (Splink registers Java functions): "
            "unset SPARK_REMOTE / SPARK_CONNECT_MODE_ENABLED"
        )
    master = master or os.environ.get("RESOLVER_SPARK_MASTER") or DEFAULT_MASTER
    checkpoint = Path(
        checkpoint_dir
        or os.environ.get("RESOLVER_SPARK_CHECKPOINT")
        or tempfile.mkdtemp(prefix="resolver-spark-")
    )
    partitions = shuffle_partitions or int(
        os.environ.get("RESOLVER_SPARK_PARTITIONS") or 2 * (os.cpu_count() or 1)
    )
    builder = (
        SparkSession.builder.master(master)
        .appName("resolver")
        .config("spark.jars", similarity_jar_location())
        # Spark's 1g default runs out when Splink collects a blocking analysis at 100k rows
        .config("spark.driver.memory", os.environ.get("RESOLVER_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.default.parallelism", str(partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.showConsoleProgress", "false")
        # tables Spark would otherwise create in the working directory
        .config("spark.sql.warehouse.dir", str(checkpoint / "warehouse"))
    )
    if master.startswith("local") and not os.environ.get("PYSPARK_PYTHON"):
        # local Python workers run this interpreter (with resolver and its packages);
        # on a cluster, PYSPARK_PYTHON names the executors' own
        os.environ["PYSPARK_PYTHON"] = sys.executable
    for key, value in (config or {}).items():
        builder = builder.config(key, str(value))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(str(checkpoint))
    return spark


LINEAGE_METHODS = ("parquet", "persist", "checkpoint")


def is_local(spark: SparkSession) -> bool:
    """Whether ``spark`` runs on this machine alone (a ``local`` master)."""
    return spark.sparkContext.master.startswith("local")


def lineage_method(spark: SparkSession, *, iterative: bool = False) -> str:
    """How Splink breaks long lineages on ``spark``: ``RESOLVER_SPARK_LINEAGE``, else
    ``persist`` on a local master (kept by Spark's block manager, in memory and spilled to
    local disk: no job and no files per step) and ``parquet`` under the checkpoint
    directory on a cluster (what survives a lost executor). ``iterative`` steps (each
    built on the last, as in connected components) are always written out: a persisted
    frame keeps its lineage in every plan built on it, and those plans grow pass by pass."""
    method = os.environ.get("RESOLVER_SPARK_LINEAGE") or (
        "persist" if is_local(spark) and not iterative else "parquet"
    )
    if method not in LINEAGE_METHODS:
        raise ResolverError(
            f"RESOLVER_SPARK_LINEAGE={method!r}: one of {', '.join(LINEAGE_METHODS)}"
        )
    return method


def release(spark: SparkSession) -> None:
    """Free what a stage left on ``spark``: every cached frame at once (dropping a cached
    view one by one compares its plan with every cached plan), then the temporary
    views, listed by ``SHOW TABLES`` (``catalog.listTables()`` describes every one)."""
    spark.catalog.clearCache()
    for row in spark.sql("SHOW TABLES").collect():
        if row.isTemporary:
            spark.catalog.dropTempView(row.tableName)


# For small data on one machine (tests, a laptop): no whole-stage code generation
# (compiling it costs more than running small queries) and no adaptive re-planning.
LOCAL_QUICK = {
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
}
