"""The session's demo store, opened read-only, and writable copies of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from resolver import store
from resolver.demo.fixtures import DemoStore
from resolver.tuning import Workspace, workspace


@pytest.fixture
def con(demo_store: DemoStore) -> Iterator[duckdb.DuckDBPyConnection]:
    c = store.connect(demo_store.db, read_only=True)
    yield c
    c.close()


@pytest.fixture
def ws(demo_store: DemoStore, tmp_path: Path) -> Workspace:
    """A workspace over the session's demo store and world."""
    env = {"RESOLVER_DB": str(demo_store.db), "RESOLVER_DATA": str(demo_store.data_dir)}
    return workspace(tmp_path / "work", env=env)
