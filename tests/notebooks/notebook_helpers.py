"""What both notebook suites (under a kernel and as plain scripts) share: the notebooks,
a digest of a rules folder and the environment that points a notebook at a store."""

from __future__ import annotations

import hashlib
from pathlib import Path

from resolver.demo.fixtures import REPO, DemoStore

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.py"))


def digest(folder: Path) -> str:
    """One hash over every YAML file of a rules folder (to tell it was not written)."""
    return hashlib.sha256(
        b"".join(p.read_bytes() for p in sorted(folder.rglob("*.yaml")))
    ).hexdigest()


def store_env(demo_store: DemoStore, tmp_path: Path) -> dict[str, str]:
    """The demo store and world, and a scratch workspace under ``tmp_path``."""
    return {
        "RESOLVER_DB": str(demo_store.db),
        "RESOLVER_DATA": str(demo_store.data_dir),
        "RESOLVER_WORKDIR": str(tmp_path / "work"),
    }
