"""Shared fixtures: one seeded demo world and one store built from it, per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_groups import make_scheduler, run_group

from resolver.demo.fixtures import DemoStore, build_demo_store, generate_world

ROOT = Path(__file__).resolve().parent.parent


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    return make_scheduler(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Spark tests first: the longest group starts at once rather than last, while the
    other worker runs the rest (the order of the tests within a file is kept)."""
    items.sort(key=lambda item: run_group(item.nodeid) != "spark")


@pytest.fixture(autouse=True, scope="session")
def _run_from_repo_root() -> None:
    import os

    os.chdir(ROOT)


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo world (exports + truth), generated once."""
    return generate_world(tmp_path_factory.mktemp("world"), customers=600, seed=11)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory, demo_world: Path) -> DemoStore:
    """The demo world run through the batch job with the committed models."""
    return build_demo_store(tmp_path_factory.mktemp("store"), data_dir=demo_world)


@pytest.fixture
def workdir(demo_store: DemoStore, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the demo store and world, free to change: (db, data_dir)."""
    return demo_store.copy_to(tmp_path)
