"""One small demo world per test session, read back through the source contracts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from resolver.demo import DemoSummary, generate_demo_world

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "rules" / "sources"
SMALL = 2000  # entities in the session's world (the default size)
SEED = 11


@dataclass
class Source:
    """One export file, read as text, with its contract and its reject rows."""

    contract: dict
    frame: pd.DataFrame  # every cell a str ("" when missing)
    rejected: set[int]  # 1-based data row numbers listed in truth/rejects.csv

    @property
    def key(self) -> tuple[str, str]:
        return self.contract["system"], self.contract["object"]

    def col(self, field: str) -> str:
        return self.contract["fields"][field]

    @property
    def ok(self) -> pd.DataFrame:
        """The rows ingest must accept."""
        keep = [i + 1 not in self.rejected for i in range(len(self.frame))]
        return self.frame[keep]


@dataclass
class World:
    root: Path
    summary: DemoSummary
    sources: dict[tuple[str, str], Source]

    def truth(self, name: str) -> pd.DataFrame:
        return read_text(self.root / "truth" / name)


def read_text(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path).astype(object).fillna("").astype(str)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def load_contracts() -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted(CONTRACTS.glob("*.yaml"))]


def load_world(root: Path, summary: DemoSummary) -> World:
    rejects = read_text(root / "truth" / "rejects.csv")
    sources = {}
    for contract in load_contracts():
        rows = rejects[rejects["file"] == contract["file"]]["row"].astype(int)
        src = Source(contract, read_text(root / contract["file"]), set(rows))
        sources[src.key] = src
    return World(root, summary, sources)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("demo") / "world"
    summary = generate_demo_world(root, customers=SMALL, seed=SEED)
    return load_world(root, summary)
