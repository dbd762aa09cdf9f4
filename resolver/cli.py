"""The `resolver` command line: demo data, ingest, train, run, export, evaluate, report, backup,
serve."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path
from typing import Any

from resolver import store
from resolver.clock import parse_as_of
from resolver.demo import generate_demo_world
from resolver.engine import ENGINES
from resolver.errors import ResolverError
from resolver.exports import export_fix_list
from resolver.exports.crosswalk import export_crosswalk
from resolver.ingest.contracts import load_contracts
from resolver.ingest.load import ingest
from resolver.ingest.source_volume import check_volumes
from resolver.pipeline import run_batch, train
from resolver.preflight import check_sources
from resolver.progress import cli_progress
from resolver.report import build_report, gate, load_report, render, summary_lines
from resolver.report.accuracy import TRUTH_FILES, evaluate, looks_like_truth, truth_file
from resolver.report.health_rules import load_health_rules
from resolver.review.view_file import write_view
from resolver.store import reports as store_reports
from resolver.store import run_lock
from resolver.store.backup import back_up
from resolver.store.disk_full import disk_full, is_disk_full
from resolver.store.runs import latest_run, list_runs

Command = Callable[[argparse.Namespace], int]
PLUGIN_GROUP = "resolver.commands"


def _demo_data(args: argparse.Namespace) -> int:

    summary = generate_demo_world(Path(args.out_dir), customers=args.customers, seed=args.seed)
    print(summary.format())
    return 0


def _ingest(args: argparse.Namespace) -> int:

    contracts = load_contracts(args.rules, data_dir=args.data)
    with run_lock.hold(args.db, wait=args.wait, command="ingest"):
        con = store.start_building(args.db, keep_all=True)
        try:
            loads = ingest(con, contracts, progress=cli_progress(args.log_format))
            check_volumes(loads, contracts, latest_run(con))
            store.finish_building(con, args.db, beside=write_view)
        except BaseException:
            store.abandon_building(con, args.db)
            raise
    for load in loads:
        print(load.format())
    total_read = sum(x.rows_read for x in loads)
    total_loaded = sum(x.rows_loaded for x in loads)
    print(
        f"{'total':<19} read {total_read:>9,}  loaded {total_loaded:>9,}  "
        f"rejected {total_read - total_loaded:>6,}"
    )
    return 0


def _train(args: argparse.Namespace) -> int:

    models = train(
        rules_dir=args.rules,
        db_path=args.db,
        data_dir=args.data,
        models_dir=args.models,
        progress=cli_progress(args.log_format),
        engine=args.engine,
    )
    for obj, model in models.items():
        meta = model.meta
        print(
            f"{obj:<9} trained on {meta['rows_trained_on']:,} rows  rules {meta['rules_hash']}  "
            f"-> {Path(args.models) / ('customers.json' if obj == 'customer' else 'invoices.json')}"
        )
        for line in _untrained_lines(model):
            print(line)
    return 0


def _untrained_lines(model: Any) -> list[str]:
    """One line per level no training pair reached, with the weight it was given (m = u:
    0 bits, no evidence either way), instead of one per missing estimate."""

    missing: dict[str, list[str]] = {}
    for entry in model.meta.get("untrained_levels", []):
        level, _, p = entry.rpartition(": ")
        missing.setdefault(level, []).append(p.removesuffix("_probability"))
    levels = {
        f"{c['output_column_name']}/{lv['label_for_charts']}": lv
        for c in model.splink["comparisons"]
        for lv in c["comparison_levels"]
    }
    out = []
    for level, params in missing.items():
        lv = levels.get(level, {})
        m, u = lv.get("m_probability"), lv.get("u_probability")
        weight = f"{math.log2(m / u):+.1f} bits" if m and u else "unknown"
        out.append(
            f"  note: level {level}: training did not estimate its {' and '.join(params)}; "
            f"weight set to {weight}" + (" (no evidence either way)" if m == u else "")
        )
    return out


def _run(args: argparse.Namespace) -> int:

    progress = cli_progress(args.log_format, **_expected(args.db))
    try:
        summary = run_batch(
            rules_dir=args.rules,
            db_path=args.db,
            data_dir=args.data,
            models_dir=args.models,
            retrain=args.retrain,
            progress=progress,
            wait=args.wait,
            engine=args.engine,
            as_of=args.as_of,
        )
    finally:
        progress.finish()
    print(summary.format())
    print()
    print("\n".join(summary_lines(summary.report)))
    _post_webhook(args, summary.report)
    tripped = gate.tripped(summary.checks, args.fail_on)
    if tripped:
        message = gate.exit_message(summary.run_id, tripped, args.fail_on)
        print(f"resolver run: {message}", file=sys.stderr)
        return gate.EXIT_HEALTH
    return 0


def _as_of(text: str) -> datetime:
    try:
        return parse_as_of(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _expected(db: str) -> dict[str, Any]:
    """Stages and seconds of the last complete run, for the live display's n of N."""

    if not Path(db).is_file():
        return {}
    try:
        con = store.connect(db, read_only=True)
    except Exception:  # a store being rebuilt or of another version: no estimate
        return {}
    try:
        run = latest_run(con) or {}
    except Exception:
        run = {}
    finally:
        con.close()
    timings = (run.get("summary") or {}).get("timings") or {}
    seconds = (run.get("summary") or {}).get("seconds")
    return {"expected_stages": len(timings) or None, "expected_seconds": seconds}


