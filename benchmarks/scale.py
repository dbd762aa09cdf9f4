"""Benchmark: the batch job at scale, against raw Splink on the same rows and model.

    python benchmarks/scale.py [--customers 400000] [--seed 7] [--out DIR]
                               [--skip-raw] [--skip-train]

On the demo world (``generate_demo_world(customers=N, seed)``; N=400,000 gives ~1M
customer rows and ~730k invoice rows, generated once into ``<out>/`` and reused),
three phases, each in its own child process so each has its own peak RSS
(``os.wait4``):

1. ``run``: ``resolver.pipeline.run_batch`` with the committed rules and models
   (``rules/``, ``models/``, ``retrain=False``): wall time per stage (the
   ``Progress`` timings), comparisons scored per object, the run's wall time.
2. ``raw``: raw Splink on the same normalized rows of each object (read back from
   the store as the run handed them to Splink: ``resolver.store.stages.input_sql``)
   with the same committed model (the ``"splink"`` part of ``models/<object>s.json``,
   with the blocking rules the run affords on these rows, as resolver's run keeps them:
   ``resolver.linkage.predict.affordable_settings``):
   ``linker.inference.predict`` at the same kept-pair threshold +
   ``cluster_pairwise_predictions_at_threshold`` at the auto-link threshold. Two
   ratios: resolver (link + cluster customer) / raw (predict + cluster customer), and
   the **whole run / raw Splink's predict + cluster of both objects**, measured in
   the same benchmark run. Also printed: everything but resolver's own scoring (its
   link and cluster stages) over that scoring. Raw Splink's DuckDB gets ``--raw-memory-limit`` (8GB; it
   spills to ``<out>/scale/raw-tmp``): with DuckDB's default (80% of RAM) it went past
   18 GB at 1M rows on this shared machine. resolver's own run has no such limit.
3. ``train``: ``train_model`` for both objects on the run's own inputs (read back
   from its store; saved to ``<out>/scale/trained-models``, never ``models/``); with
   ``--train-via-pipeline``, ``resolver.pipeline.train`` on the world instead (which
   re-runs ingest, link, cluster and proposals around the training stages).

``--reuse-run`` takes phase 1 from an earlier ``<out>/scale/run.json`` and its store;
``--render FILE`` reprints the table of a saved ``scale.json``.

Progress goes to stderr, the table to stdout, every figure to ``<out>/scale.json``.
Targets (2-core machine): whole run < 180 s, peak RSS < 6 GB, link+cluster <= 1.2x
raw Splink, whole run <= 2x raw Splink (both objects), everything but the scoring
<= the scoring, training at 1M < 100 s.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
from _common import log

from resolver.progress import Progress

TARGETS = {
    "run_seconds": 180.0,
    "peak_rss_gb": 6.0,
    "link_cluster_ratio": 1.2,
    "whole_run_ratio": 2.0,
    "rest_over_scoring": 1.0,
    "train_seconds": 100.0,
}


class LogProgress(Progress):
    """A resolver Progress that also keeps CPU seconds per stage and logs each stage's end."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: dict[str, float] = {}

    def _open(self, name: str, total: int | None, unit: str):
        self._name, self._t, self._c = name, time.perf_counter(), time.process_time()
        return lambda n=1: None

    def _close(self) -> None:
        cpu = time.process_time() - self._c
        self.cpu[self._name] = self.cpu.get(self._name, 0.0) + cpu
        log(f"  {self._name} done in {time.perf_counter() - self._t:.1f}s (cpu {cpu:.1f}s)")


