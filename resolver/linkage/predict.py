"""Score candidate pairs with a trained model, and band them.

The prior (probability two random records match) is re-estimated on each run's
data from the rules' deterministic rules, so a probability threshold means the same
thing at 10k rows as at 1M: a model trained on a small world does not over-link a
large one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from resolver.linkage.derive import affordable_blocking
from resolver.linkage.model import LinkWork, Model, duckdb_work, work_linker
from resolver.linkage.model_file import translate_sql
from resolver.linkage.profile import pair_count
from resolver.linkage.rules import LinkageRules
from resolver.linkage.term_frequency import lookup_from_counts, tf_levels, tf_lookup
from resolver.progress import Progress

KEEP_PROBABILITY = 0.01  # pairs below this are not kept (too weak to propose or cite)


@dataclass
class Scored:
    """Scored pairs and what made them."""

    pairs: pa.Table
    prior: float
    comparisons_scored: int
    notes: list[str] = field(default_factory=list)  # blocking rules this run could not afford


def score_pairs(
    table: pd.DataFrame | pa.Table,
    model: Model,
    rules: LinkageRules,
    *,
    progress: Progress | None = None,
    work: Callable[[pa.Table, dict[str, Any]], LinkWork] = duckdb_work,
) -> Scored:
    """Block, score and veto every candidate pair within ``table``.

    Returns one row per pair (``record_key_l < record_key_r``) with match weight,
    probability, each comparison's level (``gamma_*``) and weight (``mw_*``), and the
    first veto it meets (or null). ``work`` opens the engine (DuckDB by default; the
    Spark engine's is :func:`resolver.spark.linkage.spark_work`): every engine gives
    the same pairs.
    """
    progress = progress or Progress()
    notes: list[str] = []
    settings = affordable_settings(table, model, rules, notes)
    w = work(table, settings)
    linker = w.linker
    try:
        register_tf_lookups(linker, w.sdf, model, lambda sql: w.query(sql).to_pandas())
        with progress.stage(f"link {rules.object}", total=3, unit="steps") as advance:
            linker.training.estimate_probability_two_random_records_match(
                [translate_sql(r, w.engine) for r in rules.prior["deterministic_rules"]],
                recall=float(rules.prior["recall"]),
            )
            prior = float(linker._settings_obj._probability_two_random_records_match)
            advance(1)
            blocked = w.blocked_pairs(linker)
            n_scored = w.query(f"SELECT count(*) AS n FROM {blocked.physical_name}")
            n_scored = int(n_scored.column(0)[0].as_py())
            predictions = linker.inference.predict(threshold_match_probability=KEEP_PROBABILITY)
            advance(1)
            cols = w.query(f"SELECT * FROM {predictions.physical_name} LIMIT 0").column_names
            evidence = [
                c for c in cols if c.startswith(("gamma_", "mw_")) and not c.startswith("mw_tf")
            ]
            tf = [c for c in cols if c.startswith("mw_tf_adj_")]
            veto = translate_sql(rules.veto_sql(), w.engine) if rules.veto_sql() else "NULL"
            select = ", ".join(f"p.{c}" for c in evidence)
            tf_sum = " + ".join(f"coalesce(p.{c}, 0)" for c in tf) or "0"
            sql = f"""
                SELECT least(p.record_key_l, p.record_key_r) AS record_key_l,
                       greatest(p.record_key_l, p.record_key_r) AS record_key_r,
                       CASE WHEN p.record_key_l < p.record_key_r THEN l.system ELSE r.system END
                         AS system_l,
                       CASE WHEN p.record_key_l < p.record_key_r THEN r.system ELSE l.system END
                         AS system_r,
                       p.match_weight, p.match_probability, {tf_sum} AS mw_term_frequency,
                       {select}, {veto} AS veto
                FROM {predictions.physical_name} p
                JOIN link_input l ON l.record_key = p.record_key_l
                JOIN link_input r ON r.record_key = p.record_key_r
                ORDER BY 1, 2
            """
            pairs = w.query(sql)
            advance(1)
    finally:
        w.close()
    return Scored(pairs=pairs, prior=prior, comparisons_scored=n_scored, notes=notes)


def register_tf_lookups(
    linker: Any, sdf: Any, model: Model, query: Callable[[str], pd.DataFrame]
) -> None:
    """Centred, capped term frequencies over every row of the input, all systems
    together (:mod:`resolver.linkage.term_frequency`), in place of Splink's own.
    ``query`` runs SQL on the linker's engine and returns a frame."""
    for col, level in tf_levels(model.splink).items():
        counts = query(
            f"SELECT {col}, count(*) AS n FROM {sdf.physical_name} "
            f"WHERE {col} IS NOT NULL GROUP BY {col}"
        )
        lookup = sdf.db_api.register(
            lookup_from_counts(counts, level), table_name=f"tf_lookup_{col}"
        )
        linker.table_management.register_term_frequency_lookup(lookup, col)


def affordable_settings(
    table: pd.DataFrame | pa.Table, model: Model, rules: LinkageRules, notes: list[str]
) -> dict[str, Any]:
    """The model's Splink settings with only the blocking rules ``table`` can afford
    (:func:`_affordable`); a rule left out is said in ``notes``."""
    settings = dict(model.splink)
    kept = _affordable(table, rules, notes)
    settings["blocking_rules_to_generate_predictions"] = [
        rule
        for cols, rule in zip(
            rules.doc["blocking"], settings["blocking_rules_to_generate_predictions"], strict=True
        )
        if cols in kept
    ]
    return settings


def _affordable(table: pd.DataFrame | pa.Table, rules: LinkageRules, notes: list[str]) -> list:
    """The model's blocking rules this run's records can afford (the same budget the
    derivation applied at training, on this data's size)."""
    con = duckdb.connect()
    try:
        con.register("_blocked", table)
        rows = con.execute("SELECT count(*) FROM _blocked").fetchall()[0][0]
        kept, _ = affordable_blocking(
            [list(b) for b in rules.doc["blocking"]],
            rows,
            lambda cols: pair_count(con, "_blocked", cols),
            notes,
        )
    finally:
        con.close()
    return kept


def band_sql(rules: LinkageRules) -> str:
    """SQL CASE giving each pair its band: auto_link, review or none (vetoes never auto-link)."""
    auto, review = rules.thresholds.auto_link, rules.thresholds.review
    return (
        f"CASE WHEN match_probability >= {auto} AND veto IS NULL THEN 'auto_link' "
        f"WHEN match_probability >= {review} THEN 'review' ELSE 'none' END"
    )


def score_table(
    table: pd.DataFrame | pa.Table,
    model: Model,
    *,
    blocking_rules: list[str] | None = None,
    tf_tables: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Score every pair within a small table with the model as trained (its own prior).

    For a handful of records (tests, the notebooks' example pairs); ``blocking_rules``
    defaults to every pair. Term frequencies: the centred, capped ones of the table
    itself (as a run computes them), or ``tf_tables`` (column -> frame of value and
    ``tf_<column>``, read by Splink as they are).
    """
    linker, con, sdf = work_linker(table, dict(model.splink))
    try:
        levels = tf_levels(model.splink)
        for col in tf_columns(model):
            if tf_tables and col in tf_tables:
                frame = tf_tables[col]
            elif col in levels:
                frame = tf_lookup(con, sdf.physical_name, levels[col])
            else:
                linker.table_management.compute_tf_table(col)
                continue
            lookup = sdf.db_api.register(frame, table_name=f"tf_lookup_{col}")
            linker.table_management.register_term_frequency_lookup(lookup, col)
        return linker.inference.predict_within(
            sdf,
            blocking_rules_to_generate_predictions=blocking_rules or ["1=1"],
            warning_mode="never",
        ).as_pandas_dataframe()
    finally:
        con.close()


def tf_columns(model: Model) -> list[str]:
    """Columns whose term frequencies the model adjusts for."""
    cols = []
    for comp in model.splink["comparisons"]:
        for level in comp["comparison_levels"]:
            col = level.get("tf_adjustment_column")
            if col and col not in cols:
                cols.append(col)
    return cols
