"""Clustering: records linked above the auto-link band, under constraints.

Plain connected components chain: A~B and B~C put A and C together however much
A and C disagree. Here a cluster grows edge by edge, strongest first, and a merge
is refused when it would put together

- two records with a cannot-link between them (a reviewer's rejection, or a veto
  such as "different first names" that makes a pair a known non-match), or
- two records of a system declared duplicate-free (one record per entity there).

Reviewers' decisions come first. Must-link pairs (an acceptance, a split group, an
orphan's link) are joined before any scored edge, in the order given — the caller
passes the newest decision first — and they override vetoes and duplicate-free
systems (a reviewer said so), but never a pair kept apart (``kept_apart``: a
reviewer's rejection, or two groups of a split, still in force). A must-link that
would put a kept-apart pair together through others (A=C and C=B with A and B
rejected) is refused: a rejection gives way only to a later decision about the
same pair, which replaces it before it gets here (:mod:`resolver.review.decisions`).
So when must-links conflict, the newer ones hold and the older one gives way.

Components with no constraint inside are plain connected components (the fast
path); only components holding a constraint are grown edge by edge.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Label each of ``n`` nodes with the smallest node index of its component.

    Vectorised label propagation with pointer jumping: O(edges × log diameter).
    """
    labels = np.arange(n, dtype=np.int64)
    if len(left) == 0:
        return labels
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    while True:
        lo = np.minimum(labels[left], labels[right])
        before = labels.copy()
        np.minimum.at(labels, left, lo)
        np.minimum.at(labels, right, lo)
        # pointer jumping: follow labels to their own labels until stable
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels, before):
            return labels


class _Clusters:
    """Union-find that knows each cluster's members, forbidden partners and systems.

    ``cannot``: every partner a cluster's members may not join (vetoes and pairs kept
    apart); ``apart``: those of them a reviewer kept apart (what even a must-link
    respects)."""

    def __init__(self, nodes: Sequence[int], systems: dict[int, str], free: frozenset[str]):
        self.parent = {v: v for v in nodes}
        self.members = {v: [v] for v in nodes}
        self.cannot: dict[int, set[int]] = {v: set() for v in nodes}
        self.apart: dict[int, set[int]] = {v: set() for v in nodes}
        self.free = {v: ({systems[v]} & free) for v in nodes}

    def find(self, v: int) -> int:
        root = v
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[v] != root:
            self.parent[v], v = root, self.parent[v]
        return root

    def forbid(self, a: int, b: int, *, kept_apart: bool = False) -> None:
        self.cannot[a].add(b)
        self.cannot[b].add(a)
        if kept_apart:
            self.apart[a].add(b)
            self.apart[b].add(a)

    def conflict(self, ra: int, rb: int) -> bool:
        """Whether a scored edge may not join these clusters (roots)."""
        if self.free[ra] & self.free[rb]:
            return True
        return self._holds(self.cannot, ra, rb)

    def kept_apart(self, ra: int, rb: int) -> bool:
        """Whether a must-link may not join these clusters (roots)."""
        return self._holds(self.apart, ra, rb)

    def _holds(self, forbid: dict[int, set[int]], ra: int, rb: int) -> bool:
        small, big = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        forbidden = forbid[big]
        return bool(forbidden) and any(m in forbidden for m in self.members[small])

    def union(self, ra: int, rb: int) -> None:
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        # "cannot" holds node ids; the members of the merged cluster inherit them all
        self.cannot[ra] |= self.cannot.pop(rb)
        self.apart[ra] |= self.apart.pop(rb)
        self.free[ra] |= self.free.pop(rb)


