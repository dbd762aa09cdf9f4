"""Train, save and load the Splink model of one object.

A saved model is JSON: ``{"resolver": {...metadata...}, "splink": {...Splink model...}}``.
The metadata records what made it (format version, rules hash, rows trained on,
date, library versions); a model whose rules hash differs from the rules is refused.
"""

from __future__ import annotations

import json
import logging
import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import splink
from splink import DuckDBAPI, Linker
from splink.internals.exceptions import EMTrainingException

from resolver.errors import ModelError
from resolver.linkage.comparisons import AT_HOME, KINDS, comparison_dict, level_gammas
from resolver.linkage.derive import reads_columns
from resolver.linkage.model_file import for_engine, neutral_settings, translate_sql
from resolver.linkage.rules import RULE_FILES, LinkageRules, rules_for_model
from resolver.progress import Progress
from resolver.store.resources import duckdb_config

MODEL_FORMAT = 2  # 2: the model carries the rules it was trained under (meta.rules)
MODEL_FILES = {"customer": "customers.json", "invoice": "invoices.json"}
_SPLINK_LOG = logging.ERROR


@dataclass
class Model:
    """A trained model: Splink's settings dict and our metadata."""

    object: str
    splink: dict[str, Any]
    meta: dict[str, Any]

    @property
    def version(self) -> str:
        return f"{self.object}@{self.meta['rules_hash']}:{self.meta['trained_at']}"

    def to_json(self) -> str:
        """The model file: engine-neutral (:mod:`resolver.linkage.model_file`)."""
        doc = {"resolver": self.meta, "splink": neutral_settings(self.splink)}
        return json.dumps(doc, indent=2, sort_keys=True)

    def untrained_levels(self) -> list[str]:  # before _neutralise_untrained fills them
        """Levels with no m or u estimate (Splink would silently use defaults)."""
        out = []
        for comp in self.splink["comparisons"]:
            for level in comp["comparison_levels"]:
                if level.get("is_null_level"):
                    continue
                for p in ("m_probability", "u_probability"):
                    if level.get(p) is None:
                        out.append(f"{comp['output_column_name']}/{level['label_for_charts']}: {p}")
        return out


def _versions() -> dict[str, str]:

    return {
        "splink": splink.__version__,
        "duckdb": duckdb.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
    }


def work_linker(
    table: pd.DataFrame | pa.Table,
    settings: dict[str, Any] | str,
    *,
    memory_limit: str | None = None,
):
    """A Splink Linker over ``table`` on a private in-memory DuckDB (nothing leaks into the store)."""
    if isinstance(settings, dict):
        settings = for_engine(settings, "duckdb")

    config = duckdb_config()
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(config=config)
    db_api = DuckDBAPI(con)
    sdf = db_api.register(table, table_name="link_input")
    linker = Linker(sdf, settings, log_level=_SPLINK_LOG, validate_settings=True)
    return linker, con, sdf


@dataclass
class LinkWork:
    """A Splink linker over one input table on some engine, and how to query it.

    ``query`` runs one SQL statement of the engine's dialect and returns Arrow; the
    input table is registered as ``link_input``. ``blocked_pairs`` materialises the
    candidate pairs the linker's ``predict`` scores (Splink's own by default)."""

    engine: str
    linker: Any
    sdf: Any
    query: Callable[[str], pa.Table]
    close: Callable[[], None]
    blocked_pairs: Callable[[Any], Any] = lambda linker: (
        linker.inference.compute_blocked_pairs_for_predict()
    )


def duckdb_work(table: pd.DataFrame | pa.Table, settings: dict[str, Any]) -> LinkWork:
    """The default engine: a private in-memory DuckDB."""
    linker, con, sdf = work_linker(table, settings)
    return LinkWork("duckdb", linker, sdf, lambda sql: con.sql(sql).to_arrow_table(), con.close)


