"""Review analytics: decisions over time, acceptance by confidence band, measured
precision of auto-merges, the orphan backlog; and a simulated reviewer for stores
without decisions."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from resolver.clock import utc_now
from resolver.review import ReviewView, decide, list_proposals
from resolver.review.orphans import load_orphan_rules, stage_orphans
from resolver.store import analysis as store_analysis
from resolver.store import decisions as store_decisions
from resolver.store import runs as store_runs
from resolver.store import table_exists
from resolver.tuning.data import truth_entities
from resolver.tuning.rules import rules_folder

OBJECTS = ("customer", "invoice")
BANDS = (0.0, 0.9, 0.99, 0.999, 0.99999, 1.0)  # confidence band edges
AGE_BUCKETS = (-math.inf, 7, 30, 90, 365, math.inf)
AGE_LABELS = ("0-7 days", "8-30 days", "31-90 days", "91-365 days", "over a year")


def all_proposals(
    con: duckdb.DuckDBPyConnection | ReviewView, *, status: str | None = None
) -> pd.DataFrame:
    """Every proposal of the last run with its live status (open, accepted, ...)."""
    page = list_proposals(con, status=status, sort="id", limit=10**9)
    cols = [
        "proposal_id",
        "object",
        "kind",
        "status",
        "version",
        "record_keys",
        "systems",
        "confidence",
        "suggested_action",
        "stake_cents",
        "records_affected",
        "run_id",
    ]
    return pd.DataFrame(page.items, columns=cols)


def truth_verdict(record_keys: list[str], entities: pd.Series) -> bool | None:
    """True when all records are one true entity, False when not, None when the
    truth does not know every record."""
    ids = [entities.get(k) for k in record_keys]
    if any(i is None or (isinstance(i, float) and math.isnan(i)) for i in ids):
        return None
    return len(set(ids)) == 1


def simulate_reviewer(
    con: duckdb.DuckDBPyConnection,
    truth_dir: Path | str,
    n: int | None = None,
    *,
    reviewer: str = "simulated-reviewer",
    seed: int = 0,
) -> pd.DataFrame:
    """Decide up to ``n`` open proposals (all when None) the way a perfect reviewer
    would: accept when every member is one true entity, reject otherwise.

    Decisions go through :func:`resolver.review.decide`, so they land in the store's
    decisions table: use it on a copy of a store, never on a real one. Proposals are
    taken in a seeded random order, one confidence band after another in turn, so
    even a few decisions cover every band.
    Returns one row per decision: proposal_id, object, confidence, action.
    """
    entities = {o: truth_entities(truth_dir, o) for o in OBJECTS}
    view = ReviewView(con)  # built once: every decision reads through it
    open_ = all_proposals(view, status="open")
    order = _round_robin_by_band(open_, seed)
    rows = []
    for i in order:
        if n is not None and len(rows) >= n:
            break
        p = open_.iloc[int(i)]
        keys = list(p["record_keys"])
        verdict = truth_verdict(keys, entities[p["object"]])
        if verdict is None or (len(keys) < 2 and not verdict):
            continue
        action = "accept" if verdict else "reject"
        decide(
            view,
            p["proposal_id"],
            action=action,
            version=p["version"],
            reviewer=reviewer,
            reason="simulated from the demo truth",
        )
        rows.append((p["proposal_id"], p["object"], float(p["confidence"]), action))
    return pd.DataFrame(rows, columns=["proposal_id", "object", "confidence", "action"])


def _round_robin_by_band(proposals: pd.DataFrame, seed: int) -> list[int]:
    """Row positions: shuffled within each confidence band, then bands taken in turn."""
    if proposals.empty:
        return []
    shuffled = np.random.default_rng(seed).permutation(len(proposals))
    band = pd.cut(proposals["confidence"], bins=list(BANDS), include_lowest=True, labels=False)
    queues = [
        [int(i) for i in shuffled if band.iloc[int(i)] == b] for b in sorted(band.dropna().unique())
    ]
    out: list[int] = []
    for turn in itertools.zip_longest(*queues):
        out += [i for i in turn if i is not None]
    return out


def decisions_over_time(con: duckdb.DuckDBPyConnection, *, freq: str = "D") -> pd.DataFrame:
    """Decisions per period (``freq``: a pandas frequency, e.g. "D", "W", "h"),
    object and action. Columns: period, object, action, decisions."""
    cols = ["period", "object", "action", "decisions"]
    d = store_decisions.load(con)
    if d.empty:
        return pd.DataFrame(columns=cols)
    d["period"] = pd.to_datetime(d["decided_at"]).dt.to_period(freq).dt.start_time
    out = d.groupby(["period", "object", "action"]).size().rename("decisions").reset_index()
    return out[cols]


def acceptance_by_band(
    con: duckdb.DuckDBPyConnection, *, bands: tuple[float, ...] = BANDS
) -> pd.DataFrame:
    """Decided proposals per object and confidence band: accepted, rejected, split,
    open, and acceptance_rate = accepted / decided."""
    p = all_proposals(con)
    cols = [
        "object",
        "band",
        "proposals",
        "accepted",
        "rejected",
        "split",
        "open",
        "acceptance_rate",
    ]
    if p.empty:
        return pd.DataFrame(columns=cols)
    labels = [f"{lo:g}-{hi:g}" for lo, hi in itertools.pairwise(bands)]
    p["band"] = pd.cut(p["confidence"], bins=list(bands), labels=labels, include_lowest=True)
    p["band"] = p["band"].astype(str)
    counts = pd.crosstab([p["object"], p["band"]], p["status"])
    for status in ("accepted", "rejected", "split", "open"):
        if status not in counts:
            counts[status] = 0
    counts["proposals"] = counts[["accepted", "rejected", "split", "open"]].sum(axis=1)
    decided = counts["accepted"] + counts["rejected"] + counts["split"]
    counts["acceptance_rate"] = counts["accepted"] / decided.where(decided > 0)
    return counts.reset_index()[cols]


def wilson_interval(successes: int, trials: int, *, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (NaN, NaN without trials)."""
    if trials == 0:
        return float("nan"), float("nan")
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def auto_merge_precision(
    con: duckdb.DuckDBPyConnection,
    *,
    truth_dir: Path | str | None = None,
    sample: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Measured precision of proposals suggested for auto-merge, per object.

    A seeded sample of up to ``sample`` such proposals per object is judged by the
    truth when ``truth_dir`` is given (correct = every member one true entity), else
    by decisions (accepted = correct, rejected or split = wrong, open = unjudged).
    Columns: object, auto_merge (proposals), sampled, judged, correct, precision,
    ci_low, ci_high, judged_by.
    """
    p = all_proposals(con)
    p = p[p["suggested_action"] == "auto_merge"]
    rows = []
    for obj in OBJECTS:
        mine = p[p["object"] == obj]
        if mine.empty:
            continue
        picked = mine.sample(n=min(sample, len(mine)), random_state=seed)
        if truth_dir is not None:
            entities = truth_entities(truth_dir, obj)
            verdicts = [truth_verdict(list(k), entities) for k in picked["record_keys"]]
            by = "truth"
        else:
            status = picked["status"]
            verdicts = [
                True if s == "accepted" else False if s in ("rejected", "split") else None
                for s in status
            ]
            by = "decisions"
        judged = [v for v in verdicts if v is not None]
        correct = sum(judged)
        lo, hi = wilson_interval(correct, len(judged))
        rows.append(
            (
                obj,
                len(mine),
                len(picked),
                len(judged),
                correct,
                correct / len(judged) if judged else float("nan"),
                lo,
                hi,
                by,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "object",
            "auto_merge",
            "sampled",
            "judged",
            "correct",
            "precision",
            "ci_low",
            "ci_high",
            "judged_by",
        ],
    )


def ensure_orphans(con: duckdb.DuckDBPyConnection, rules_dir: Path | str | None = None) -> str:
    """Make sure the store has an ``orphans`` table; say where it came from.

    ``rules_dir``: the folder whose ``orphans.yaml`` applies (default
    ``RESOLVER_RULES``, else the repository's ``rules/``).

    "store": the last run wrote it. "computed": it was missing and
    :func:`resolver.review.orphans.stage_orphans` computed it now from the published tables
    (this writes the table: use a copy of a store). "unavailable": neither.
    """
    if table_exists(con, "orphans"):
        return "store"
    try:
        rules = load_orphan_rules(rules_folder() if rules_dir is None else rules_dir)
        run_id = store_runs.last_run_id(con)
        stage_orphans(con, rules, prefix="", run_id=run_id, as_of=utc_now().date())
    except (ImportError, AttributeError, TypeError, duckdb.Error):
        return "unavailable"
    return "computed" if table_exists(con, "orphans") else "unavailable"


def orphan_backlog(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Orphans per expectation, severity, resolution and age bucket.

    Columns: expectation, severity, resolution, age, orphans, amount_cents. Empty
    when the store has no ``orphans`` table (see :func:`ensure_orphans`).
    """
    cols = ["expectation", "severity", "resolution", "age", "orphans", "amount_cents"]
    if not table_exists(con, "orphans"):
        return pd.DataFrame(columns=cols)
    o = store_analysis.orphan_ages(con)
    if o.empty:
        return pd.DataFrame(columns=cols)
    o["age"] = pd.cut(o["age_days"], bins=list(AGE_BUCKETS), labels=list(AGE_LABELS)).astype(str)
    out = (
        o.groupby(["expectation", "severity", "resolution", "age"], observed=True)
        .agg(
            orphans=("age_days", "size"),
            amount_cents=("amount_cents", lambda s: s.sum(min_count=1)),
        )
        .reset_index()
    )
    return out[cols]


def review_analytics(
    con: duckdb.DuckDBPyConnection,
    *,
    truth_dir: Path | str | None = None,
    sample: int = 200,
    seed: int = 0,
    freq: str = "D",
) -> dict[str, pd.DataFrame]:
    """Every review analytic at once: decisions_over_time, acceptance_by_band,
    auto_merge_precision, orphan_backlog (empty without an orphans table)."""
    out: dict[str, Any] = {
        "decisions_over_time": decisions_over_time(con, freq=freq),
        "acceptance_by_band": acceptance_by_band(con),
        "auto_merge_precision": auto_merge_precision(
            con, truth_dir=truth_dir, sample=sample, seed=seed
        ),
        "orphan_backlog": orphan_backlog(con),
    }
    return out
