"""One seeded builder for demo data and stores: the tests, the demo and the notebooks use it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from resolver.pipeline import RunSummary, run_batch

REPO = Path(__file__).resolve().parent.parent
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


def generate_world(out_dir: Path, *, customers: int = 600, seed: int = 11) -> Path:
    """Write a demo world into ``out_dir`` (exports + truth) and return the folder."""
    from resolver.demo import generate_demo_world

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
