"""Clustering is checked against networkx on random graphs, and its constraints hold."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from resolver.clustering.constrained import connected_components, constrained_clusters


def _random_graph(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    left = rng.integers(0, n, m)
    right = rng.integers(0, n, m)
    keep = left != right
    return left[keep], right[keep], rng.normal(10, 5, keep.sum())


def _as_sets(labels: np.ndarray) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for node, label in enumerate(labels.tolist()):
        groups.setdefault(label, set()).add(node)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.parametrize("seed", range(25))
def test_connected_components_equal_networkx(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    left, right, _ = _random_graph(seed, n, int(rng.integers(0, 2 * n)))
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(left.tolist(), right.tolist(), strict=True))
    expected = {frozenset(c) for c in nx.connected_components(g)}
    assert _as_sets(connected_components(n, left, right)) == expected


@pytest.mark.parametrize("seed", range(25))
def test_unconstrained_clusters_are_connected_components(seed: int) -> None:
    n = 300
    left, right, w = _random_graph(seed, n, 250)
    labels = constrained_clusters(n, links=(left, right, w))
    assert np.array_equal(labels, connected_components(n, left, right))


@pytest.mark.parametrize("seed", range(30))
def test_constraints_hold_and_clusters_are_maximal(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    n = 120
    left, right, w = _random_graph(seed, n, 160)
    cant_l = rng.integers(0, n, 25)
    cant_r = rng.integers(0, n, 25)
    ok = cant_l != cant_r
    cant_l, cant_r = cant_l[ok], cant_r[ok]
    systems = rng.choice(np.array(["a", "b", "c"]), n)
    labels = constrained_clusters(
        n,
        links=(left, right, w),
        cannot_link=(cant_l, cant_r),
        systems=systems,
        duplicate_free_systems=["c"],
    )
    # no cannot-link pair shares a cluster
    assert not np.any(labels[cant_l] == labels[cant_r])
    # at most one record of the duplicate-free system per cluster
    for cluster in _as_sets(labels):
        assert sum(systems[v] == "c" for v in cluster) <= 1
        # every cluster is connected through link edges inside it
        g = nx.Graph()
        g.add_nodes_from(cluster)
        g.add_edges_from(
            (a, b)
            for a, b in zip(left.tolist(), right.tolist(), strict=True)
            if a in cluster and b in cluster
        )
        assert nx.is_connected(g)
    # maximal: no link joins two clusters that could merge without breaking a constraint
    clusters = {lab: set(np.flatnonzero(labels == lab).tolist()) for lab in set(labels.tolist())}
    forbidden = set(zip(cant_l.tolist(), cant_r.tolist(), strict=True))
    forbidden |= {(b, a) for a, b in forbidden}
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if labels[a] == labels[b]:
            continue
        ca, cb = clusters[labels[a]], clusters[labels[b]]
        clash = any((x, y) in forbidden for x, y in itertools.product(ca, cb))
        clash |= any(systems[x] == "c" for x in ca) and any(systems[y] == "c" for y in cb)
        assert clash


def test_must_link_joins_and_the_strongest_edge_wins_a_conflict() -> None:
    # 0-1 strong, 1-2 weak, 0 and 2 cannot link: 2 stays apart; 3 joins 2 by must-link
    labels = constrained_clusters(
        4,
        links=(np.array([0, 1]), np.array([1, 2]), np.array([20.0, 5.0])),
        must_link=(np.array([2]), np.array([3])),
        cannot_link=(np.array([0]), np.array([2])),
    )
    assert labels.tolist() == [0, 0, 2, 2]


def test_result_does_not_depend_on_edge_order() -> None:
    left, right, w = _random_graph(3, 80, 120)
    cant = (np.array([0, 5, 9]), np.array([7, 11, 40]))
    a = constrained_clusters(80, links=(left, right, w), cannot_link=cant)
    perm = np.random.default_rng(0).permutation(len(left))
    b = constrained_clusters(80, links=(left[perm], right[perm], w[perm]), cannot_link=cant)
    assert np.array_equal(a, b)
