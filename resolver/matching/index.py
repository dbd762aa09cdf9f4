"""What a matcher holds per object: the resolved records, the blocking indexes, the
model's levels (their labels, for the evidence), Splink's scoring SQL and the term
frequencies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from resolver.errors import Problem
from resolver.ingest.canonical import TABLES
from resolver.ingest.contracts import Contract, contract_paths, parse_contract
from resolver.linkage.comparisons import level_labels
from resolver.linkage.model import Model
from resolver.linkage.predict import tf_columns
from resolver.linkage.realtime import RecordScorer
from resolver.linkage.rules import LinkageRules
from resolver.linkage.term_frequency import tf_levels, tf_lookup
from resolver.matching.index_file import (
    TermFrequencies,
    fingerprint,
    index_files,
    open_index,
    write_index,
)
from resolver.store import match_index as store_index

_COLUMN_RE = re.compile(r"\b([a-z_][a-z0-9_]*)_[lr]\b")
_VETO_COLUMN_RE = re.compile(r"\b[lr]\.([a-z_][a-z0-9_]*)\b")


@dataclass
class ObjectIndex:
    """What one object needs in memory: the records, the blocking indexes, the SQL."""

    object: str
    model: Model
    rules: LinkageRules
    comparisons: dict[str, dict[int, str]]  # comparison -> {gamma: level label}
    columns: list[str]  # model input columns, in table order
    types: dict[str, str]  # column -> DuckDB type
    data: pa.Table  # one row per resolved record: keys, entity, columns, tf_<col> (mapped)
    packed: pa.Table  # per record, its scorer columns as one string (``packed``; mapped)
    blocks: list[tuple[list[str], np.ndarray, np.ndarray]]  # (columns, sorted hashes, rows), mapped
    tf: dict[str, TermFrequencies]  # tf column -> value -> term frequency (mapped)
    splink: RecordScorer  # Splink's scoring SQL for this model
    prior: float
    prior_source: str
    run_id: int | None
    contracts: dict[str, Contract] = field(default_factory=dict)


def build_index(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    model: Model,
    rules: LinkageRules,
    *,
    prior: float,
    prior_source: str,
) -> ObjectIndex:
    blocking = [list(cols) for cols in rules.doc["blocking"]]
    # the columns Splink's scoring SQL and the vetoes read (the scorer is handed only
    # these: each column of each candidate costs it time), then those blocking reads
    scored: set[str] = set(model.splink.get("additional_columns_to_retain") or [])
    for comp in model.splink["comparisons"]:
        for level in comp["comparison_levels"]:
            scored |= set(_COLUMN_RE.findall(level["sql_condition"]))
            if level.get("tf_adjustment_column"):
                scored.add(level["tf_adjustment_column"])
    for sql in rules.vetoes.values():
        scored |= set(_VETO_COLUMN_RE.findall(sql))
    used = set(scored)
    for cols in blocking:
        used |= set(cols)
    used.add("system")
    described = store_index.column_types(con, obj)
    types = {c: described.get(c, "VARCHAR") for c in used}
    if obj == "invoice":
        types["customer_entity_id"] = "VARCHAR"
    columns = sorted(used)
    tf_cols = tf_columns(model)
    tf_at = tf_levels(model.splink)
    scorer_columns = ["record_key", *sorted(scored), *(f"tf_{c}" for c in tf_cols)]

    def build(folder: Path) -> None:
        lookups = {}
        for col in tf_cols:
            if col in tf_at:  # centred and capped over every resolved record, as a run's
                frame = tf_lookup(con, TABLES[obj], tf_at[col])
                lookups[col] = pa.table(
                    {"value": frame[col], "tf": frame[f"tf_{col}"].astype("float64")}
                )
            else:
                lookups[col] = store_index.value_shares(con, obj, col)
        write_index(con, obj, columns, blocking, lookups, folder, packed_columns=scorer_columns)

    name = fingerprint(obj, [columns, types, blocking, model.splink])
    folder, mapped = index_files(con, name, build)
    try:
        data, packed, sorted_blocks, tf = open_index(folder, tf_cols)
    finally:
        mapped()
    blocks = [
        (cols, keys, rows) for cols, (keys, rows) in zip(blocking, sorted_blocks, strict=True)
    ]
    scorer_input = data.select(scorer_columns)
    splink = RecordScorer(model.splink, scorer_input.schema, prior=prior, veto_sql=rules.veto_sql())
    return ObjectIndex(
        object=obj,
        model=model,
        rules=rules,
        comparisons=level_labels(model.splink),
        columns=columns,
        types=types,
        data=data,
        packed=packed,
        blocks=blocks,
        tf=tf,
        splink=splink,
        prior=prior,
        prior_source=prior_source,
        run_id=None,
    )


def source_contracts(rules_dir: Path | str, obj: str) -> dict[str, Contract]:
    """The rules' source contracts of ``obj`` by system, without reading the source files."""

    out = {}
    problems: list[Problem] = []
    for path in contract_paths(rules_dir)[1]:
        c = parse_contract(path, data_dir=None, problems=problems)
        if c is not None and c.object == obj:
            out[c.system] = c
    return out
