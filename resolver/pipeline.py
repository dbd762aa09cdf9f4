"""The batch job: ingest, link, cluster, entities, golden records — published at once.

Everything is computed into ``stage_*`` tables; the last step swaps them in for the
live tables in one transaction, so a failed or killed run leaves the last good run
exactly as readers saw it.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from resolver import store
from resolver.clock import Clock
from resolver.engine import Engine, open_engine
from resolver.entities.golden import Survivorship, golden_sql, load_survivorship
from resolver.entities.ids import Assignment, assign_entity_ids
from resolver.errors import DiskFull, Problems, ValidationProblems
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
from resolver.linkage.predict import Scored as ScoredPairs
from resolver.linkage.predict import band_sql, score_pairs
from resolver.linkage.rules import RULE_FILES, LinkageRules, read_overrides
from resolver.progress import Progress
from resolver.report import stage_report
from resolver.report.health_rules import HealthRules, load_health_rules
from resolver.review.decisions import constraints, golden_picks
from resolver.review.make_proposals import proposal_counts, stage_proposals
from resolver.review.orphans import OrphanRules, load_orphan_rules, stage_orphans
from resolver.review.view_file import write_view
from resolver.store import run_lock, stages
from resolver.store import runs as store_runs
from resolver.store.connection import building_path
from resolver.store.disk_full import disk_full, is_disk_full
from resolver.store.journal import INTERRUPTED, TRAINING_SUFFIX, Journal, journal_path

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

    found = Problems()
    contracts = found.read(lambda: load_contracts(rules_dir, data_dir=data_dir), [])
    overrides = {
        obj: found.read(lambda obj=obj: read_overrides(rules_dir, obj), {}) for obj in RULE_FILES
    }
    surv = found.read(lambda: load_survivorship(rules_dir), Survivorship({}, {}))
    systems = {c.system for c in contracts} or None
    orphans = found.read(lambda: load_orphan_rules(rules_dir, systems=systems), OrphanRules({}))
    health = found.read(lambda: load_health_rules(rules_dir, systems=systems), HealthRules())
    found.raise_any(lambda problems: ValidationProblems("rules and contracts", problems))
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


# ---------------------------------------------------------------- the stages
#
# Each stage is a function named for what it does, handed the run's ``Batch`` and the
# typed output of the stage before it, and timed under its name by the run's
# ``Progress`` (``@stage``). Per object: derive_model (no saved model), link_input,
# train (no saved model), link, keep_pairs, cluster, entities, proposals. Per run:
# ingest_sources, link_objects (the per-object stages), find_orphans, health_report,
# publish_run. What they read and write in the store is resolver.store.stages'.

Out = TypeVar("Out")
StageFn = Callable[..., Out]


def stage(name: str, *, timed_inside: bool = False) -> Callable[[StageFn[Out]], StageFn[Out]]:
    """Make a function a stage of the batch job, timed by ``batch.progress`` as ``name``
    (``{obj}``: the object its first argument after the batch names). ``timed_inside``:
    the function it calls times itself under that name (with its own steps)."""

    def wrap(fn: StageFn[Out]) -> StageFn[Out]:
        @functools.wraps(fn)
        def run(batch: Batch, *args: Any, **kwargs: Any) -> Out:
            if timed_inside:
                return fn(batch, *args, **kwargs)
            first = args[0] if args else ""
            obj = first if isinstance(first, str) else getattr(first, "obj", "")
            with batch.progress.stage(name.format(obj=obj), total=None, unit="steps"):
                return fn(batch, *args, **kwargs)

        run.stage_name = name  # type: ignore[attr-defined]
        return run

    return wrap


@dataclass
class Batch:
    """What every stage of one run (or one training) is handed."""

    con: duckdb.DuckDBPyConnection
    setup: Setup
    progress: Progress
    models_dir: Path
    run_id: int = 0  # 0: training, which proposes nothing
    retrain: bool = False
    clock: Clock = field(default_factory=Clock)
    engine: Engine = field(default_factory=Engine)  # DuckDB, or Spark (resolver.engine)


@dataclass(frozen=True)
class LinkInput:
    """One object's records as Splink takes them, with the model that scores them."""

    obj: str
    table: pa.Table
    model: Model
    rules: LinkageRules


@dataclass(frozen=True)
class Scored:
    """An object's scored pairs, before they are kept in the store."""

    obj: str
    pairs: ScoredPairs


@dataclass(frozen=True)
class KeptPairs:
    """An object's pairs as kept in the store: how many were scored, kept, per band."""

    obj: str
    prior: float
    pairs_scored: int
    counts: stages.PairCounts


