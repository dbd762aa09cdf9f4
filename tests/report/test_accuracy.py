"""Cluster scores against brute-force pair counting."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from resolver.report.accuracy import score_clusters


def _brute(p: list[int], t: list[int]) -> tuple[float, float]:
    pp = {(i, j) for i, j in itertools.combinations(range(len(p)), 2) if p[i] == p[j]}
    tt = {(i, j) for i, j in itertools.combinations(range(len(t)), 2) if t[i] == t[j]}
    precision = len(pp & tt) / len(pp) if pp else 1.0
    recall = len(pp & tt) / len(tt) if tt else 1.0
    return precision, recall


@pytest.mark.parametrize("seed", range(10))
def test_pairwise_scores_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 60
    p = rng.integers(0, 25, n).tolist()
    t = rng.integers(0, 25, n).tolist()
    s = score_clusters(pd.Series(p), pd.Series(t))
    bp, br = _brute(p, t)
    assert s.pair_precision == pytest.approx(bp)
    assert s.pair_recall == pytest.approx(br)


def test_perfect_and_all_singletons() -> None:
    truth = pd.Series([1, 1, 2, 3, 3, 3])
    perfect = score_clusters(truth, truth)
    assert perfect.pair_f1 == 1.0 and perfect.bcubed_f1 == 1.0
    single = score_clusters(pd.Series(range(6)), truth)
    assert single.pair_recall == 0.0 and single.bcubed_precision == 1.0