def train_model(
    table: pd.DataFrame | pa.Table,
    rules: LinkageRules,
    *,
    progress: Progress | None = None,
    work: Callable[[pa.Table | pd.DataFrame, dict[str, Any]], LinkWork] = duckdb_work,
) -> Model:
    """Estimate the model without labels: the prior from deterministic rules, u by
    random sampling (seeded), m by EM over each training blocking rule (capped).
    ``work`` opens the engine (DuckDB by default)."""
    progress = progress or Progress()
    training = rules.training
    rows = table.num_rows if isinstance(table, pa.Table) else len(table)
    sample_rows = int(training.get("sample_rows", 0) or 0)
    if sample_rows and rows > sample_rows:
        # a row sample keeps the model's cost flat with scale; hash-ordered, so deterministic
        df = table.to_pandas() if isinstance(table, pa.Table) else table
        order = pd.util.hash_pandas_object(df["record_key"], index=False).sort_values()
        table = df.loc[order.index[:sample_rows]].reset_index(drop=True)
    # the levels for pairs sharing a home are added and estimated after training
    # (condition_on_shared_home): a pass blocked on a key of the home would train them alone
    settings = rules.splink_settings(at_home=False)
    w = work(table, settings)
    linker, engine = w.linker, w.engine
    n_em = len(rules.em_blocking_rules)
    with progress.stage(f"train {rules.object}", total=2 + n_em, unit="steps") as advance:
        linker.training.estimate_probability_two_random_records_match(
            [translate_sql(r, engine) for r in rules.prior["deterministic_rules"]],
            recall=float(rules.prior["recall"]),
        )
        prior = float(linker._settings_obj._probability_two_random_records_match)
        advance(1)
        linker.training.estimate_u_using_random_sampling(
            max_pairs=float(training.get("u_max_pairs", 2e6)), seed=int(training.get("seed", 42))
        )
        advance(1)
        skipped = []
        for rule in rules.em_blocking_rules:
            # Splink takes the comparisons a pass cannot train out of the linker's own
            # settings and puts them back only when the pass succeeds: a failed pass
            # would drop them from the model
            before = linker._settings_obj.core_model_settings.copy()
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    translate_sql(rule, engine),
                    max_pairs=float(training["em_max_pairs"])
                    if training.get("em_max_pairs")
                    else None,
                )
            except EMTrainingException as exc:  # a pass with no pairs trains nothing
                linker._settings_obj.core_model_settings = before
                skipped.append(f"training pass {rule}: skipped ({str(exc).split('.')[0]})")
            except ValueError as exc:  # EM drove a level's m to zero: the pass failed
                linker._settings_obj.core_model_settings = before
                skipped.append(f"training pass {rule}: skipped (EM did not converge: {exc})")
            advance(1)
    splink = linker.misc.save_model_to_json()
    w.close()
    model = Model(
        object=rules.object,
        # DuckDB's SQL is resolver's own; another engine's is taken back from ``settings``
        splink=neutral_settings(splink, sql_from=None if engine == "duckdb" else settings),
        meta={
            "format_version": MODEL_FORMAT,
            "object": rules.object,
            "rules_hash": rules.rules_hash,
            "rules_file": rules.path.name,
            "rows_trained_on": int(min(rows, sample_rows) if sample_rows else rows),
            "rows_available": int(rows),
            "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "library_versions": _versions(),
            "rules": rules.doc,
            "training_notes": skipped,
        },
    )
    model.meta["untrained_levels"] = model.untrained_levels()
    model.meta["neutral_levels"] = _neutralise_untrained(model.splink)
    model.meta["floored_levels"] = _floor_m(model.splink)
    model.meta["u_without_matches"] = _deduct_matches_from_u(model.splink, prior)
    model.meta["strongest_first"] = _strongest_first(model.splink, rules.comparisons)
    model.meta["shared_home"] = condition_on_shared_home(model.splink, table, rules.comparisons)
    return model


# Kinds whose first level is agreement on everything the others agree on partly (exact
# against similar, phone *and* address against either): it must weigh the most.
_NESTED_KINDS = frozenset(KINDS) - {"custom", "names_swapped"}
STRONGEST_MARGIN_BITS = 1.0