def _fresh(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in path.parent.glob(path.name + "*"):
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    return path


# ---------------------------------------------------------------- phases (children)


def phase_run(world: Path, work: Path) -> dict:
    import resolver.pipeline as pipeline

    db = _fresh(work / "scale.duckdb")
    progress = LogProgress()
    # the "link <object>" stage starts after the input is registered with Splink: time
    # the whole score_pairs call too (registering + prior + blocking + predict + export)
    score_seconds: dict[str, float] = {}
    score_pairs = pipeline.score_pairs

    def timed_score_pairs(table, model, rules, **kw):
        t = time.perf_counter()
        try:
            return score_pairs(table, model, rules, **kw)
        finally:
            score_seconds[rules.object] = round(time.perf_counter() - t, 2)

    pipeline.score_pairs = timed_score_pairs
    t0 = time.perf_counter()
    summary = pipeline.run_batch(
        rules_dir=common.ROOT / "rules",
        db_path=db,
        data_dir=world,
        models_dir=common.ROOT / "models",
        retrain=False,
        progress=progress,
    )
    seconds = time.perf_counter() - t0
    return {
        "score_pairs_seconds": score_seconds,
        "seconds": round(seconds, 2),
        "timings": {k: round(v, 2) for k, v in progress.timings.items()},
        "cpu_timings": {k: round(v, 2) for k, v in progress.cpu.items()},
        "rows": {o: r.records for o, r in summary.objects.items()},
        "pairs_scored": {o: int(r.pairs_scored) for o, r in summary.objects.items()},
        "pairs_kept": {o: int(r.pairs_kept) for o, r in summary.objects.items()},
        "auto_links": {o: int(r.auto_links) for o, r in summary.objects.items()},
        "rows_read": sum(x.rows_read for x in summary.loads),
        "db": str(db),
    }


def phase_raw(db: Path, memory_limit: str | None) -> dict:
    """Raw Splink predict + cluster on the store's normalized rows of both objects.

    The customer figures stay at the top level (as before); each object's are under
    ``objects``, and ``total_seconds`` is predict + cluster of both."""
    objects = {obj: _raw_one(db, obj, memory_limit) for obj in ("customer", "invoice")}
    out = dict(objects["customer"])
    out["objects"] = objects
    out["total_seconds"] = round(
        sum(r["predict_seconds"] + r["cluster_seconds"] for r in objects.values()), 2
    )
    return out


def _raw_one(db: Path, obj: str, memory_limit: str | None) -> dict:
    """Raw Splink on one object's rows as the run handed them to Splink (the invoices
    with their customer's entity), with the committed model's settings."""
    import duckdb
    from splink import DuckDBAPI, Linker

    from resolver.linkage.model import load_model_and_rules
    from resolver.linkage.predict import KEEP_PROBABILITY, affordable_settings
    from resolver.store.stages import input_sql

    model, rules = load_model_and_rules(common.ROOT / "models", common.ROOT / "rules", obj)
    src = duckdb.connect(str(db), read_only=True)
    table = src.sql(input_sql(obj, rules.input_columns(), prefix="")).to_arrow_table()
    src.close()
    # the blocking rules the run could afford on these rows, as resolver's run used
    notes: list[str] = []
    settings = affordable_settings(table, model, rules, notes)
    n_rules = len(settings["blocking_rules_to_generate_predictions"])
    log(f"  raw: {table.num_rows:,} {obj} rows read from the store; {n_rules} blocking rules")
    config = {"temp_directory": str(db.parent / "raw-tmp"), "max_temp_directory_size": "40GB"}
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(config=config)
    db_api = DuckDBAPI(con)
    sdf = db_api.register(table, table_name=f"raw_{obj}_input")
    linker = Linker(sdf, settings, log_level=logging.ERROR)
    t0, c0 = time.perf_counter(), time.process_time()
    pred = linker.inference.predict(threshold_match_probability=KEEP_PROBABILITY)
    t1, c1 = time.perf_counter(), time.process_time()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pred, threshold_match_probability=rules.thresholds.auto_link
    )
    t2, c2 = time.perf_counter(), time.process_time()
    n_pairs = con.execute(f"SELECT count(*) FROM {pred.physical_name}").fetchall()[0][0]
    n_clusters = con.execute(
        f"SELECT count(DISTINCT cluster_id) FROM {clusters.physical_name}"
    ).fetchall()[0][0]
    con.close()
    log(f"  raw {obj}: predict {t1 - t0:.1f}s, cluster {t2 - t1:.1f}s")
    return {
        "rows": table.num_rows,
        "duckdb_memory_limit": memory_limit or "DuckDB default (80% of RAM)",
        "predict_seconds": round(t1 - t0, 2),
        "cluster_seconds": round(t2 - t1, 2),
        "predict_cpu_seconds": round(c1 - c0, 2),
        "cluster_cpu_seconds": round(c2 - c1, 2),
        "pairs_kept": int(n_pairs),
        "clusters": int(n_clusters),
        "blocking_rules": n_rules,
        "blocking_notes": notes,
    }