@dataclass(frozen=True)
class Clusters:
    """Each record (in record-key order) and the cluster it fell in."""

    obj: str
    record_keys: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class Linked:
    """What linking every object gave: per-object results, entity events, the next
    free entity number of each object."""

    results: dict[str, ObjectResult]
    events: list[pd.DataFrame]
    numbers: dict[str, int]


@stage("ingest", timed_inside=True)  # each source is timed: "read <system>/<object>", ...
def ingest_sources(batch: Batch) -> list[SourceLoad]:
    """Load every source through its contract; stop if one vanished or shrank."""
    loads = ingest(
        batch.con,
        batch.setup.contracts,
        progress=batch.progress,
        publish=False,
        pool=batch.engine.pool,
    )
    check_volumes(loads, batch.setup.contracts, store_runs.latest_run(batch.con))
    return loads


@stage("derive {obj}")
def derive_model(batch: Batch, obj: str) -> tuple[LinkageRules, list[str]]:
    """Rules for an object without a saved model, derived from its profile."""
    return derive_rules(
        batch.con,
        obj,
        rules_dir=batch.setup.rules_dir,
        overrides=batch.setup.overrides.get(obj, {}),
        source_sql=stages.input_sql(obj, None),
    )


@stage("input {obj}")
def link_input(batch: Batch, obj: str, rules: LinkageRules) -> pa.Table:
    """This run's records of ``obj`` as Splink takes them, in record-key order."""
    return stages.read_input(batch.con, obj, rules.input_columns())


@stage("train {obj}", timed_inside=True)  # train_model times itself, step by step
def fit_model(
    batch: Batch, obj: str, table: pa.Table, rules: LinkageRules, notes: list[str]
) -> Model:
    """Train the object's model on its own records (no labels) and save it."""
    model = train_model(table, rules, progress=batch.progress, work=batch.engine.work)
    model.meta["derivation"] = notes
    save_model(model, batch.models_dir)
    for note in [*notes, *model.meta.get("training_notes", [])]:
        batch.progress.note(f"{obj}: {note}")
    return model


@stage("link {obj}", timed_inside=True)  # score_pairs times itself, step by step
def link(batch: Batch, inp: LinkInput) -> Scored:
    """Block, score and veto the candidate pairs of one object."""
    scored = score_pairs(
        inp.table, inp.model, inp.rules, progress=batch.progress, work=batch.engine.work
    )
    for note in scored.notes:
        batch.progress.note(f"{inp.obj}: {note}")
    return Scored(inp.obj, scored)


@stage("pairs {obj}")
def keep_pairs(batch: Batch, scored: Scored, rules: LinkageRules) -> KeptPairs:
    """Keep the scored pairs in the store, each in its band."""
    counts = stages.stage_pairs(batch.con, scored.obj, scored.pairs.pairs, band_sql(rules))
    return KeptPairs(scored.obj, scored.pairs.prior, scored.pairs.comparisons_scored, counts)


@stage("cluster {obj}")
def cluster(batch: Batch, inp: LinkInput) -> Clusters:
    """Join records above the auto-link band, strongest link first, under the vetoes,
    the reviewers' decisions and the duplicate-free systems."""
    must, cannot = constraints(batch.con, inp.obj)
    graph = stages.pair_graph(
        batch.con,
        inp.obj,
        inp.table.column("record_key"),
        must_link=must,
        kept_apart=cannot,
    )
    keys = inp.table.column("record_key").to_numpy(zero_copy_only=False)
    systems = inp.table.column("system").to_numpy(zero_copy_only=False).astype(str)
    labels = batch.engine.cluster(
        len(keys),
        links=graph.links,
        must_link=graph.must_link,
        cannot_link=graph.vetoed,
        kept_apart=graph.kept_apart,
        systems=systems,
        duplicate_free_systems=inp.rules.duplicate_free_systems,
    )
    return Clusters(inp.obj, keys, labels)


@stage("entities {obj}")
def entities(batch: Batch, clusters: Clusters) -> Assignment:
    """Stable entity ids for the clusters (carried over from the last run) and a golden
    record per entity."""
    obj = clusters.obj
    assignment = assign_entity_ids(
        pd.DataFrame({"record_key": clusters.record_keys, "cluster": clusters.labels}),
        store_runs.previous_members(batch.con, obj),
        obj=obj,
        next_number=store_runs.next_entity_number(batch.con, obj),
    )
    stages.stage_members(batch.con, obj, assignment.members)
    # reviewers' golden-record picks in force come before every survivorship rule
    with stages.golden_picks_table(batch.con, golden_picks(batch.con, obj)) as picks:
        stages.stage_golden(batch.con, obj, _golden_select(obj, batch.setup.survivorship, picks))
    return assignment