def _strongest_first(splink: dict[str, Any], comparisons: dict[str, dict[str, Any]]) -> list[str]:
    """Keep the first agreement level of each nested comparison at least
    ``STRONGEST_MARGIN_BITS`` above every other level, lowering its u where training
    left it below one (EM and the u deduction estimate levels separately, and a small
    file can leave "same phone and address" under "same address")."""
    raised = []
    for comp in splink["comparisons"]:
        name = comp["output_column_name"]
        if comparisons.get(name, {}).get("kind") not in _NESTED_KINDS:
            continue
        levels = [
            lv
            for lv in comp["comparison_levels"]
            if not lv.get("is_null_level")
            and lv.get("m_probability")
            and lv.get("u_probability")
            and lv["label_for_charts"] not in AT_HOME
        ]
        if len(levels) < 2:
            continue
        first, rest = levels[0], levels[1:]
        best = max(lv["m_probability"] / lv["u_probability"] for lv in rest)
        wanted = best * 2**STRONGEST_MARGIN_BITS
        if first["m_probability"] / first["u_probability"] < wanted:
            first["u_probability"] = first["m_probability"] / wanted
            raised.append(f"{name}/{first['label_for_charts']}")
    return raised


# The most a level's u may fall when the matches among the random pairs are deducted
# (about 3 bits): a cap on how far one estimate may move the other.
U_DEDUCTION_FLOOR = 1 / 8


def _deduct_matches_from_u(splink: dict[str, Any], prior: float) -> float:
    """Take the matches out of u. Random pairs include matches in the share ``prior``,
    so what sampling measures for a level is ``prior * m + (1 - prior) * u``; on a
    small file, where the matches are many of the pairs that agree on a rare value (a
    phone and an address), the measured u is mostly matches and the agreement would
    weigh bits too little. Solved for u, each level's share kept at least
    ``U_DEDUCTION_FLOOR`` of what was measured. Returns the prior used."""
    for comp in splink["comparisons"]:
        for level in comp["comparison_levels"]:
            m, measured = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level") or m is None or measured is None:
                continue
            u = (measured - prior * m) / (1 - prior)
            level["u_probability"] = max(u, measured * U_DEDUCTION_FLOOR)
    return prior


# The smallest m a level keeps: no single disagreement weighs more than about 17 bits
# against a match, so strong agreement elsewhere can still overcome it (EM on a pass
# where every pair agreed drives m towards zero, which would be a hidden veto).
M_FLOOR = 1e-5


def _floor_m(splink: dict[str, Any]) -> list[str]:
    floored = []
    for comp in splink["comparisons"]:
        for level in comp["comparison_levels"]:
            m = level.get("m_probability")
            if level.get("is_null_level") or m is None or m >= M_FLOOR:
                continue
            level["m_probability"] = M_FLOOR
            floored.append(f"{comp['output_column_name']}/{level['label_for_charts']}")
    return floored


# Below this many pairs sharing a home, or this much non-match mass among them, the
# home levels take the estimates made where no home is shared.
HOME_MIN_PAIRS = 50
HOME_MIN_NONMATCH = 5.0
HOME_EM_ITERATIONS = 100
HOME_EM_START_M = (0.9, 0.05, 0.05)  # same, similar, different
# Each class counts one pair more in every home level: a level never seen among a few
# hundred households is rare, not impossible (its weight stays within what was seen).
HOME_PSEUDO_PAIRS = 1.0


def condition_on_shared_home(
    splink: dict[str, Any], table: pd.DataFrame | pa.Table, comparisons: dict[str, dict]
) -> dict[str, Any]:
    """Add the "sharing a home" levels (``comparisons.AT_HOME``: same, similar,
    different) to each trained comparison with ``home_columns``, estimated on the pairs
    that share a home alone, by EM without labels.

    Splink multiplies the comparisons as if independent. Among non-matches that share a
    phone or an address (a household) a surname mostly agrees and a first name seldom,
    so "same surname" and "same home" would count one fact twice and outweigh different
    first names, while a first name shared at one home says more than elsewhere. The
    home levels hold P(level | same home, match / non-match); the home's own comparison
    counts whether the home is shared, and the trained levels stand for pairs that do
    not share one. The pairs that share a home are scored by every comparison that
    neither reads the home nor has home levels, and one two-class EM over them
    estimates the home levels of all such comparisons at once (a household is one
    pattern across the names: same surname, another first name) with the share of
    matches. Data with few non-matches sharing a home keep, at home, the trained
    levels' estimates (exact; the partial levels together; different). Returns what
    was estimated, per comparison."""
    conditioned: dict[str, list[dict[str, Any]]] = {}
    home: list[str] = []
    for comp in splink["comparisons"]:
        name = comp["output_column_name"]
        opts = comparisons.get(name, {})
        if not opts.get("home_columns"):
            continue
        trained = comp["comparison_levels"]  # trained without them: splink_settings(at_home=False)
        at_home = [
            lv
            for lv in comparison_dict(name, opts)["comparison_levels"]
            if lv["label_for_charts"] in AT_HOME
        ]
        if not at_home:
            continue
        nulls = [lv for lv in trained if lv.get("is_null_level")]
        rest = [lv for lv in trained if not lv.get("is_null_level")]
        for lv, group in zip(at_home, [rest[:1], rest[1:-1], rest[-1:]], strict=True):
            for key in ("m_probability", "u_probability"):
                total = sum(float(g.get(key) or 0.0) for g in group)
                lv[key] = min(max(total, M_FLOOR), 1 - M_FLOOR)
        comp["comparison_levels"] = [*nulls, *at_home, *rest]
        conditioned[name] = at_home
        home += [c for c in opts["home_columns"] if c not in home]
    if not conditioned:
        return {}
    est = _home_em(splink, table, comparisons, conditioned, home)
    if est is None:  # as where no home is shared
        return dict.fromkeys(
            conditioned, "too few pairs sharing a home that are not matches: as elsewhere"
        )
    m, u, share, pairs = est
    out: dict[str, Any] = {}
    for name, at_home in conditioned.items():
        for k, lv in enumerate(at_home):
            lv["m_probability"], lv["u_probability"] = m[name][k], u[name][k]
        out[name] = {"pairs": pairs, "match_share": share, "m": m[name], "u": u[name]}
    return out