def phase_train_models(db: Path, work: Path) -> dict:
    """``train_model`` for both objects on the run's own inputs, read from its store.

    The customer input is what the batch job hands Splink (``input_sql``); the
    invoice input carries ``customer_entity_id`` from the run's customer entities.
    """
    import duckdb

    from resolver.linkage.model import load_model_and_rules, save_model, train_model
    from resolver.store.stages import input_sql

    rules = {
        o: load_model_and_rules(common.ROOT / "models", common.ROOT / "rules", o)[1]
        for o in ("customer", "invoice")
    }
    models = work / "trained-models"
    con = duckdb.connect(str(db), read_only=True)
    progress = LogProgress()
    t0 = time.perf_counter()
    rows = {}
    for obj in ("customer", "invoice"):
        table = con.sql(input_sql(obj, rules[obj].input_columns(), prefix="")).to_arrow_table()
        model = train_model(table, rules[obj], progress=progress)
        save_model(model, models)
        rows[obj] = model.meta["rows_trained_on"]
    con.close()
    timings = {k: round(v, 2) for k, v in progress.timings.items()}
    return {
        "how": "resolver.linkage.model.train_model on the run's inputs (from its store)",
        "seconds_total": round(time.perf_counter() - t0, 2),
        "train_seconds": {o: timings.get(f"train {o}", 0.0) for o in ("customer", "invoice")},
        "rows_trained_on": rows,
        "timings": timings,
        "cpu_timings": {k: round(v, 2) for k, v in progress.cpu.items()},
    }


def phase_train(world: Path, work: Path) -> dict:
    """``resolver train`` as a user runs it: ingest, then link both objects with retraining."""
    from resolver.pipeline import train

    db = _fresh(work / "train.duckdb")
    models = work / "trained-models"
    shutil.rmtree(models, ignore_errors=True)
    progress = LogProgress()
    t0 = time.perf_counter()
    trained = train(
        rules_dir=common.ROOT / "rules",
        db_path=db,
        data_dir=world,
        models_dir=models,
        progress=progress,
    )
    seconds = time.perf_counter() - t0
    timings = {k: round(v, 2) for k, v in progress.timings.items()}
    return {
        "how": "resolver.pipeline.train (ingest + link with retraining, scratch store)",
        "seconds_total": round(seconds, 2),
        "train_seconds": {o: timings.get(f"train {o}", 0.0) for o in ("customer", "invoice")},
        "rows_trained_on": {o: m.meta["rows_trained_on"] for o, m in trained.items()},
        "timings": timings,
    }


# ---------------------------------------------------------------- parent