def constrained_clusters(
    n: int,
    *,
    links: tuple[np.ndarray, np.ndarray, np.ndarray],
    must_link: tuple[np.ndarray, np.ndarray] = (np.array([]), np.array([])),
    cannot_link: tuple[np.ndarray, np.ndarray] = (np.array([]), np.array([])),
    kept_apart: tuple[np.ndarray, np.ndarray] = (np.array([]), np.array([])),
    systems: np.ndarray | None = None,
    duplicate_free_systems: Sequence[str] = (),
) -> np.ndarray:
    """Cluster ``n`` nodes; return each node's label (smallest node index of its cluster).

    ``links`` is (left, right, weight): candidate edges, strongest joined first
    (ties by node indexes, so the result never depends on input order).
    ``must_link``: pairs joined first, in the order given (the first wins a conflict),
    unless that would put a ``kept_apart`` pair together. ``cannot_link``: pairs no
    scored edge joins (a must-link may). ``kept_apart``: pairs nothing joins.
    """
    l_link, r_link, w_link = (np.asarray(a) for a in links)
    l_must, r_must = (np.asarray(a, dtype=np.int64) for a in must_link)
    l_soft, r_soft = (np.asarray(a, dtype=np.int64) for a in cannot_link)
    l_hard, r_hard = (np.asarray(a, dtype=np.int64) for a in kept_apart)
    # every forbidden pair; the last ``len(l_hard)`` of them are kept apart
    l_cant, r_cant = np.concatenate([l_soft, l_hard]), np.concatenate([r_soft, r_hard])
    hard = np.r_[np.zeros(len(l_soft), dtype=bool), np.ones(len(l_hard), dtype=bool)]
    free = frozenset(duplicate_free_systems)
    all_l = np.concatenate([l_link.astype(np.int64), l_must])
    all_r = np.concatenate([r_link.astype(np.int64), r_must])
    plain = connected_components(n, all_l, all_r)

    # which components hold a constraint? only those need the careful path
    suspect = np.zeros(n, dtype=bool)
    if len(l_cant):
        inside = plain[l_cant] == plain[r_cant]
        suspect[plain[l_cant[inside]]] = True
    if free and systems is not None:
        is_free = np.isin(systems, list(free))
        if is_free.any():
            comp_sys = np.char.add(plain[is_free].astype(str), "|" + systems[is_free].astype(str))
            uniq, counts = np.unique(comp_sys, return_counts=True)
            for key in uniq[counts > 1]:
                suspect[int(key.split("|")[0])] = True
    if not suspect.any():
        return plain

    labels = plain.copy()
    comps = np.flatnonzero(suspect)
    # group nodes and edges by suspect component once (not one scan per component)
    node_groups = _group(np.flatnonzero(suspect[plain]), plain, comps)
    link_groups = _group(np.flatnonzero(suspect[plain[l_link]]), plain[l_link], comps)
    cant_in = np.flatnonzero((plain[l_cant] == plain[r_cant]) & suspect[plain[l_cant]])
    cant_groups = _group(cant_in, plain[l_cant], comps)
    must_groups = _group(np.flatnonzero(suspect[plain[l_must]]), plain[l_must], comps)
    for comp in comps.tolist():
        nodes = node_groups.get(comp, _NONE)
        sys_of = {int(v): (str(systems[v]) if systems is not None else "") for v in nodes}
        uf = _Clusters(nodes.tolist(), sys_of, free)
        sel = cant_groups.get(comp, _NONE)
        for a, b, h in zip(
            l_cant[sel].tolist(), r_cant[sel].tolist(), hard[sel].tolist(), strict=True
        ):
            uf.forbid(a, b, kept_apart=h)
        sel = must_groups.get(comp, _NONE)  # positions ascending: the caller's order
        for a, b in zip(l_must[sel].tolist(), r_must[sel].tolist(), strict=True):
            ra, rb = uf.find(a), uf.find(b)
            if ra != rb and not uf.kept_apart(ra, rb):
                uf.union(ra, rb)
        sel = link_groups.get(comp, _NONE)
        ls, rs, ws = l_link[sel], r_link[sel], w_link[sel].astype(float)
        order = np.lexsort((rs, ls, -ws))
        for a, b in zip(ls[order].tolist(), rs[order].tolist(), strict=True):
            ra, rb = uf.find(a), uf.find(b)
            if ra != rb and not uf.conflict(ra, rb):
                uf.union(ra, rb)
        for members in uf.members.values():
            labels[members] = min(members)
    return labels


_NONE = np.array([], dtype=np.int64)  # no positions (an empty tuple would index everything)


def _group(positions: np.ndarray, comp_of: np.ndarray, comps: np.ndarray) -> dict[int, np.ndarray]:
    """{component: the positions (indexes into the arrays) that belong to it}."""
    if len(positions) == 0:
        return {}
    keys = comp_of[positions]
    order = np.argsort(keys, kind="stable")
    keys, positions = keys[order], positions[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return {int(keys[a]): positions[a:b] for a, b in zip(starts, ends, strict=True)}
