"""Connected components on Spark, then the constrained clustering per component,
give exactly the labels of one constrained clustering over everything."""

from __future__ import annotations

import numpy as np

from resolver.clustering.constrained import constrained_clusters
from resolver.spark.clustering import spark_constrained_clusters


def _case(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    n = 90
    m = 110
    left, right = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = left != right
    # ties in weight on purpose: the order is then settled by node numbers
    weights = rng.integers(0, 4, keep.sum()).astype(float)
    pairs = [rng.integers(0, n, (2, k)) for k in (12, 10, 6)]
    pairs = [(a[a != b], b[a != b]) for a, b in pairs]
    return {
        "links": (left[keep], right[keep], weights),
        "cannot_link": pairs[0],
        "kept_apart": pairs[1],
        "must_link": pairs[2],
        "systems": rng.choice(np.array(["crm", "billing", "ledger"]), n),
        "duplicate_free_systems": ["billing"],
        "n": n,
    }


def test_the_same_labels_as_one_clustering_over_everything(spark) -> None:
    partitions = spark.conf.get("spark.sql.shuffle.partitions")
    for seed, bundles in ((0, "1"), (1, "3")):  # components clustered in one or several bundles
        case = _case(seed)
        n = case.pop("n")
        expected = constrained_clusters(n, **case)
        spark.conf.set("spark.sql.shuffle.partitions", bundles)
        try:
            got = spark_constrained_clusters(spark, n, **case)
        finally:
            spark.conf.set("spark.sql.shuffle.partitions", partitions)
        assert got.tolist() == expected.tolist(), seed
        # the constraints were real: some components were split by them
        assert len(set(expected.tolist())) > len(
            set(constrained_clusters(n, links=case["links"], must_link=case["must_link"]).tolist())
        )


def test_no_edges_leaves_every_node_alone(spark) -> None:
    empty = np.array([], dtype=np.int64)
    got = spark_constrained_clusters(spark, 5, links=(empty, empty, np.array([])))
    assert got.tolist() == [0, 1, 2, 3, 4]
