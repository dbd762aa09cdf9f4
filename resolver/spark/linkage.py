"""Splink on Spark: the linker the batch job scores (and trains) with under
``--engine spark``.

The model's SQL is translated for Spark on load (:mod:`resolver.linkage.model_file`);
everything else — blocking, the prior, term frequencies, the veto, the pairs kept —
is the engine-neutral code of :mod:`resolver.linkage.predict` and
:mod:`resolver.linkage.model`, so both engines give the same pairs.

Two things keep the driver's memory flat with the data: the input is materialised
before Splink sees it (a frame made from Arrow is a local relation the driver holds,
copied into every plan that scans it), and the
candidate pairs are blocked one rule at a time (:func:`blocked_pairs_rule_by_rule`), not
in Splink's one query over every rule.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa
from pyspark.sql import SparkSession
from splink import Linker, SparkAPI
from splink.internals.blocking import compute_blocked_pairs_from_concat_with_tf
from splink.internals.pipeline import CTEPipeline
from splink.internals.vertically_concatenate import enqueue_df_concat

from resolver.linkage.model import LinkWork
from resolver.linkage.model_file import for_engine
from resolver.spark.functions import register_duckdb_functions
from resolver.spark.session import lineage_method, release

_SPLINK_LOG = logging.ERROR


def spark_work(
    spark: SparkSession,
) -> Callable[[pa.Table | pd.DataFrame, dict[str, Any]], LinkWork]:
    """A ``work`` for :func:`resolver.linkage.predict.score_pairs` and
    :func:`resolver.linkage.model.train_model` on ``spark``."""

    def open_work(table: pa.Table | pd.DataFrame, settings: dict[str, Any]) -> LinkWork:
        prepare_session(spark)
        db_api = SparkAPI(
            spark_session=spark,
            break_lineage_method=lineage_method(spark),
            num_partitions_on_repartition=int(spark.conf.get("spark.sql.shuffle.partitions")),
        )
        frame = spark.createDataFrame(
            table
            if isinstance(table, pa.Table)
            else pa.Table.from_pandas(table, preserve_index=False)
        )
        sdf = db_api.register(_materialised(spark, frame), table_name="link_input")
        linker = Linker(
            sdf, for_engine(settings, "spark"), log_level=_SPLINK_LOG, validate_settings=True
        )

        return LinkWork(
            "spark",
            linker,
            sdf,
            lambda sql: spark.sql(sql).toArrow(),
            lambda: release(spark),
            blocked_pairs=blocked_pairs_rule_by_rule,
        )

    return open_work


def blocked_pairs_rule_by_rule(linker: Linker) -> Any:
    """The candidate pairs of the linker's prediction blocking rules, registered for its
    ``predict``: exactly Splink's (each rule leaves out the pairs an earlier rule
    found, and keeps its own match key), but one materialised query per rule and then
    their union, where Splink plans one query over every rule (at 100k rows and 20
    rules, planning it ran a 4g driver out of memory)."""
    settings = linker._settings_obj
    columns = settings.column_info_settings
    db_api = linker._db_api
    parts = []
    for rule in settings._blocking_rules_to_generate_predictions:
        pipeline = CTEPipeline()
        enqueue_df_concat(linker, pipeline)
        parts.append(
            compute_blocked_pairs_from_concat_with_tf(
                pipeline=pipeline,
                db_api=db_api,
                splink_df_dict=linker._input_tables_dict,
                blocking_rules=[rule],  # it still carries the rules before it
                link_type=settings._link_type,
                source_dataset_input_column=columns.source_dataset_input_column,
                unique_id_input_column=columns.unique_id_input_column,
                df_concat_with_tf_table_name="__splink__df_concat",
            )
        )
    if len(parts) <= 1:
        blocked = parts[0] if parts else linker.inference.compute_blocked_pairs_for_predict()
    else:
        pipeline = CTEPipeline()
        pipeline.enqueue_sql(
            " UNION ALL ".join(
                f"SELECT match_key, join_key_l, join_key_r FROM {p.physical_name}" for p in parts
            ),
            "__splink__blocked_id_pairs",
        )
        blocked = db_api.sql_pipeline_to_splink_dataframe(pipeline)
    return linker.table_management.register_blocked_pairs_for_predict(blocked)


def _materialised(spark: SparkSession, frame: Any) -> Any:
    """``frame`` (made from Arrow: a local relation the driver holds) materialised the
    way Splink breaks lineages (:func:`resolver.spark.session.lineage_method`), so the
    plans that scan it scan Spark's copy."""
    method = lineage_method(spark)
    if method == "checkpoint":
        return frame.checkpoint()
    if method == "persist":
        frame = frame.persist()
        frame.count()
        return frame
    path = os.path.join(spark.sparkContext._jsc.sc().getCheckpointDir().get(), uuid.uuid4().hex)
    frame.write.parquet(path)
    return spark.read.parquet(path)


def prepare_session(spark: SparkSession) -> None:
    """Register on ``spark`` the functions the model's SQL calls once translated for Spark
    (:func:`resolver.linkage.model_file.for_engine`): DuckDB's string distances."""
    register_duckdb_functions(spark)
