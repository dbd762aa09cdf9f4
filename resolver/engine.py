"""Which engine runs the batch job's heavy stages: DuckDB (default) or Spark.

An engine opens Splink linkers (:class:`resolver.linkage.model.LinkWork`) and
clusters scored pairs; every other stage, and the store, are the same on both. Both
give the same pairs, clusters and entity ids (``tests/spark/test_parity.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from resolver.clustering.constrained import constrained_clusters
from resolver.errors import ResolverError
from resolver.linkage.model import duckdb_work

ENGINES = ("duckdb", "spark")


@dataclass
class Engine:
    name: str = "duckdb"
    work: Callable[..., Any] = duckdb_work  # (table, settings) -> LinkWork
    cluster: Callable[..., Any] = constrained_clusters  # constrained_clusters' signature
    session: Any = None  # the Spark session, when there is one
    pool: Any = None  # maps the costly normalizers (None: local worker processes)
    notes: list[str] = field(default_factory=list)


def open_engine(name: str = "duckdb", *, session: Any = None) -> Engine:
    """The engine called ``name``; for Spark, on ``session`` or a new local one
    (:func:`resolver.spark.session.spark_session`)."""
    if name == "duckdb":
        return Engine("duckdb")
    if name != "spark":
        raise ResolverError(f"unknown engine {name!r}: one of {', '.join(ENGINES)}")
    try:
        # deferred: pyspark is an optional package (pip install 'resolver[spark]')
        from resolver.spark.engine import spark_engine
    except ImportError as exc:
        raise ResolverError(
            f"--engine spark needs pyspark: pip install 'resolver[spark]' ({exc})"
        ) from exc
    return spark_engine(session)