@stage("proposals {obj}")
def proposals(batch: Batch, inp: LinkInput) -> dict[str, int]:
    """What a reviewer should look at, with per-field evidence."""
    stage_proposals(batch.con, inp.obj, rules=inp.rules, model=inp.model, run_id=batch.run_id)
    return proposal_counts(batch.con, inp.obj)


@stage("empty {obj}", timed_inside=True)  # no work worth timing
def empty_object(batch: Batch, obj: str) -> ObjectResult:
    """An object no source delivers: its tables, empty, in the real layouts."""
    _stage_empty(batch.con, obj, batch.setup.survivorship)
    return ObjectResult()


def link_object(batch: Batch, obj: str, saved: tuple[Model, LinkageRules] | None) -> LinkInput:
    """The input and model of one object: the saved model, or rules derived and a model
    trained here from this run's records (and saved)."""
    if saved is None:
        rules, notes = derive_model(batch, obj)
        table = link_input(batch, obj, rules)
        return LinkInput(obj, table, fit_model(batch, obj, table, rules, notes), rules)
    model, rules = saved
    table = link_input(batch, obj, rules)
    empty = empty_comparisons(rules, table)
    if empty:
        batch.progress.note(
            f"warning: {model_path(batch.models_dir, obj)}: comparisons {', '.join(empty)} "
            f"read only columns that are empty in every loaded {obj} row: the model was "
            "trained on other data (another --models folder?); retrain with "
            "`resolver train` or `resolver run --retrain`, or pass --models"
        )
    return LinkInput(obj, table, model, rules)


@stage("link objects", timed_inside=True)  # each object's stages are timed
def link_objects(batch: Batch, saved: dict[str, tuple[Model, LinkageRules]]) -> Linked:
    """Every object through its stages, customers first (invoices carry their
    customer's entity). ``saved`` holds the (model, rules) of the objects that have a
    saved model; the others get one trained here, added to ``saved``."""
    results, events, numbers = {}, [], {}
    present = {c.object for c in batch.setup.contracts}
    for obj in OBJECTS:
        if obj not in present:
            results[obj] = empty_object(batch, obj)
            numbers[obj] = store_runs.next_entity_number(batch.con, obj)
            continue
        inp = link_object(batch, obj, saved.get(obj))
        saved[obj] = (inp.model, inp.rules)
        kept = keep_pairs(batch, link(batch, inp), inp.rules)
        assignment = entities(batch, cluster(batch, inp))
        result = _object_result(inp, kept, assignment)
        if not batch.retrain or batch.run_id:  # training alone (run_id 0) proposes nothing
            result.proposals = proposals(batch, inp)
        results[obj], numbers[obj] = result, assignment.next_number
        events.append(assignment.events.assign(object=obj))
    return Linked(results, events, numbers)


@stage("orphans")
def find_orphans(batch: Batch) -> int:
    """Records that break an orphan expectation (an invoice missing from the ledger)."""
    return stage_orphans(
        batch.con, batch.setup.orphans, run_id=batch.run_id, as_of=batch.clock.today()
    )


