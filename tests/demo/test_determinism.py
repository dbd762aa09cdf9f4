"""Same seed, same bytes; another seed, another world."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from resolver.demo import generate_demo_world

if TYPE_CHECKING:
    from tests.demo.conftest import World


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_identical_bytes(world: World, tmp_path: Path) -> None:
    generate_demo_world(
        tmp_path / "again", customers=world.summary.customers, seed=world.summary.seed
    )
    first, again = _files(world.root), _files(tmp_path / "again")
    assert sorted(first) == sorted(again)
    assert [f for f in first if first[f] != again[f]] == []


def test_other_seed_gives_other_world(world: World, tmp_path: Path) -> None:
    generate_demo_world(
        tmp_path / "other", customers=world.summary.customers, seed=world.summary.seed + 1
    )
    first, other = _files(world.root), _files(tmp_path / "other")
    assert all(first[f] != other[f] for f in first if not f.endswith("patterns.json"))


def test_progress_and_size_guard(tmp_path: Path) -> None:
    steps: list[str] = []
    s = generate_demo_world(tmp_path / "tiny", customers=200, seed=1, progress=steps.append)
    assert steps[0] == "customers" and len(steps) >= 4
    assert s.customers == 200 and s.elapsed_seconds > 0
    with pytest.raises(ValueError, match="at least 50"):
        generate_demo_world(tmp_path / "none", customers=10)