def _home_em(
    splink: dict[str, Any],
    table: pd.DataFrame | pa.Table,
    comparisons: dict[str, dict],
    conditioned: dict[str, list[dict[str, Any]]],
    home: list[str],
) -> tuple[dict[str, list[float]], dict[str, list[float]], float, int] | None:
    """Per conditioned comparison, m and u of its home levels among the pairs sharing a
    home, the share of matches among them and their count; None when they hold too few
    non-matches to say."""
    settings = dict(splink)
    # resolver's neutral SQL (a model file's form), translated for DuckDB by work_linker
    settings["blocking_rules_to_generate_predictions"] = [f"l.{c} = r.{c}" for c in home]
    settings["retain_intermediate_calculation_columns"] = True
    linker, con, _ = work_linker(table, settings)
    try:
        pairs = linker.inference.predict().as_pandas_dataframe()
    finally:
        con.close()
    if len(pairs) < HOME_MIN_PAIRS:
        return None
    reads = reads_columns(comparisons)
    log_odds = np.zeros(len(pairs))
    for comp in splink["comparisons"]:
        name = comp["output_column_name"]
        if name in conditioned or reads.get(name, set()) & set(home):
            continue
        weight = pairs[f"mw_{name}"].astype(float).fillna(0.0).to_numpy()
        # evidence every pair sharing a home has alike (a town the shared address
        # implies) cannot tell them apart; the share would absorb it, but it tilts the start
        if len(weight) and np.all(weight == weight[0]):
            continue
        log_odds += weight
    odds = np.exp2(np.clip(log_odds, -60, 60))
    # each pair's home level per comparison (-1: a name missing, no evidence)
    cats: dict[str, np.ndarray] = {}
    m: dict[str, np.ndarray] = {}
    u: dict[str, np.ndarray] = {}
    for comp in splink["comparisons"]:
        name = comp["output_column_name"]
        if name not in conditioned:
            continue
        levels = comp["comparison_levels"]
        gamma_of = dict(zip(map(id, levels), level_gammas(levels), strict=True))
        gamma = pairs[f"gamma_{name}"].to_numpy()
        cat = np.full(len(pairs), -1)
        for k, lv in enumerate(conditioned[name]):
            cat[gamma == gamma_of[id(lv)]] = k
        cats[name] = cat
        # started where a match's names mostly agree and a non-match's say nothing: the
        # trained levels cannot start it, as outside a home a household looks like a match
        m[name] = np.array(HOME_EM_START_M, dtype=float)
        u[name] = np.full(len(conditioned[name]), 1 / len(conditioned[name]))
    share = 0.5
    p = np.full(len(pairs), share)
    for _ in range(HOME_EM_ITERATIONS):
        lm = share * odds
        lu = np.full(len(pairs), 1 - share)
        for name, cat in cats.items():
            seen = cat >= 0
            lm = np.where(seen, lm * m[name][np.maximum(cat, 0)], lm)
            lu = np.where(seen, lu * u[name][np.maximum(cat, 0)], lu)
        p = lm / np.maximum(lm + lu, 1e-300)
        share = float(p.mean())
        for name, cat in cats.items():
            seen = cat >= 0
            levels = len(m[name])
            for k in range(levels):
                hit = cat == k
                m[name][k] = (p[hit].sum() + HOME_PSEUDO_PAIRS) / (
                    p[seen].sum() + levels * HOME_PSEUDO_PAIRS
                )
                u[name][k] = ((1 - p[hit]).sum() + HOME_PSEUDO_PAIRS) / (
                    (1 - p[seen]).sum() + levels * HOME_PSEUDO_PAIRS
                )
    if (1 - p).sum() < HOME_MIN_NONMATCH:
        return None
    lo, hi = M_FLOOR, 1 - M_FLOOR
    fm = {n: [float(min(max(x, lo), hi)) for x in v] for n, v in m.items()}
    fu = {n: [float(min(max(x, lo), hi)) for x in v] for n, v in u.items()}
    return fm, fu, round(share, 4), len(pairs)


