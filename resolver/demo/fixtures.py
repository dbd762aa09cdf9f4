"""One seeded builder for demo data and stores: the tests, the demo and the notebooks use it."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resolver.demo import generate_demo_world
from resolver.pipeline import RunSummary, run_batch

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
MODELS = REPO / "models"


@dataclass(frozen=True)
class DemoStore:
    db: Path
    data_dir: Path
    rules_dir: Path
    models_dir: Path
    summary: RunSummary

    @property
    def truth_dir(self) -> Path:
        return self.data_dir / "truth"

    def copy_to(self, dest: Path) -> tuple[Path, Path]:
        """A private copy of the store file (``dest/s.duckdb``) and the world
        (``dest/world``), free to change: (db, data_dir)."""
        world = Path(dest) / "world"
        shutil.copytree(self.data_dir, world)
        db = Path(dest) / "s.duckdb"
        shutil.copy(self.db, db)
        return db, world

    def run(self, db: Path, data_dir: Path | None = None, **kw: Any) -> RunSummary:
        """The batch job on ``db`` with this store's rules, models and (unless given)
        world; ``kw`` overrides any other ``run_batch`` argument."""
        args = {"rules_dir": self.rules_dir, "models_dir": self.models_dir} | kw
        return run_batch(db_path=db, data_dir=data_dir or self.data_dir, **args)

    def run_command(self, db: Path, *extra: str) -> list[str]:
        """``python -m resolver run`` on ``db`` with this store's rules, world and models."""
        return [
            sys.executable,
            "-m",
            "resolver",
            "run",
            "--rules",
            str(self.rules_dir),
            "--data",
            str(self.data_dir),
            "--db",
            str(db),
            "--models",
            str(self.models_dir),
            *extra,
        ]


def generate_world(out_dir: Path, *, customers: int = 600, seed: int = 11) -> Path:
    """Write a demo world into ``out_dir`` (exports + truth) and return the folder."""

    generate_demo_world(Path(out_dir), customers=customers, seed=seed)
    return Path(out_dir)


def build_demo_store(
    workdir: Path,
    *,
    data_dir: Path | None = None,
    customers: int = 600,
    seed: int = 11,
    rules_dir: Path = RULES,
    models_dir: Path = MODELS,
    retrain: bool = False,
) -> DemoStore:
    """Generate (unless ``data_dir`` is given) a demo world and run the batch job on it."""
    workdir = Path(workdir)
    if data_dir is None:
        data_dir = generate_world(workdir / "data", customers=customers, seed=seed)
    db = workdir / "resolver.duckdb"
    summary = run_batch(
        rules_dir=rules_dir,
        db_path=db,
        data_dir=data_dir,
        models_dir=models_dir,
        retrain=retrain,
    )
    return DemoStore(db, Path(data_dir), Path(rules_dir), Path(models_dir), summary)