@stage("report")
def health_report(batch: Batch, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The integration health report of this run, with its verdict checks."""
    return stage_report(
        batch.con,
        run_id=batch.run_id,
        rules=batch.setup.health,
        runs=runs,
        orphans_state=orphans_state(batch.setup.orphans),
        run_time=batch.clock.now(),
    )


@stage("publish")
def publish_run(
    batch: Batch,
    db_path: Path | str,
    started_at: str,
    summary: RunSummary,
    next_numbers: dict[str, int],
) -> None:
    """Swap every staged table in at once, record the run complete, put the file in place."""
    stages.publish_run(
        batch.con,
        db_path,
        run_id=batch.run_id,
        started_at=started_at,
        summary=summary.as_dict(),
        next_numbers=next_numbers,
        finished_at=batch.clock.now(),
        beside=write_view,
    )


def _object_result(inp: LinkInput, kept: KeptPairs, assignment: Assignment) -> ObjectResult:
    sizes = assignment.members.groupby("entity_id").size()
    return ObjectResult(
        records=inp.table.num_rows,
        model=inp.model.version,
        prior=kept.prior,
        pairs_scored=kept.pairs_scored,
        pairs_kept=kept.counts.kept,
        auto_links=kept.counts.auto_links,
        review_pairs=kept.counts.review,
        vetoed_pairs=kept.counts.vetoed,
        entities=len(sizes),
        multi_record_entities=int((sizes > 1).sum()),
        events={str(k): int(v) for k, v in assignment.events["event"].value_counts().items()},
    )


def _golden_select(obj: str, survivorship: Survivorship, picks: str | None = None) -> str:
    return golden_sql(obj, stages.members_sql(obj), survivorship, picks)


# ---------------------------------------------------------------- the batch job and training


def run_batch(
    *,
    rules_dir: Path | str,
    db_path: Path | str,
    data_dir: Path | str | None = None,
    models_dir: Path | str = "models",
    retrain: bool = False,
    progress: Progress | None = None,
    wait: float = 0.0,
    as_of: datetime | None = None,
    engine: str | Engine = "duckdb",
) -> RunSummary:
    """The whole batch job. Returns its summary; the run is visible only when complete.

    ``as_of`` (naive UTC) is the time the run takes place, advancing from there: its
    run-log times, the report's run time and the orphans' ages (default: now).

    One run at a time per store: another run holding the store's lock makes this one
    raise StoreBusy naming it, at once or after waiting up to ``wait`` seconds.
    ``engine``: "duckdb", "spark" or an opened :class:`resolver.engine.Engine`; it
    normalizes, scores and clusters, and the results are written to the store all the same.
    """
    with run_lock.hold(db_path, wait=wait, command="run"):
        return _run_batch(
            rules_dir=rules_dir,
            db_path=db_path,
            data_dir=data_dir,
            models_dir=models_dir,
            retrain=retrain,
            progress=progress,
            clock=Clock(as_of),
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
    clock: Clock,
    engine: str | Engine = "duckdb",
) -> RunSummary:
    started = time.perf_counter()
    progress = progress or Progress()
    setup = validate(rules_dir, data_dir=data_dir)
    engine = open_engine(engine) if isinstance(engine, str) else engine
    present = {c.object for c in setup.contracts}
    # a saved model is checked before any work; an object without one is trained
    # from the data in this run (a contracts-only rules folder needs no other step)
    saved = {} if retrain else _saved_models(setup, models_dir, present)
    journal = Journal(journal_path(db_path))
    con = store.start_building(db_path)
    store_runs.ensure_runs(con)
    run_id = journal.start_run(
        after=store_runs.last_run_id(con), published=store_runs.published_runs(con), at=clock.now()
    )
    started_at = journal.runs()[0]["started_at"]
    progress.run_id = run_id
    batch = Batch(
        con,
        setup,
        progress,
        Path(models_dir),
        run_id=run_id,
        retrain=retrain,
        clock=clock,
        engine=engine,
    )
    try:
        loads = ingest_sources(batch)
        linked = link_objects(batch, saved)
        store_runs.stage_events(con, [e.assign(run_id=run_id) for e in linked.events])
        summary = RunSummary(run_id, loads, linked.results, {}, 0.0)
        summary.orphans = find_orphans(batch)
        summary.orphan_rules = setup.orphans.path
        summary.expectations = len(setup.orphans.expectations)
        summary.report = health_report(batch, journal.runs())
        summary.checks = summary.report["checks"]
        summary.timings = dict(progress.timings)
        summary.seconds = time.perf_counter() - started
        # timed, though after the summary stored with the run was written
        publish_run(batch, db_path, started_at, summary, linked.numbers)
    except BaseException as exc:
        store.abandon_building(con, db_path)
        # on a full disk the log cannot grow either: readers see the run as failed once
        # its lock is gone (resolver.store.runs), and the run's own error is the one raised
        with contextlib.suppress(DiskFull):
            error = (
                INTERRUPTED
                if isinstance(exc, KeyboardInterrupt)
                else f"{type(exc).__name__}: {exc}"
            )
            journal.end_run(run_id, "failed", {"error": error})
        if is_disk_full(exc):
            raise disk_full(exc, writing=str(building_path(db_path))) from exc
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
            batch = Batch(con, setup, progress, Path(models_dir), retrain=True, engine=engine)
            ingest_sources(batch)
            trained: dict[str, tuple[Model, LinkageRules]] = {}
            link_objects(batch, trained)
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


# the stages of one object, in the order link_objects runs them (derive_model and
# fit_model only for an object without a saved model)
OBJECT_STAGES = (
    derive_model,
    link_input,
    fit_model,
    link,
    keep_pairs,
    cluster,
    entities,
    proposals,
)
# the batch job's stages, in order
RUN_STAGES = (ingest_sources, link_objects, find_orphans, health_report, publish_run)


def _stage_empty(con: duckdb.DuckDBPyConnection, obj: str, survivorship: Survivorship) -> None:
    """An object's staged tables, empty (tests/test_pipeline.py builds them by this name)."""
    stages.stage_empty(con, obj, _golden_select(obj, survivorship))
