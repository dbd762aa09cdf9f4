"""Benchmark: the CPU one ``POST /match`` scoring call costs, by number of candidates.

    python benchmarks/match_scoring.py --store-dir DIR [--calls 60] [--sizes 10,100,1000]

Opens the store ``DIR/resolver.duckdb`` (e.g. the API benchmark's, ``benchmarks/api.py
--store-dir DIR`` builds it) with a :class:`~resolver.matching.Matcher`, and scores
random stored customers against random sets of candidates of each size, two ways,
in one process, one call at a time:

- ``prepared``: the scorer as ``/match`` runs it (``RecordScorer.score``: Splink's SQL
  prepared once, the rows passed as a parameter);
- ``fresh``: the same SQL run as a query of its own on the two tables, registered as
  Arrow, planned for the call (``RecordScorer.score_fresh``: what ``/match`` did before).

Prints CPU milliseconds a call (``time.process_time``, mean and p95 over the calls) and
checks the two give the same scores. CPU time, not wall time, so a loaded machine
bends it less; note the load average beside it all the same.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from resolver import store
from resolver.matching import Matcher

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store-dir", type=Path, required=True)
    ap.add_argument("--calls", type=int, default=60, help="calls per size and way")
    ap.add_argument("--sizes", default="10,100,1000", help="candidates a call")
    ap.add_argument("--rules", type=Path, default=ROOT / "rules")
    ap.add_argument("--models", type=Path, default=ROOT / "models")
    args = ap.parse_args()
    con = store.connect(args.store_dir / "resolver.duckdb", read_only=True)
    try:
        matcher = Matcher.from_store(
            con, rules_dir=args.rules, models_dir=args.models, objects=["customer"]
        )
    finally:
        con.close()
    index = matcher._indexes["customer"]
    scorer = index.splink
    data = index.data.select(scorer.schema.names)
    n = data.num_rows
    rng = np.random.default_rng(7)
    print(f"{n:,} stored customer records; load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"{'candidates':>10} {'way':>9} {'cpu ms mean':>12} {'p95':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        jobs = [
            (data.take([int(i)]), data.take(np.sort(rng.choice(n, size, replace=False))))
            for i in rng.choice(n, args.calls, replace=False)
        ]
        for way, run in (
            ("prepared", scorer.score),
            ("fresh", scorer.score_fresh),
        ):
            run(*jobs[0])  # warm
            cpu = []
            for left, right in jobs:
                t = time.process_time()
                run(left, right)
                cpu.append(1000 * (time.process_time() - t))
            print(
                f"{size:>10} {way:>9} {np.mean(cpu):>12.1f} {np.percentile(cpu, 95):>8.1f}",
                flush=True,
            )
        for left, right in jobs[:10]:
            a, b = scorer.score(left, right), scorer.score_fresh(left, right)
            assert np.array_equal(a["match_weight"], b["match_weight"], equal_nan=True)
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
