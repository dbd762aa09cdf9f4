"""The batch job's output, hashed: the check that a speed change changed nothing.

    python benchmarks/output_hashes.py [--customers 1500] [--seed 5] [--out DIR]
                                       [--compare BEFORE.json]

Generates the demo world (``resolver.demo.fixtures.generate_world``, once, under
``<out>/world-<customers>-s<seed>``), runs ``resolver.pipeline.run_batch`` twice on it
with the repo's ``rules/`` and committed ``models/`` (the second run carries entity ids
and events over from the first), each at a fixed ``as_of``, then writes to
``<out>/hashes.json``: per stored table its row count, columns and a hash of its rows
(sorted; run times left out), and every report stored, times left out (its verdicts,
counts and examples). ``--compare`` prints the tables and report keys that differ from
an earlier file and exits 1 when any does.

Run it on the code before a change (``git stash``), then after, with ``--compare``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
import duckdb
from _common import log

from resolver.demo.fixtures import generate_world
from resolver.pipeline import run_batch
from resolver.review.view_file import VIEW_KEY

# columns holding when a run happened, not what it produced
TIME_COLUMNS = {"started_at", "finished_at", "summary", "loaded_at", "created_at", "json"}
TIME_KEYS = ("seconds", "timings", "_at", "time", "duration")


def _scrub(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _scrub(v) for k, v in x.items() if not any(t in k for t in TIME_KEYS)}
    if isinstance(x, list):
        return [_scrub(v) for v in x]
    return x


def hashes(db: Path) -> dict[str, Any]:
    """Every stored table's row count, columns and row hash, and the stored reports."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out: dict[str, Any] = {}
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1"
        ).fetchall()
        for (t,) in tables:
            cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()]
            keep = [c for c in cols if c not in TIME_COLUMNS]
            df = con.execute(f"SELECT {', '.join(keep)} FROM {t}").df()
            if t == "meta":  # the review view's folder is named anew at each publish
                df = df[df["key"] != VIEW_KEY]
            df = df.astype(str).sort_values(keep).reset_index(drop=True)
            digest = hashlib.sha256(df.to_csv().encode()).hexdigest()[:16]
            out[t] = [len(df), keep, digest]
        docs = con.execute("SELECT json FROM reports ORDER BY run_id").fetchall()
        out["reports"] = [_scrub(json.loads(d)) for (d,) in docs]
    finally:
        con.close()
    return out


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__)
    ap.formatter_class = argparse.RawDescriptionHelpFormatter
    ap.add_argument("--customers", type=int, default=1500, help="true customers (%(default)s)")
    ap.add_argument("--seed", type=int, default=5, help="demo world seed (%(default)s)")
    ap.add_argument("--out", type=Path, default=common.OUT / "hashes", help="work folder")
    ap.add_argument("--compare", type=Path, help="an earlier hashes.json to compare with")
    args = ap.parse_args(argv)

    world = args.out / f"world-{args.customers}-s{args.seed}"
    if not (world / ".complete").is_file():
        log(f"generating world customers={args.customers} seed={args.seed} -> {world}")
        shutil.rmtree(world, ignore_errors=True)
        generate_world(world, customers=args.customers, seed=args.seed)
        (world / ".complete").write_text("ok\n")
    store = args.out / "store"
    shutil.rmtree(store, ignore_errors=True)
    store.mkdir(parents=True)
    db = store / "s.duckdb"
    for day in (1, 2):
        run_batch(
            rules_dir=common.ROOT / "rules",
            db_path=db,
            data_dir=world,
            models_dir=common.ROOT / "models",
            as_of=datetime(2026, 1, day),
        )
    found = hashes(db)
    path = args.out / "hashes.json"
    path.write_text(json.dumps(found, indent=1, sort_keys=True, default=str))
    log(f"wrote {path}")
    if args.compare:
        diff = differences(json.loads(args.compare.read_text()), json.loads(path.read_text()))
        print("differ: " + ", ".join(diff) if diff else "same output: every table and report")
        return 1 if diff else 0
    print(f"{len(found) - 1} tables and {len(found['reports'])} reports hashed into {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