def _neutralise_untrained(splink: dict[str, Any]) -> list[str]:
    """Give levels training never saw a weight of zero (m = u): no evidence either way.

    Splink would otherwise use built-in defaults that can be strongly positive. A
    level whose u is unknown takes the "different" level's u; whose m is unknown, its u.
    """
    filled = []
    for comp in splink["comparisons"]:
        levels = comp["comparison_levels"]
        else_u = next(
            (lv.get("u_probability") for lv in reversed(levels) if lv["sql_condition"] == "ELSE"),
            None,
        )
        for level in levels:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            if m is not None and u is not None:
                continue
            if u is None:
                u = level["u_probability"] = else_u if else_u is not None else 0.5
            if m is None:
                level["m_probability"] = u
            filled.append(f"{comp['output_column_name']}/{level['label_for_charts']}")
    return filled


def save_model(model: Model, models_dir: Path | str) -> Path:
    path = Path(models_dir) / MODEL_FILES[model.object]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(model.to_json() + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def model_path(models_dir: Path | str, obj: str) -> Path:
    return Path(models_dir) / MODEL_FILES[obj]


def read_model(models_dir: Path | str, obj: str) -> Model:
    """Read a saved model (format checked; rules not yet compared)."""
    path = model_path(models_dir, obj)
    if not path.is_file():
        raise ModelError(
            f"no trained {obj} model at {path}; run `resolver train` or `resolver run --retrain`"
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        meta, splink = doc["resolver"], doc["splink"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ModelError(f"{path} is not a resolver model file: {exc}") from exc
    if meta.get("format_version") != MODEL_FORMAT or not isinstance(meta.get("rules"), dict):
        raise ModelError(
            f"{path} has model format {meta.get('format_version')}, this resolver reads "
            f"{MODEL_FORMAT}; retrain with `resolver train`"
        )
    # files saved before models were engine-neutral carry DuckDB's dialect tags
    return Model(object=obj, splink=neutral_settings(splink), meta=meta)


def load_model(models_dir: Path | str, rules: LinkageRules) -> Model:
    """Load a saved model; refuse one trained under other rules or another format."""
    model = read_model(models_dir, rules.object)
    _check_hash(model, rules, model_path(models_dir, rules.object))
    return model


def load_model_and_rules(
    models_dir: Path | str, rules_dir: Path | str, obj: str
) -> tuple[Model, LinkageRules]:
    """A saved model and the rules it runs under: the rules it was trained with, and
    today's overrides (``rules/customers.yaml``) on top. Overrides of what the model
    depends on (comparisons, blocking, training, prior) must match the training's."""
    model = read_model(models_dir, obj)
    rules = rules_for_model(rules_dir, obj, model.meta["rules"])
    _check_hash(model, rules, model_path(models_dir, obj))
    return model, rules


def _check_hash(model: Model, rules: LinkageRules, path: Path) -> None:
    if model.meta.get("rules_hash") != rules.rules_hash:
        raise ModelError(
            f"{path} was trained under other rules (hash {model.meta.get('rules_hash')}, "
            f"{RULE_FILES[rules.object]} now gives {rules.rules_hash}); "
            "retrain with `resolver train` or `resolver run --retrain`"
        )
