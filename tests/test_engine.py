"""Choosing the engine: DuckDB by default, Spark by name, anything else refused."""

from __future__ import annotations

import pytest

from resolver.clustering.constrained import constrained_clusters
from resolver.engine import open_engine
from resolver.errors import ResolverError
from resolver.linkage.model import duckdb_work


def test_duckdb_is_the_default() -> None:
    engine = open_engine()
    assert engine.name == "duckdb"
    assert engine.work is duckdb_work
    assert engine.cluster is constrained_clusters
    assert engine.pool is None  # the normalizers' own local worker processes


def test_an_unknown_engine_is_refused_by_name() -> None:
    with pytest.raises(ResolverError, match="unknown engine 'flink': one of duckdb, spark"):
        open_engine("flink")
