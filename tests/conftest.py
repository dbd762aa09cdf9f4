"""Shared fixtures: one seeded demo world and one store built from it, per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.demo.fixtures import DemoStore, build_demo_store, generate_world

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``pytest -n N --dist loadgroup`` (``make test``) a test file runs on one
    worker, so its module fixtures are built once; and every Spark test runs on the same
    one, so the suite starts one JVM (Spark is heavy on a small machine)."""
    for item in items:
        rel = item.path.relative_to(ROOT / "tests").as_posix()
        group = "spark" if rel.startswith("spark/") else rel
        item.add_marker(pytest.mark.xdist_group(group))


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
