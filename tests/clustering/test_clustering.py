"""Clustering is checked against networkx on random graphs, and its constraints hold."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_must_links_never_chain_a_kept_apart_pair_and_the_first_given_holds() -> None:
    # 0 and 1 kept apart; must-links 2=1 (given first: the newer decision) and 0=2
    labels = constrained_clusters(
        3,
        links=(np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([])),
        must_link=(np.array([2, 0]), np.array([1, 2])),
        kept_apart=(np.array([0]), np.array([1])),
    )
    assert labels.tolist() == [0, 1, 1]
    # the other order: 0=2 holds, 2=1 gives way
    labels = constrained_clusters(
        3,
        links=(np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([])),
        must_link=(np.array([0, 2]), np.array([2, 1])),
        kept_apart=(np.array([0]), np.array([1])),
    )
    assert labels.tolist() == [0, 1, 0]


def test_a_must_link_overrides_a_veto_and_a_duplicate_free_system_but_a_link_does_not() -> None:
    labels = constrained_clusters(
        4,
        links=(np.array([2]), np.array([3]), np.array([30.0])),
        must_link=(np.array([0]), np.array([1])),
        cannot_link=(np.array([0, 2]), np.array([1, 3])),
        systems=np.array(["a", "a", "b", "b"]),
        duplicate_free_systems=["a"],
    )
    assert labels.tolist() == [0, 0, 2, 3]


def _reference(
    n: int,
    links: list[tuple[int, int, float]],
    must: list[tuple[int, int]],
    veto: set[frozenset[int]],
    apart: set[frozenset[int]],
    systems: list[str],
    free: set[str],
) -> list[int]:
    """The rule, naively: clusters as sets; must-links in order unless a pair kept apart
    would end up together; then links strongest first (ties by node numbers) unless a
    veto, a pair kept apart or two records of a duplicate-free system would."""
    cluster = {v: frozenset([v]) for v in range(n)}

    def clash(x: frozenset[int], y: frozenset[int], forbidden: set[frozenset[int]]) -> bool:
        return any(frozenset((a, b)) in forbidden for a in x for b in y)

    def join(x: frozenset[int], y: frozenset[int]) -> None:
        for v in x | y:
            cluster[v] = x | y

    for a, b in must:
        x, y = cluster[a], cluster[b]
        if x != y and not clash(x, y, apart):
            join(x, y)
    for a, b, _ in sorted(links, key=lambda e: (-e[2], e[0], e[1])):
        x, y = cluster[a], cluster[b]
        dup = {systems[v] for v in x} & {systems[v] for v in y} & free
        if x != y and not dup and not clash(x, y, veto | apart):
            join(x, y)
    return [min(cluster[v]) for v in range(n)]


@st.composite
def _small_graphs(draw: st.DrawFn) -> dict:
    n = draw(st.integers(2, 8))
    node = st.integers(0, n - 1)
    pair = st.tuples(node, node).filter(lambda p: p[0] != p[1])
    return {
        "n": n,
        "links": draw(
            st.lists(st.tuples(node, node, st.sampled_from([1.0, 2.0, 3.0, 5.0])), max_size=14)
        ),
        "must": draw(st.lists(pair, max_size=5)),
        "veto": draw(st.lists(pair, max_size=4)),
        "apart": draw(st.lists(pair, max_size=4)),
        "systems": draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n)),
        "free": draw(st.sampled_from([[], ["a"], ["a", "b"]])),
    }


@settings(max_examples=400, deadline=None)
@given(_small_graphs())
def test_constraints_agree_with_a_brute_force_check_on_small_graphs(g: dict) -> None:
    n, systems = g["n"], np.array(g["systems"])
    links = [(a, b, w) for a, b, w in g["links"] if a != b]

    def arrays(pairs: list) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.array([p[0] for p in pairs], dtype=np.int64),
            np.array([p[1] for p in pairs], dtype=np.int64),
        )

    labels = constrained_clusters(
        n,
        links=(*arrays(links), np.array([w for *_, w in links], dtype=float)),
        must_link=arrays(g["must"]),
        cannot_link=arrays(g["veto"]),
        kept_apart=arrays(g["apart"]),
        systems=systems,
        duplicate_free_systems=g["free"],
    ).tolist()
    veto = {frozenset(p) for p in g["veto"]}
    apart = {frozenset(p) for p in g["apart"]}
    assert labels == _reference(n, links, g["must"], veto, apart, g["systems"], set(g["free"]))

    # and the promises, checked pair by pair over the result
    members = {lab: {v for v in range(n) if labels[v] == lab} for lab in set(labels)}
    for a, b in itertools.combinations(range(n), 2):
        if frozenset((a, b)) in apart:
            assert labels[a] != labels[b]  # nothing joins a pair kept apart
    for a, b in g["must"]:  # a must-link gives way only to a pair kept apart
        if labels[a] != labels[b]:
            x, y = members[labels[a]], members[labels[b]]
            assert any(frozenset((p, q)) in apart for p in x for q in y)
    for cluster in members.values():  # every cluster is held by decisions and links
        h = nx.Graph()
        h.add_nodes_from(cluster)
        h.add_edges_from((a, b) for a, b, *_ in [*links, *g["must"]] if {a, b} <= cluster)
        assert nx.is_connected(h)
