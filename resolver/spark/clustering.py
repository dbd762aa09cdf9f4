"""Clustering on Spark: connected components there, then resolver's constrained
clustering per component, in parallel (a grouped map over components).

A cluster never spans two connected components of the auto-links and must-links, and
:func:`resolver.clustering.constrained.constrained_clusters` decides each component
from its own edges and constraints alone, with node numbers that keep their order:
so clustering every component apart gives exactly the labels of one run over all
(each node labelled with the smallest node number of its cluster).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from splink import SparkAPI
from splink.clustering import cluster_pairwise_predictions_at_threshold

from resolver.clustering.constrained import constrained_clusters
from resolver.spark.session import lineage_method, release

_EMPTY = (np.array([], dtype=np.int64), np.array([], dtype=np.int64))


def spark_constrained_clusters(
    spark: SparkSession,
    n: int,
    *,
    links: tuple[np.ndarray, np.ndarray, np.ndarray],
    must_link: tuple[np.ndarray, np.ndarray] = _EMPTY,
    cannot_link: tuple[np.ndarray, np.ndarray] = _EMPTY,
    kept_apart: tuple[np.ndarray, np.ndarray] = _EMPTY,
    systems: np.ndarray | None = None,
    duplicate_free_systems: Sequence[str] = (),
) -> np.ndarray:
    """:func:`~resolver.clustering.constrained.constrained_clusters` on Spark: the same
    arguments and the same labels."""
    labels = np.arange(n, dtype=np.int64)
    l_link, r_link, w_link = (np.asarray(a) for a in links)
    l_must, r_must = (np.asarray(a, dtype=np.int64) for a in must_link)
    edges = pd.DataFrame(
        {
            "l": np.concatenate([l_link.astype(np.int64), l_must]),
            "r": np.concatenate([r_link.astype(np.int64), r_must]),
        }
    )
    if edges.empty:
        return labels
    nodes = pd.DataFrame({"i": np.unique(np.concatenate([edges["l"], edges["r"]]))})
    # each iteration written out, even on a local master: a persisted lineage is kept
    # in every later plan, and connected components builds each pass on the last ones
    db_api = SparkAPI(
        spark_session=spark, break_lineage_method=lineage_method(spark, iterative=True)
    )
    comps = cluster_pairwise_predictions_at_threshold(
        spark.createDataFrame(pa.Table.from_pandas(nodes, preserve_index=False)),
        spark.createDataFrame(pa.Table.from_pandas(edges, preserve_index=False)),
        db_api=db_api,
        node_id_column_name="i",
        edge_id_column_name_left="l",
        edge_id_column_name_right="r",
    ).as_spark_dataframe()
    comp_of = comps.selectExpr("i AS node", "cluster_id AS comp")

    sys_of = (
        np.asarray(systems).astype(str)[nodes["i"].to_numpy()]
        if systems is not None
        else np.full(len(nodes), "")
    )
    parts = [
        _items("node", nodes["i"], nodes["i"], sys=sys_of),
        _items("link", l_link, r_link, w=w_link),
        _items("must", l_must, r_must),
        _items("cannot", *cannot_link),
        _items("apart", *kept_apart),
    ]
    items = spark.createDataFrame(
        pa.Table.from_pandas(pd.concat(parts, ignore_index=True), preserve_index=False)
    )
    # a constraint between two components constrains nothing: keep those inside one
    placed = (
        items.join(comp_of.selectExpr("node AS a", "comp AS comp_a"), "a")
        .join(comp_of.selectExpr("node AS b", "comp AS comp_b"), "b")
        .where("comp_a = comp_b")
        .selectExpr("comp_a AS comp", "kind", "a", "b", "w", "ord", "sys")
    )
    free = list(duplicate_free_systems)

    def cluster(group: pd.DataFrame) -> pd.DataFrame:
        return _cluster_component(group, free)

    # whole components bundled, one bundle a partition: a grouped map per component pays
    # pandas' fixed cost per call tens of thousands of times, and a bundle clusters to
    # the labels of its components clustered apart
    bundles = int(spark.conf.get("spark.sql.shuffle.partitions"))
    out = (
        placed.withColumn("bundle", F.expr(f"pmod(hash(comp), {bundles})"))
        .groupBy("bundle")
        .applyInPandas(cluster, schema="node long, label long")
        .toArrow()
    )
    release(spark)
    labels[out.column("node").to_numpy()] = out.column("label").to_numpy()
    return labels


def _items(
    kind: str,
    a: np.ndarray | pd.Series,
    b: np.ndarray | pd.Series,
    *,
    w: np.ndarray | None = None,
    sys: np.ndarray | None = None,
) -> pd.DataFrame:
    a = np.asarray(a, dtype=np.int64)
    return pd.DataFrame(
        {
            "kind": kind,
            "a": a,
            "b": np.asarray(b, dtype=np.int64),
            "w": np.asarray(w, dtype=np.float64) if w is not None else np.nan,
            "ord": np.arange(len(a), dtype=np.int64),  # must-links keep the caller's order
            "sys": sys if sys is not None else None,
        }
    )


def _cluster_component(group: pd.DataFrame, free: list[str]) -> pd.DataFrame:
    """One or more whole components, numbered locally in the order of their global node
    numbers."""
    nodes = group[group["kind"] == "node"].sort_values("a")
    glob = nodes["a"].to_numpy(dtype=np.int64)

    def local(kind: str) -> pd.DataFrame:
        part = group[group["kind"] == kind].sort_values("ord", kind="stable")
        return part.assign(
            a=np.searchsorted(glob, part["a"].to_numpy(dtype=np.int64)),
            b=np.searchsorted(glob, part["b"].to_numpy(dtype=np.int64)),
        )

    link, must, cannot, apart = (local(k) for k in ("link", "must", "cannot", "apart"))
    got = constrained_clusters(
        len(glob),
        links=(link["a"].to_numpy(), link["b"].to_numpy(), link["w"].to_numpy()),
        must_link=(must["a"].to_numpy(), must["b"].to_numpy()),
        cannot_link=(cannot["a"].to_numpy(), cannot["b"].to_numpy()),
        kept_apart=(apart["a"].to_numpy(), apart["b"].to_numpy()),
        systems=nodes["sys"].to_numpy().astype(str),
        duplicate_free_systems=free,
    )
    return pd.DataFrame({"node": glob, "label": glob[got]})
