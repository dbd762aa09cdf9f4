"""API fixtures: copies of the demo store, keys for each role, an in-process client
and a real uvicorn server on a free localhost port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import LiveServer, copy_store, make_app
from fastapi.testclient import TestClient

from resolver.demo.fixtures import DemoStore


@pytest.fixture(scope="session")
def api_db(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_store(demo_store, tmp_path_factory.mktemp("api-store"))


@pytest.fixture(scope="session")
def client(api_db: Path) -> Iterator[TestClient]:
    """In-process client over one store copy for the whole session."""
    with TestClient(make_app(api_db), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def live(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real uvicorn server (in a thread) over its own store copy."""
    db = copy_store(demo_store, tmp_path_factory.mktemp("live-store"))
    with LiveServer(make_app(db), db) as server:
        yield server
