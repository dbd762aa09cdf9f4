"""DuckDB's string distance functions on Spark, computed by DuckDB itself.

The model's SQL calls ``jaro_winkler_similarity``, ``jaro_similarity``, ``levenshtein``
and ``damerau_levenshtein`` as DuckDB defines them. Spark has no equal of the first two:
Splink's ``jaro_winkler`` and ``jaro_sim`` (Apache Commons Text) count a transposition
as a half where DuckDB rounds the count of transposed characters down ('hansen' and
'hasen': 0.876 against DuckDB's 0.902, either side of a 0.9 level), match characters
differently ('sharon' and 'gonzalez': 0.458 against 0.514), return 0 rather than NULL
for a missing value and count UTF-16 units where DuckDB counts characters (an emoji is
two). A pair then falls into another comparison level on Spark and its weight moves by
many bits. So Spark calls these functions here (:data:`resolver.linkage.model_file.ON_DUCKDB`
names them: the edit distances too, so that every string distance is DuckDB's by
construction, not by two implementations agreeing), as Arrow UDFs that hand each batch
of value pairs to an in-memory DuckDB: the same function, hence the same answer, on
both engines.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa
from pyspark.sql import SparkSession
from pyspark.sql.functions import arrow_udf

from resolver.linkage.model_file import ON_DUCKDB, spark_name


def _on_duckdb(function: str, returns: str) -> Callable[[pa.Array, pa.Array], pa.Array]:
    sql = f"SELECT {function}(a, b) FROM batch"
    out_type = pa.float64() if returns == "double" else pa.int64()

    def call(a: pa.Array, b: pa.Array) -> pa.Array:
        # one thread: a projection keeps the batch's row order; the executors already
        # run one batch per core. A connection per batch: a DuckDB instance kept alive
        # in a Python worker would be inherited by any process it forks.
        con = duckdb.connect(config={"threads": 1})
        try:
            con.register("batch", pa.table({"a": a, "b": b}))
            return con.sql(sql).to_arrow_table().column(0).combine_chunks().cast(out_type)
        finally:
            con.close()

    call.__name__ = spark_name(function)
    return call


def register_duckdb_functions(spark: SparkSession) -> None:
    """Register on ``spark`` every function of ``ON_DUCKDB`` under its Spark name."""
    for function, returns in ON_DUCKDB.items():
        udf = arrow_udf(_on_duckdb(function, returns), returnType=returns)
        spark.udf.register(spark_name(function), udf)