def _post_webhook(args: argparse.Namespace, report: dict[str, Any]) -> None:
    """POST the summary to health.yaml's webhook.url, if any; a failure is said, loudly."""

    rules = load_health_rules(args.rules)
    if not rules.webhook_url:
        return
    try:
        status = gate.post_summary(rules.webhook_url, report, timeout=rules.webhook_timeout)
        print(f"posted the summary to {rules.webhook_url} (HTTP {status})")
    except OSError as exc:
        print(
            f"resolver run: warning: could not post the summary to {rules.webhook_url}: {exc}",
            file=sys.stderr,
        )


def _check(args: argparse.Namespace) -> int:

    samples = check_sources(args.rules, data_dir=args.data, sample=args.sample)
    print(f"rules in {args.rules}: contracts and rules files valid")
    for s in samples:
        print(s.format())
    failing = [s for s in samples if s.verdict == "fail"]
    if failing:
        print(
            f"resolver check: {len(failing)} source(s) would reject more rows than "
            "health.yaml's error_handling fail threshold",
            file=sys.stderr,
        )
        return 1
    return 0


def _backup(args: argparse.Namespace) -> int:

    print(back_up(args.db, args.out).format())
    return 0


def _export(args: argparse.Namespace) -> int:

    n = export_crosswalk(args.db, obj=args.object, out=Path(args.out))
    print(f"wrote {n:,} {args.object} rows to {args.out}")
    return 0