def _child(phase: str, args: argparse.Namespace, extra: list[str]) -> tuple[dict, float]:
    """Run one phase in a child process; its result (with the child's CPU seconds and
    the load average around it) and its own peak RSS in GB."""
    out = args.out / "scale" / f"{phase}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--phase", phase, "--result", str(out)]
    cmd += ["--out", str(args.out), *extra]
    log(f"phase {phase}: {' '.join(cmd[1:])}")
    load_before = os.getloadavg()[0]
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"phase {phase} failed with exit code {proc.returncode}")
    res = json.loads(out.read_text())
    res["process_cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    res["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return res, usage.ru_maxrss / (1024 * 1024)


def scoring_seconds(run: dict) -> float:
    """resolver's own scoring in a run: its link and cluster stages, both objects."""
    return sum(v for k, v in run["timings"].items() if k.split(" ")[0] in ("link", "cluster"))


def table(doc: dict) -> str:
    run, raw, tr = doc["run"], doc.get("raw"), doc.get("train")
    lines = [
        f"world: customers={doc['customers']:,} seed={doc['seed']}  "
        f"customer rows {run['rows'].get('customer', 0):,}  "
        f"invoice rows {run['rows'].get('invoice', 0):,}",
        "",
        f"{'stage':<28} {'wall s':>8} {'cpu s':>8}",
        "-" * 46,
    ]
    cpu = run.get("cpu_timings", {})
    lines += [f"{k:<28} {v:>8.1f} {cpu.get(k, 0):>8.1f}" for k, v in run["timings"].items()]
    lines += [
        "-" * 46,
        f"{'whole run (run_batch)':<28} {run['seconds']:>8.1f} "
        f"{run.get('process_cpu_seconds', float('nan')):>8.1f}",
        f"load average (1 min) before / after the run: {run.get('load_average_1min', '?')}",
        "",
    ]
    for o in run["pairs_scored"]:
        lines.append(
            f"{o:<9} comparisons scored {run['pairs_scored'][o]:>12,}  kept "
            f"{run['pairs_kept'][o]:>10,}  auto-links {run['auto_links'][o]:>9,}"
        )
    lines.append("")
    lines.append(f"{'figure':<44} {'value':>10} {'target':>10} {'met':>4}")
    lines.append("-" * 71)

    def row(name: str, value: float | None, target: float, fmt: str = "{:.1f}") -> None:
        if value is None:
            lines.append(f"{name:<44} {'-':>10} {fmt.format(target):>10} {'-':>4}")
            return
        met = "yes" if value <= target else "NO"
        lines.append(f"{name:<44} {fmt.format(value):>10} {fmt.format(target):>10} {met:>4}")

    row("whole run, s", run["seconds"], TARGETS["run_seconds"])
    row("peak RSS of the run, GB", doc["rss_gb"]["run"], TARGETS["peak_rss_gb"], "{:.2f}")
    if raw:
        ours = run["timings"].get("link customer", 0) + run["timings"].get("cluster customer", 0)
        lines.append(f"{'resolver link+cluster customer, s':<44} {ours:>10.1f}")
        whole = run.get("score_pairs_seconds", {}).get("customer")
        if whole is not None:
            whole += run["timings"].get("cluster customer", 0)
            lines.append(f"{'  same, with registering the input, s':<44} {whole:>10.1f}")
        lines.append(
            f"{'raw Splink predict+cluster, s':<44} "
            f"{raw['predict_seconds'] + raw['cluster_seconds']:>10.1f}"
            f"   (predict {raw['predict_seconds']:.1f}, cluster {raw['cluster_seconds']:.1f};"
            f" cpu {raw['predict_cpu_seconds']:.1f} + {raw['cluster_cpu_seconds']:.1f})"
        )
        row("ratio resolver / raw", doc["ratio"], TARGETS["link_cluster_ratio"], "{:.2f}")
        for o, r in raw.get("objects", {}).items():
            lines.append(
                f"{'raw Splink ' + o + ' predict+cluster, s':<44} "
                f"{r['predict_seconds'] + r['cluster_seconds']:>10.1f}   ({r['rows']:,} rows)"
            )
        if "total_seconds" in raw:
            lines.append(
                f"{'raw Splink predict+cluster, both objects, s':<44} {raw['total_seconds']:>10.1f}"
            )
            row(
                "whole run / raw Splink (both objects)",
                doc.get("whole_run_ratio"),
                TARGETS["whole_run_ratio"],
                "{:.2f}",
            )
            raw_cpu = sum(
                r["predict_cpu_seconds"] + r["cluster_cpu_seconds"] for r in raw["objects"].values()
            )
            run_cpu = run.get("process_cpu_seconds")
            if raw_cpu and run_cpu:
                lines.append(
                    f"{'  same in CPU seconds (run / raw)':<44} {run_cpu / raw_cpu:>10.2f}"
                    f"   ({run_cpu:.1f} / {raw_cpu:.1f}: on a busy machine wall time waits)"
                )
        lines.append(f"{'peak RSS of raw Splink, GB':<44} {doc['rss_gb']['raw']:>10.2f}")
    scoring = scoring_seconds(run)
    lines.append(f"{'resolver scoring (link + cluster, both), s':<44} {scoring:>10.1f}")
    row(
        "everything else / scoring",
        round((run["seconds"] - scoring) / scoring, 3) if scoring else None,
        TARGETS["rest_over_scoring"],
        "{:.2f}",
    )
    if tr:
        total = sum(tr["train_seconds"].values())
        lines.append(f"training measured with {tr.get('how', 'resolver.pipeline.train')}")
        lines.append(
            f"{'training rows (customer / invoice)':<44} "
            f"{tr['rows_trained_on'].get('customer', 0):>,} / "
            f"{tr['rows_trained_on'].get('invoice', 0):>,}"
        )
        for o, s in tr["train_seconds"].items():
            lines.append(f"{'  train ' + o + ', s':<44} {s:>10.1f}")
        row("training at this size (both models), s", total, TARGETS["train_seconds"])
        lines.append(f"{'peak RSS of training, GB':<44} {doc['rss_gb']['train']:>10.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__)
    ap.formatter_class = argparse.RawDescriptionHelpFormatter
    ap.add_argument("--customers", type=int, default=400_000, help="true customers (%(default)s)")
    ap.add_argument("--seed", type=int, default=7, help="demo world seed (%(default)s)")
    ap.add_argument("--out", type=Path, default=common.OUT, help="work folder (%(default)s)")
    ap.add_argument("--skip-raw", action="store_true", help="no raw Splink comparison")
    ap.add_argument("--skip-train", action="store_true", help="no training measurement")
    ap.add_argument(
        "--train-via-pipeline",
        action="store_true",
        help="time training through resolver.pipeline.train (a second whole ingest + link "
        "+ proposals) instead of train_model on the run's own inputs",
    )
    ap.add_argument(
        "--raw-memory-limit",
        default="8GB",
        help="DuckDB memory_limit for raw Splink ('' = DuckDB's default, 80%% of RAM: at 1M "
        "rows that took >18 GB here); it spills to <out>/scale/raw-tmp (%(default)s)",
    )
    ap.add_argument(
        "--reuse-run",
        action="store_true",
        help="take the run phase from an earlier <out>/scale/run.json and its store",
    )
    ap.add_argument("--run-rss-gb", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--render", type=Path, help="print the table of a saved scale.json and stop")
    ap.add_argument("--phase", choices=("run", "raw", "train"), help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--world", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.render:
        print(table(json.loads(args.render.read_text())))
        return 0
    args.out = args.out.resolve()
    work = args.out / "scale"
    work.mkdir(parents=True, exist_ok=True)

    if args.phase:  # a child: one phase, result as JSON
        if args.phase == "run":
            res = phase_run(args.world, work)
        elif args.phase == "raw":
            res = phase_raw(args.db, args.raw_memory_limit or None)
        else:
            db = work / "scale.duckdb"
            if args.train_via_pipeline or not db.is_file():
                res = phase_train(args.world, work)
            else:
                res = phase_train_models(db, work)
        args.result.write_text(json.dumps(res, indent=2))
        return 0

    world = common.demo_world(args.customers, seed=args.seed, out=args.out)
    doc: dict = {"customers": args.customers, "seed": args.seed, "rss_gb": {}}
    if args.reuse_run:
        doc["run"] = json.loads((work / "run.json").read_text())
        doc["run"]["reused"] = True
        doc["rss_gb"]["run"] = args.run_rss_gb or float("nan")
        log(f"run phase reused from {work / 'run.json'}")
    else:
        doc["run"], doc["rss_gb"]["run"] = _child("run", args, ["--world", str(world)])
        (work / "run.json").write_text(json.dumps(doc["run"], indent=2))
    if not args.skip_raw:
        extra = ["--db", doc["run"]["db"], "--raw-memory-limit", args.raw_memory_limit]
        doc["raw"], doc["rss_gb"]["raw"] = _child("raw", args, extra)
        ours = doc["run"]["timings"].get("link customer", 0) + doc["run"]["timings"].get(
            "cluster customer", 0
        )
        raw = doc["raw"]["predict_seconds"] + doc["raw"]["cluster_seconds"]
        doc["ratio"] = round(ours / raw, 3) if raw else None
        total = doc["raw"]["total_seconds"]
        doc["whole_run_ratio"] = round(doc["run"]["seconds"] / total, 3) if total else None
    if not args.skip_train:
        extra = ["--world", str(world)] + (["--train-via-pipeline"] * args.train_via_pipeline)
        doc["train"], doc["rss_gb"]["train"] = _child("train", args, extra)
    doc["rss_gb"] = {k: round(v, 3) for k, v in doc["rss_gb"].items()}
    doc["targets"] = TARGETS
    print(table(doc))
    common.write_json(args.out / "scale.json", doc)
    log(f"wrote {args.out / 'scale.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
