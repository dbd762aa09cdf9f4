"""Benchmark: the batch job on DuckDB against local Spark, stage by stage, on one world.

    python benchmarks/spark_vs_duckdb.py [--customers 40000] [--seed 7] [--out DIR]
                                         [--partitions N]

Generates the demo world (``--customers 40000`` gives about 100k customer rows and
73k invoice rows; written once into ``<out>/world`` and reused), then runs
``resolver.pipeline.run_batch`` with the committed rules and models on each engine into
its own store: first DuckDB, then Spark (``local[*]``, one session; its start-up is
timed apart). Prints per-stage wall times side by side, whether both runs agree (pairs,
members), and writes every figure to ``<out>/spark_vs_duckdb.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resolver.demo.fixtures import MODELS, RULES, generate_world  # noqa: E402
from resolver.engine import open_engine  # noqa: E402
from resolver.pipeline import run_batch  # noqa: E402


def _run(world: Path, db: Path, engine: object) -> dict:
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    started = time.perf_counter()
    summary = run_batch(
        rules_dir=RULES, db_path=db, data_dir=world, models_dir=MODELS, engine=engine
    )
    return {
        "seconds": time.perf_counter() - started,
        "load_average_after": os.getloadavg(),
        "timings": summary.timings,
        "records": {o: r.records for o, r in summary.objects.items()},
        "pairs_scored": {o: r.pairs_scored for o, r in summary.objects.items()},
    }


def _agree(a: Path, b: Path) -> dict:
    out = {}
    for obj in ("customer", "invoice"):
        sets = []
        for db in (a, b):
            con = duckdb.connect(str(db), read_only=True)
            pairs = con.execute(
                f"SELECT record_key_l, record_key_r, match_weight FROM {obj}_pairs ORDER BY 1, 2"
            ).fetchall()
            members = con.execute(
                f"SELECT record_key, entity_id FROM {obj}_members ORDER BY 1"
            ).fetchall()
            con.close()
            sets.append((pairs, members))
        (pa_, ma), (pb, mb) = sets
        same_keys = [p[:2] for p in pa_] == [p[:2] for p in pb]
        diff = max((abs(x[2] - y[2]) for x, y in zip(pa_, pb, strict=False)), default=0.0)
        out[obj] = {
            "pairs": len(pa_),
            "same_pairs": same_keys,
            "max_weight_diff": diff if same_keys else None,
            "same_entity_ids": ma == mb,
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=40_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("/tmp/resolver-spark-bench"))
    ap.add_argument("--partitions", type=int, default=None, help="spark.sql.shuffle.partitions")
    args = ap.parse_args()
    logging.getLogger("py4j").setLevel(logging.ERROR)
    world = args.out / f"world-{args.customers}-{args.seed}"
    if not (world / "truth").is_dir():
        shutil.rmtree(world, ignore_errors=True)
        generate_world(world, customers=args.customers, seed=args.seed)
    result: dict = {"customers": args.customers, "seed": args.seed}
    print("duckdb run ...", file=sys.stderr, flush=True)
    result["duckdb"] = _run(world, args.out / "duckdb.duckdb", "duckdb")
    out = args.out / "spark_vs_duckdb.json"
    out.write_text(json.dumps(result, indent=2))  # kept should the Spark run fail
    print("spark session ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    # pyspark is the optional package this benchmark is about
    from resolver.spark.session import spark_session

    session = spark_session(shuffle_partitions=args.partitions)
    result["spark_session_seconds"] = time.perf_counter() - started
    print("spark run ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        result["spark"] = _run(
            world, args.out / "spark.duckdb", open_engine("spark", session=session)
        )
        result["agree"] = _agree(args.out / "duckdb.duckdb", args.out / "spark.duckdb")
    except Exception as exc:  # a failed Spark run is a result too (where, after how long)
        result["spark_failed"] = {
            "after_seconds": time.perf_counter() - started,
            "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}",
        }
    finally:
        session.stop()
    out.write_text(json.dumps(result, indent=2))
    _print(result)


def _print(r: dict) -> None:
    if "spark_failed" in r:
        f = r["spark_failed"]
        print(f"duckdb whole run {r['duckdb']['seconds']:.1f} s; stages: {r['duckdb']['timings']}")
        print(f"spark run failed after {f['after_seconds']:.0f} s: {f['error']}")
        return
    d, s = r["duckdb"], r["spark"]
    recs = d["records"]
    print(
        f"demo world --customers {r['customers']} --seed {r['seed']}: "
        f"{recs.get('customer', 0):,} customer rows, {recs.get('invoice', 0):,} invoice rows"
    )
    print(f"{'stage':<28} {'duckdb s':>10} {'spark s':>10} {'ratio':>7}")
    print(f"{'spark session start':<28} {'':>10} {r['spark_session_seconds']:>10.1f}")
    for stage in dict.fromkeys([*d["timings"], *s["timings"]]):
        a, b = d["timings"].get(stage), s["timings"].get(stage)
        ratio = f"{b / a:>7.1f}" if a and b else ""
        fa = f"{a:>10.1f}" if a is not None else f"{'':>10}"
        fb = f"{b:>10.1f}" if b is not None else f"{'':>10}"
        print(f"{stage:<28} {fa} {fb} {ratio}")
    print(
        f"{'whole run':<28} {d['seconds']:>10.1f} {s['seconds']:>10.1f} {s['seconds'] / d['seconds']:>7.1f}"
    )
    load = ", ".join(f"{x:.1f}" for x in s["load_average_after"])
    print(f"load average after the Spark run: {load}")
    for obj, a in r["agree"].items():
        print(
            f"{obj}: {a['pairs']:,} pairs; same pairs {a['same_pairs']}, max weight difference "
            f"{a['max_weight_diff']}, same entity ids {a['same_entity_ids']}"
        )


if __name__ == "__main__":
    main()