def _export_fixes(args: argparse.Namespace) -> int:

    n = export_fix_list(
        args.db,
        kind=args.kind,
        system=args.system,
        rules_dir=args.rules,
        out=Path(args.out),
        obj=args.object,
        include_suggested=getattr(args, "include_suggested", False),
    )
    print(f"wrote {n:,} {args.object} {args.kind} for {args.system} to {args.out}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    truth = Path(args.truth)
    if not truth.exists():
        print(f"{truth}: no such truth file or folder", file=sys.stderr)
        return 2
    if truth.is_dir() and not any(truth_file(truth, obj).is_file() for obj in TRUTH_FILES):
        found = [p for p in sorted(truth.glob("*.csv")) if looks_like_truth(p)]
        hint = f"; to score one of its files, pass it: --truth {found[0]}" if found else ""
        print(f"no truth files (customers.csv, invoices.csv) in {truth}{hint}", file=sys.stderr)
        return 2
    con = store.connect(args.db, read_only=True)
    try:
        scores = evaluate(con, truth, obj=args.object)
    finally:
        con.close()
    for s in scores:
        print(s.format())
    return 0


def _report(args: argparse.Namespace) -> int:

    con = store.connect(args.db, read_only=True)
    try:
        report = load_report(con, args.run)
        if not report and args.run is not None:
            raise ResolverError(_no_report_of(con, args.run))
        report = report or build_report(con)
        # a failed or killed night must not hide behind the last good run's report
        notes = _later_runs(con, report.get("run_id")) if args.run is None else []
    finally:
        con.close()
    if args.summary:
        print("\n".join(summary_lines(report) + [f"  note: {n}" for n in notes]))
        return 0
    for note in notes:
        print(f"resolver report: note: {note}", file=sys.stderr)
    if notes:
        report = report | {"notes": notes}
    text = render(report, args.format)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote the {args.format} report of run {report.get('run_id')} to {args.out}")
    else:
        print(text, end="")
    return 0


def _runs(con) -> list[dict]:

    try:
        return list_runs(con)
    except Exception:  # no journal beside the store, an old store: no run log to read
        return []


def _no_report_of(con, run_id: int) -> str:
    """Why run ``run_id`` has no report, and which runs have one."""
    runs = {r["run_id"]: r for r in _runs(con)}

    stored = [str(r) for r in store_reports.report_run_ids(con)]
    have = f"reports exist for run(s) {', '.join(stored)}" if stored else "no report is stored"
    run = runs.get(run_id)
    if run is None:
        return f"no run {run_id} in this store; {have}"
    error = (run.get("summary") or {}).get("error")
    status = f"{run['status']} ({error})" if error else run["status"]
    return f"run {run_id} has no report: it is {status}; {have}"


def _later_runs(con, run_id: object) -> list[str]:
    """Runs after the reported one that did not complete (killed, failed or running)."""
    if not isinstance(run_id, int):
        return []
    notes = []
    for r in sorted(_runs(con), key=lambda r: r["run_id"]):
        if r["run_id"] <= run_id or r["status"] == "complete":
            continue
        error = (r.get("summary") or {}).get("error")
        what = f"{r['status']} ({error})" if error else r["status"]
        notes.append(
            f"run {r['run_id']}, started {str(r.get('started_at'))[:19]}, is {what}; "
            f"this is the report of run {run_id}, the last complete run"
        )
    return notes


def _add_plugin_commands(sub: argparse._SubParsersAction) -> None:
    """Commands other packages add (entry-point group ``resolver.commands``): the
    review API's ``serve`` lives with the API, so the library never imports it."""
    for entry in entry_points(group=PLUGIN_GROUP):
        entry.load()(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resolver",
        description="Find duplicate customers and invoices, and orphans, across business systems.",
    )
    parser.add_argument("--version", action="version", version=f"resolver {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo-data", help="write the demo world: four systems' exports and truth")
    p.add_argument("out_dir", help="folder to write the exports and truth/ into")
    p.add_argument("--customers", type=int, default=2000, help="true customers (default 2000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.set_defaults(func=_demo_data)

    p = sub.add_parser("ingest", help="load every source through its contract into the store")
    _rules_db(p)
    _log_format(p)
    _wait(p)
    p.set_defaults(func=_ingest)

    p = sub.add_parser("train", help="estimate both Splink models without labels and save them")
    _rules_db(p)
    p.add_argument("--models", default="models", help="folder for the model JSON (default: models)")
    _engine(p)
    _log_format(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("run", help="the batch job: ingest, link, cluster, entities, publish")
    _rules_db(p)
    p.add_argument("--models", default="models", help="folder of the model JSON (default: models)")
    p.add_argument("--retrain", action="store_true", help="re-estimate the models first")
    _engine(p)
    p.add_argument(
        "--fail-on",
        choices=["warn", "fail"],
        default=None,
        help="exit 3 when any health check reaches this verdict (default: only when an "
        "error-handling or timing check fails)",
    )
    p.add_argument(
        "--as-of",
        type=_as_of,
        default=None,
        metavar="TIME",
        help="run as if at this time, UTC (2025-02-01 or 2025-02-01T02:00): its run-log "
        "times, the report's run time and orphan ages; for replays and tests (default: now)",
    )
    _log_format(p)
    _wait(p)
    p.set_defaults(func=_run)

    p = sub.add_parser(
        "check", help="validate contracts and rules and sample each source, without a run"
    )
    p.add_argument("--rules", default="rules", help="rules folder (default: rules)")
    p.add_argument("--data", default=None, help="folder the contracts' file paths are relative to")
    p.add_argument(
        "--sample", type=int, default=2000, help="rows sampled per source (default 2000; 0: all)"
    )
    p.set_defaults(func=_check)

    p = sub.add_parser(
        "backup",
        help="copy the store and its journal (decisions, run log) into a folder, "
        "consistently, while servers and runs go on",
    )
    p.add_argument("--db", required=True, help="the store's DuckDB file")
    p.add_argument("--out", required=True, help="the folder to write the copies into")
    p.set_defaults(func=_backup)

    p = sub.add_parser("export", help="export resolved data")
    exp = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    c = exp.add_parser("crosswalk", help="(system, source_id, entity_id) for every record")
    c.add_argument("--db", required=True, help="the store's DuckDB file")
    c.add_argument("--object", choices=["customer", "invoice"], required=True)
    c.add_argument("--out", required=True, help="output file: .csv or .parquet")
    c.set_defaults(func=_export)
    for kind, what in (
        ("merges", "records of SYSTEM that are one entity: which survives, which merge into it"),
        ("corrections", "fields where SYSTEM disagrees with a golden value another system owns"),
        ("missing", "records SYSTEM should have and lacks (its counterpart orphans)"),
    ):
        f = exp.add_parser(kind, help=f"fix list: {what}")
        f.add_argument("--system", required=True, help="the system the list is for, e.g. crm")
        f.add_argument("--db", required=True, help="the store's DuckDB file")
        f.add_argument("--rules", default="rules", help="rules folder (default: rules)")
        f.add_argument("--object", choices=["customer", "invoice"], default="customer")
        f.add_argument("--out", required=True, help="output file: .csv, .parquet or .xlsx")
        if kind == "merges":
            f.add_argument(
                "--include-suggested",
                action="store_true",
                help="also merges no reviewer has accepted yet",
            )
        f.set_defaults(func=_export_fixes, kind=kind)

    p = sub.add_parser("report", help="the integration health report of a run")
    p.add_argument("--db", required=True, help="the store's DuckDB file")
    p.add_argument("--run", type=int, default=None, help="run id (default: the last)")
    p.add_argument("--format", choices=["md", "html", "json"], default="md")
    p.add_argument("--out", default=None, help="write to this file instead of stdout")
    p.add_argument("--summary", action="store_true", help="print the summary lines only")
    p.set_defaults(func=_report)

    p = sub.add_parser("evaluate", help="precision, recall, F1 and B-cubed against a truth folder")
    p.add_argument(
        "--truth",
        required=True,
        help="folder with customers.csv / invoices.csv, or one truth CSV file",
    )
    p.add_argument(
        "--object",
        choices=["customer", "invoice"],
        default="customer",
        help="what a truth file given as --truth holds (default: customer)",
    )
    p.add_argument("--db", required=True, help="the store's DuckDB file")
    p.set_defaults(func=_evaluate)
    _add_plugin_commands(sub)
    return parser


def _version() -> str:

    try:
        return version("resolver")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _engine(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="where linkage and clustering run: duckdb (default) or spark "
        "(pip install 'resolver[spark]'; see README \"Scaling out on Spark\")",
    )


def _log_format(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--log-format",
        choices=["auto", "text", "json"],
        default="auto",
        help="progress: auto (a live line on a terminal, dated lines otherwise), text "
        "(dated lines with the run id) or json (one JSON object per line)",
    )


def _rules_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rules", default="rules", help="rules folder (default: rules)")
    p.add_argument("--db", required=True, help="the store's DuckDB file")
    p.add_argument("--data", default=None, help="folder the contracts' file paths are relative to")


def _wait(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="when another run holds the store, wait up to SECONDS for it (default: refuse at once)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ResolverError as exc:
        print(f"resolver {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"resolver {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`resolver report | head`): not our error
        # nothing more reaches it, and Python's flush at exit must not fail either
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a full disk met anywhere (DuckDB, SQLite, a file) is one line
        if not is_disk_full(exc):
            raise
        where = getattr(args, "db", None) or getattr(args, "out", None) or "its files"
        print(
            f"resolver {args.command}: error: {disk_full(exc, writing=str(where))}", file=sys.stderr
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
