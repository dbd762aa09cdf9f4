"""The batch job: ingest, link, cluster, entities, golden records — published at once.

Everything is computed into ``stage_*`` tables; the last step swaps them in for the
live tables in one transaction, so a failed or killed run leaves the last good run
exactly as readers saw it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from resolver import store
from resolver.engine import Engine, open_engine
from resolver.entities.golden import Survivorship, golden_sql, load_survivorship
from resolver.entities.ids import assign_entity_ids
from resolver.errors import ContractError, RulesError, ValidationProblems
from resolver.ingest.contracts import Contract, load_contracts
from resolver.ingest.load import SourceLoad, ingest
from resolver.ingest.source_volume import check_volumes
from resolver.linkage.derive import derive_rules
from resolver.linkage.model import (
    Model,
    load_model_and_rules,
    model_path,
    save_model,
    train_model,
)
from resolver.linkage.predict import band_sql, score_pairs
from resolver.linkage.rules import RULE_FILES, LinkageRules, read_overrides
from resolver.progress import Progress
from resolver.report import stage_report
from resolver.report.health_rules import HealthRules, load_health_rules
from resolver.review.decisions import constraints
from resolver.review.make_proposals import PROPOSAL_COLUMNS, proposal_counts, stage_proposals
from resolver.review.orphans import OrphanRules, load_orphan_rules, stage_orphans
from resolver.store import run_lock
from resolver.store import runs as store_runs
from resolver.store.connection import PUBLISHABLE_TABLES
from resolver.store.journal import TRAINING_SUFFIX, Journal, journal_path
from resolver.store.schema import create_table_sql

OBJECTS = ("customer", "invoice")


@dataclass
class ObjectResult:
    records: int = 0
    pairs_scored: int = 0
    pairs_kept: int = 0
    auto_links: int = 0
    review_pairs: int = 0
    vetoed_pairs: int = 0
    entities: int = 0
    multi_record_entities: int = 0
    prior: float = 0.0
    model: str = ""
    events: dict[str, int] = field(default_factory=dict)
    proposals: dict[str, int] = field(default_factory=dict)


@dataclass
class RunSummary:
    run_id: int
    loads: list[SourceLoad]
    objects: dict[str, ObjectResult]
    timings: dict[str, float]
    seconds: float
    orphans: int = 0
    # the orphan rules file and how many expectations it holds (0: none, or no file)
    orphan_rules: str = ""
    expectations: int = 0
    # the health report's verdict checks (resolver.report.verdicts), for --fail-on
    checks: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "seconds": round(self.seconds, 2),
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
            "loads": [
                {
                    "system": x.system,
                    "object": x.object,
                    "rows_read": x.rows_read,
                    "rows_loaded": x.rows_loaded,
                    "rows_rejected": x.rows_rejected,
                }
                for x in self.loads
            ],
            "objects": {k: vars(v) for k, v in self.objects.items()},
            "orphans": self.orphans,
        }

    def format(self) -> str:
        lines = [f"run {self.run_id} complete in {self.seconds:.1f}s"]
        lines += [x.format() for x in self.loads]
        for obj, r in self.objects.items():
            lines.append(
                f"{obj:<9} {r.records:>9,} records  {r.pairs_scored:>10,} pairs scored  "
                f"{r.auto_links:>8,} auto-links  {r.review_pairs:>7,} to review  "
                f"{r.entities:>9,} entities ({r.multi_record_entities:,} with 2+ records)"
            )
        if self.expectations:
            lines.append(
                f"orphans   {self.orphans:>9,} records break an expectation "
                f"({self.expectations} in {self.orphan_rules or 'orphans.yaml'})"
            )
        else:
            where = self.orphan_rules or "orphans.yaml"
            why = f"{where} has none" if Path(where).is_file() else f"no {where}"
            lines.append(f"orphans   not checked: {why}")
        return "\n".join(lines)


@dataclass
class Setup:
    """Everything validated before any work starts."""

    contracts: list[Contract]
    rules_dir: Path
    overrides: dict[str, dict[str, Any]]  # customers.yaml / invoices.yaml, {} when absent
    survivorship: Survivorship
    orphans: OrphanRules
    health: HealthRules = field(default_factory=HealthRules)


def validate(rules_dir: Path | str, *, data_dir: Path | str | None = None) -> Setup:
    """Check contracts and rules; raise one error listing every problem."""

    problems = []
    contracts: list[Contract] = []
    overrides: dict[str, dict[str, Any]] = {}
    surv = Survivorship({}, {})
    try:
        contracts = load_contracts(rules_dir, data_dir=data_dir)
    except ContractError as exc:
        problems += exc.problems
    for obj in RULE_FILES:
        try:
            overrides[obj] = read_overrides(rules_dir, obj)
        except RulesError as exc:
            problems += exc.problems
    try:
        surv = load_survivorship(rules_dir)
    except RulesError as exc:
        problems += exc.problems
    orphans = OrphanRules({})
    try:
        orphans = load_orphan_rules(rules_dir, systems={c.system for c in contracts} or None)
    except RulesError as exc:
        problems += exc.problems
    health = HealthRules()
    try:
        health = load_health_rules(rules_dir)
    except RulesError as exc:
        problems += exc.problems
    if problems:
        raise ValidationProblems("rules and contracts", problems)
    return Setup(
        health=health,
        contracts=contracts,
        rules_dir=Path(rules_dir),
        overrides=overrides,
        survivorship=surv,
        orphans=orphans,
    )


def orphans_state(rules: OrphanRules) -> dict[str, Any]:
    """Whether the orphan expectations are checked; a missing file is said, not silent."""
    if rules.expectations:
        return {"checked": True, "expectations": len(rules.expectations)}
    where = rules.path or "orphans.yaml"
    if Path(where).is_file():
        return {
            "checked": False,
            "missing": False,
            "why": f"{where} lists no expectations: orphan checks turned off on purpose",
        }
    return {
        "checked": False,
        "missing": True,
        "why": f"no {where}: orphan checks are off. Write the expectations there, or "
        "`expectations: {}` to turn them off on purpose",
    }


def run_batch(
    *,
    rules_dir: Path | str,
    db_path: Path | str,
    data_dir: Path | str | None = None,
    models_dir: Path | str = "models",
    retrain: bool = False,
    progress: Progress | None = None,
    wait: float = 0.0,
    engine: str | Engine = "duckdb",
) -> RunSummary:
    """The whole batch job. Returns its summary; the run is visible only when complete.

    One run at a time per store: another run holding the store's lock makes this one
    raise StoreBusy naming it, at once or after waiting up to ``wait`` seconds.
    ``engine``: "duckdb", "spark" or an opened :class:`resolver.engine.Engine`; it
    scores and clusters, and the results are written to the store all the same.
    """
    with run_lock.hold(db_path, wait=wait, command="run"):
        return _run_batch(
            rules_dir=rules_dir,
            db_path=db_path,
            data_dir=data_dir,
            models_dir=models_dir,
            retrain=retrain,
            progress=progress,
            engine=engine,
        )


def _run_batch(
    *,
    rules_dir: Path | str,
    db_path: Path | str,
    data_dir: Path | str | None,
    models_dir: Path | str,
    retrain: bool,
    progress: Progress | None,
    engine: str | Engine = "duckdb",
) -> RunSummary:
    started = time.perf_counter()
    progress = progress or Progress()
    setup = validate(rules_dir, data_dir=data_dir)
    engine = open_engine(engine) if isinstance(engine, str) else engine
    present = {c.object for c in setup.contracts}
    # a saved model is checked before any work; an object without one is trained
    # from the data in this run (a contracts-only rules folder needs no other step)
    trained = {} if retrain else _saved_models(setup, models_dir, present)
    journal = Journal(journal_path(db_path))
    con = store.start_building(db_path)
    store_runs.ensure_runs(con)
    last = con.execute("SELECT coalesce(max(run_id), 0) FROM runs").fetchall()[0][0]
    run_id = journal.start_run(after=last, published=store_runs.published_runs(con))
    started_at = journal.runs()[0]["started_at"]
    progress.run_id = run_id
    try:
        loads = ingest(con, setup.contracts, progress=progress, publish=False, pool=engine.pool)
        check_volumes(loads, setup.contracts, store_runs.latest_run(con))
        results, events, numbers = _link_all(
            con,
            setup,
            trained,
            run_id=run_id,
            progress=progress,
            models_dir=models_dir,
            retrain=retrain,
            engine=engine,
        )
        summary = RunSummary(
            run_id=run_id,
            loads=loads,
            objects=results,
            timings=dict(progress.timings),
            seconds=time.perf_counter() - started,
        )
        store_runs.stage_events(con, [e.assign(run_id=run_id) for e in events])
        with progress.stage("orphans", total=None, unit="steps"):
            summary.orphans = stage_orphans(con, setup.orphans, run_id=run_id, as_of=date.today())
        summary.orphan_rules = setup.orphans.path
        summary.expectations = len(setup.orphans.expectations)
        with progress.stage("report", total=None, unit="steps"):
            summary.report = stage_report(
                con,
                run_id=run_id,
                rules=setup.health,
                runs=journal.runs(),
                orphans_state=orphans_state(setup.orphans),
            )
            summary.checks = summary.report["checks"]
        summary.timings = dict(progress.timings)
        summary.seconds = time.perf_counter() - started
        tables = ["customers", "invoices", "rejects", "source_loads"]
        tables += ["orphans", "reports"]
        tables += [t.format(o=o) for o in OBJECTS for t in store_runs.RUN_TABLES]
        extra = [store_runs.next_number_sql(o, n) for o, n in numbers.items()]
        extra += store_runs.append_events_sql()
        extra.append(store_runs.complete_run_sql(run_id, started_at, summary.as_dict()))
        # timed, though after the summary stored with the run was written
        with progress.stage("publish", total=None, unit="steps"):
            store.publish(con, tables, extra_sql=extra)
            store.finish_building(con, db_path, required=(*PUBLISHABLE_TABLES, "runs"))
            con = None
    except BaseException as exc:
        store.abandon_building(con, db_path)
        journal.end_run(run_id, "failed", {"error": f"{type(exc).__name__}: {exc}"})
        raise
    journal.end_run(run_id, "complete", summary.as_dict())
    return summary


def train(
    *,
    rules_dir: Path | str,
    db_path: Path | str,
    data_dir: Path | str | None = None,
    models_dir: Path | str = "models",
    progress: Progress | None = None,
    engine: str | Engine = "duckdb",
) -> dict[str, Model]:
    """Train both models on the sources (customers first: invoices need their entities).

    Saves models/customers.json and models/invoices.json; publishes nothing.
    """
    progress = progress or Progress()
    setup = validate(rules_dir, data_dir=data_dir)
    engine = open_engine(engine) if isinstance(engine, str) else engine
    # training's own scratch file (and its own lock: two trainings would share it); a
    # run building at the same time keeps its file
    with run_lock.hold(db_path, suffix=TRAINING_SUFFIX, command="train"):
        con = store.start_building(db_path, suffix=TRAINING_SUFFIX)
        try:
            ingest(con, setup.contracts, progress=progress, publish=False, pool=engine.pool)
            trained: dict[str, tuple[Model, LinkageRules]] = {}
            _link_all(
                con,
                setup,
                trained,
                progress=progress,
                models_dir=models_dir,
                retrain=True,
                engine=engine,
            )
        finally:
            store.abandon_building(con, db_path, suffix=TRAINING_SUFFIX)
    return {obj: model for obj, (model, _) in trained.items()}


def _saved_models(
    setup: Setup, models_dir: Path | str, present: set[str]
) -> dict[str, tuple[Model, LinkageRules]]:
    out = {}
    for obj in OBJECTS:
        if obj in present and model_path(models_dir, obj).is_file():
            out[obj] = load_model_and_rules(models_dir, setup.rules_dir, obj)
    return out


def _link_all(
    con: duckdb.DuckDBPyConnection,
    setup: Setup,
    models: dict[str, tuple[Model, LinkageRules]],
    *,
    run_id: int = 0,
    progress: Progress,
    models_dir: Path | str,
    retrain: bool,
    engine: Engine,
) -> tuple[dict[str, ObjectResult], list[pd.DataFrame], dict[str, int]]:
    """Link each object. ``models`` holds the saved (model, rules) of the objects that
    have one; the others are derived from the data and trained here (and saved)."""
    results, events, numbers = {}, [], {}
    present = {c.object for c in setup.contracts}
    for obj in OBJECTS:
        if obj not in present:  # no source of this object: publish empty results
            _stage_empty(con, obj, setup.survivorship)
            results[obj], numbers[obj] = ObjectResult(), store_runs.next_entity_number(con, obj)
            continue
        if obj not in models:
            with progress.stage(f"derive {obj}", total=None, unit="steps"):
                rules, notes = derive_rules(
                    con,
                    obj,
                    rules_dir=setup.rules_dir,
                    overrides=setup.overrides.get(obj, {}),
                    source_sql=input_sql(obj, None),
                )
            with progress.stage(f"input {obj}", total=None, unit="steps"):
                table = con.sql(input_sql(obj, rules.input_columns())).to_arrow_table()
            model = train_model(table, rules, progress=progress, work=engine.work)
            model.meta["derivation"] = notes
            save_model(model, models_dir)
            for note in [*notes, *model.meta.get("training_notes", [])]:
                progress.note(f"{obj}: {note}")
            models[obj] = (model, rules)
        else:
            model, rules = models[obj]
            with progress.stage(f"input {obj}", total=None, unit="steps"):
                table = con.sql(input_sql(obj, rules.input_columns())).to_arrow_table()
            empty = empty_comparisons(rules, table)
            if empty:
                progress.note(
                    f"warning: {model_path(models_dir, obj)}: comparisons {', '.join(empty)} "
                    f"read only columns that are empty in every loaded {obj} row: the model was "
                    "trained on other data (another --models folder?); retrain with "
                    "`resolver train` or `resolver run --retrain`, or pass --models"
                )
        result, ev, number = _link_object(
            con, obj, table, model, rules, setup.survivorship, progress, engine
        )
        results[obj], numbers[obj] = result, number
        events.append(ev.assign(object=obj))
        if not retrain or run_id:  # training alone (run_id 0) proposes nothing
            with progress.stage(f"proposals {obj}", total=None, unit="steps"):
                stage_proposals(con, obj, rules=rules, model=model, run_id=run_id)
                result.proposals = proposal_counts(con, obj)
    return results, events, numbers


def empty_comparisons(rules: LinkageRules, table: pa.Table) -> list[str]:
    """The model's comparisons whose every column is empty in ``table``: evidence it
    can never see, a sign that it was trained on other data."""
    empty = {c for c in table.column_names if table.column(c).null_count == table.num_rows}
    out = []
    for name, opts in rules.comparisons.items():
        cols = {v for k, v in opts.items() if k.endswith("column") and isinstance(v, str)}
        if cols and cols <= empty | (cols - set(table.column_names)):
            out.append(name)
    return out if table.num_rows else []


def _stage_empty(con: duckdb.DuckDBPyConnection, obj: str, survivorship: Survivorship) -> None:

    con.execute(f"DROP TABLE IF EXISTS stage_{obj}_pairs")
    con.execute(
        f"CREATE TABLE stage_{obj}_pairs (record_key_l VARCHAR, record_key_r VARCHAR, "
        "system_l VARCHAR, system_r VARCHAR, match_weight DOUBLE, match_probability DOUBLE, "
        "mw_term_frequency DOUBLE, veto VARCHAR, band VARCHAR)"
    )
    con.execute(f"DROP TABLE IF EXISTS stage_{obj}_members")
    con.execute(f"CREATE TABLE stage_{obj}_members (record_key VARCHAR, entity_id VARCHAR)")
    con.execute(f"DROP TABLE IF EXISTS stage_{obj}_golden")
    con.execute(
        f"CREATE TABLE stage_{obj}_golden AS " + golden_sql(obj, _members_sql(obj), survivorship)
    )
    con.execute(f"DROP TABLE IF EXISTS stage_{obj}_proposals")
    con.execute(create_table_sql(f"stage_{obj}_proposals", PROPOSAL_COLUMNS))


def input_sql(
    obj: str, columns: list[str] | None, *, prefix: str = "stage_", where: str = ""
) -> str:
    """SQL for the table handed to Splink: ``columns`` (None: every stored column), and
    for invoices the entity of the customer each one's ``customer_ref`` names
    (``customer_entity_id``).

    ``prefix`` picks staged ("stage_") or published ("") tables; ``where`` filters ``r``.
    """
    if columns is None:
        select = "r.*"
    else:
        select = ", ".join(f"r.{c}" for c in columns if c != "customer_entity_id")
    if obj == "customer":
        return f"SELECT {select} FROM {prefix}customers r {where} ORDER BY r.record_key"
    return f"""
        SELECT {select}, cm.entity_id AS customer_entity_id
        FROM {prefix}invoices r
        LEFT JOIN {prefix}customers c ON c.system = r.system AND c.source_id = r.customer_ref
        LEFT JOIN {prefix}customer_members cm ON cm.record_key = c.record_key
        {where}
        ORDER BY r.record_key"""


def _link_object(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    table: Any,
    model: Model,
    rules: LinkageRules,
    survivorship: Survivorship,
    progress: Progress,
    engine: Engine,
) -> tuple[ObjectResult, pd.DataFrame, int]:
    result = ObjectResult(records=table.num_rows, model=model.version)
    scored = score_pairs(table, model, rules, progress=progress, work=engine.work)
    for note in scored.notes:
        progress.note(f"{obj}: {note}")
    result.prior, result.pairs_scored = scored.prior, scored.comparisons_scored
    with progress.stage(f"pairs {obj}", total=None, unit="steps"):
        con.execute(f"DROP TABLE IF EXISTS stage_{obj}_pairs")
        con.register("_scored_pairs", scored.pairs)
        try:  # written once, banded on the way in
            con.execute(
                f"CREATE TABLE stage_{obj}_pairs AS SELECT *, {band_sql(rules)} AS band "
                "FROM _scored_pairs"
            )
        finally:
            con.unregister("_scored_pairs")
        del scored
        counts = con.execute(
            f"SELECT count(*), count(*) FILTER (band = 'auto_link'), "
            f"count(*) FILTER (band = 'review'), count(*) FILTER (veto IS NOT NULL) "
            f"FROM stage_{obj}_pairs"
        ).fetchall()[0]
    result.pairs_kept, result.auto_links, result.review_pairs, result.vetoed_pairs = counts

    with progress.stage(f"cluster {obj}", total=None, unit="steps"):
        keys = table.column("record_key").to_numpy(zero_copy_only=False)
        systems = table.column("system").to_numpy(zero_copy_only=False).astype(str)
        # node numbers are positions in record-key order (the order of ``table``),
        # mapped in SQL: a million string look-ups in pandas cost seconds
        con.register("_link_keys", pa.table({"record_key": table.column("record_key")}))
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _node AS SELECT record_key, "
            "(row_number() OVER (ORDER BY record_key) - 1)::BIGINT AS i FROM _link_keys"
        )
        con.unregister("_link_keys")
        links = con.execute(
            f"SELECT a.i AS l, b.i AS r, p.match_weight AS w FROM stage_{obj}_pairs p "
            f"JOIN _node a ON a.record_key = p.record_key_l "
            f"JOIN _node b ON b.record_key = p.record_key_r WHERE p.band = 'auto_link'"
        ).fetchnumpy()
        vetoed = con.execute(
            f"SELECT a.i AS l, b.i AS r FROM stage_{obj}_pairs p "
            f"JOIN _node a ON a.record_key = p.record_key_l "
            f"JOIN _node b ON b.record_key = p.record_key_r WHERE p.veto IS NOT NULL"
        ).fetchnumpy()
        must, cannot = _decision_constraints(con, obj)
        must_l, must_r = _indexed(con, must)
        cant_l, cant_r = _indexed(con, cannot)
        con.execute("DROP TABLE _node")
        labels = engine.cluster(
            len(keys),
            links=(np.asarray(links["l"]), np.asarray(links["r"]), np.asarray(links["w"])),
            must_link=(must_l, must_r),
            cannot_link=(
                np.asarray(vetoed["l"], dtype=np.int64),
                np.asarray(vetoed["r"], dtype=np.int64),
            ),
            kept_apart=(cant_l, cant_r),
            systems=systems,
            duplicate_free_systems=rules.duplicate_free_systems,
        )
    with progress.stage(f"entities {obj}", total=None, unit="steps"):
        clusters = pd.DataFrame({"record_key": keys, "cluster": labels})
        assignment = assign_entity_ids(
            clusters,
            store_runs.previous_members(con, obj),
            obj=obj,
            next_number=store_runs.next_entity_number(con, obj),
        )
        store_runs.write_stage(con, f"{obj}_members", assignment.members)
        con.execute(f"DROP TABLE IF EXISTS stage_{obj}_golden")
        con.execute(
            f"CREATE TABLE stage_{obj}_golden AS "
            + golden_sql(obj, _members_sql(obj), survivorship)
        )
    sizes = assignment.members.groupby("entity_id").size()
    result.entities = len(sizes)
    result.multi_record_entities = int((sizes > 1).sum())
    result.events = {str(k): int(v) for k, v in assignment.events["event"].value_counts().items()}
    return result, assignment.events, assignment.next_number


def _members_sql(obj: str) -> str:
    if obj == "customer":
        return (
            "SELECT r.*, m.entity_id FROM stage_customers r "
            "JOIN stage_customer_members m USING (record_key)"
        )
    return (
        "SELECT r.*, m.entity_id, cm.entity_id AS customer_entity_id FROM stage_invoices r "
        "JOIN stage_invoice_members m USING (record_key) "
        "LEFT JOIN stage_customers c ON c.system = r.system AND c.source_id = r.customer_ref "
        "LEFT JOIN stage_customer_members cm ON cm.record_key = c.record_key"
    )


def _indexed(con: duckdb.DuckDBPyConnection, pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Node numbers of decision pairs, in their order (records no longer loaded drop
    out: their decisions are moot)."""
    if pairs.empty:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    frame = pairs[["record_key_l", "record_key_r"]].astype(object)
    con.register("_pairs", frame.assign(ord=np.arange(len(frame), dtype=np.int64)))
    try:
        out = con.execute(
            "SELECT a.i AS l, b.i AS r FROM _pairs p JOIN _node a ON a.record_key = p.record_key_l "
            "JOIN _node b ON b.record_key = p.record_key_r ORDER BY p.ord"
        ).fetchnumpy()
    finally:
        con.unregister("_pairs")
    return np.asarray(out["l"], dtype=np.int64), np.asarray(out["r"], dtype=np.int64)


def _decision_constraints(
    con: duckdb.DuckDBPyConnection, obj: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Must-link and cannot-link pairs from reviewers' decisions (none on a new store)."""

    return constraints(con, obj)
