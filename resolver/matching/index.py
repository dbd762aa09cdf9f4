"""What a matcher holds per object: the resolved records, the blocking indexes, the
model's levels (their labels, for the evidence), Splink's scoring SQL and the term
frequencies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from resolver.errors import Problem
from resolver.ingest.canonical import TABLES
from resolver.ingest.contracts import Contract, contract_paths, parse_contract
from resolver.linkage.model import Model
from resolver.linkage.predict import tf_columns
from resolver.linkage.realtime import RecordScorer
from resolver.linkage.rules import LinkageRules
from resolver.linkage.term_frequency import tf_levels, tf_lookup

_COLUMN_RE = re.compile(r"\b([a-z_][a-z0-9_]*)_[lr]\b")
_VETO_COLUMN_RE = re.compile(r"\b[lr]\.([a-z_][a-z0-9_]*)\b")


@dataclass
class Level:
    label: str
    gamma: int  # Splink's comparison vector value of the level (-1: the null level)
    sql: str


@dataclass
class Comparison:
    name: str
    levels: list[Level]

    def level(self, gamma: int) -> Level:
        for lv in self.levels:
            if lv.gamma == gamma:
                return lv
        raise KeyError(gamma)


@dataclass
class ObjectIndex:
    """What one object needs in memory: the records, the blocking indexes, the SQL."""

    object: str
    model: Model
    rules: LinkageRules
    comparisons: list[Comparison]
    columns: list[str]  # model input columns, in table order
    types: dict[str, str]  # column -> DuckDB type
    data: pa.Table  # one row per resolved record: keys, entity, columns, tf_<col>
    blocks: list[tuple[list[str], np.ndarray, np.ndarray]]  # (columns, sorted hashes, rows)
    tf: dict[str, dict[Any, float]]  # tf column -> value -> term frequency
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
    comparisons = _comparisons(model)
    blocking = [list(cols) for cols in rules.doc["blocking"]]
    used: set[str] = set()
    for comp in model.splink["comparisons"]:
        for level in comp["comparison_levels"]:
            used |= set(_COLUMN_RE.findall(level["sql_condition"]))
            if level.get("tf_adjustment_column"):
                used.add(level["tf_adjustment_column"])
    for cols in blocking:
        used |= set(cols)
    for sql in rules.vetoes.values():
        used |= set(_VETO_COLUMN_RE.findall(sql))
    used.add("system")
    table = TABLES[obj]
    described = {r[0]: r[1] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    types = {c: described.get(c, "VARCHAR") for c in used}
    if obj == "invoice":
        types["customer_entity_id"] = "VARCHAR"
    columns = sorted(used)
    join = ""
    if obj == "invoice":
        join = (
            "LEFT JOIN customers c ON c.system = r.system AND c.source_id = r.customer_ref "
            "LEFT JOIN customer_members cm ON cm.record_key = c.record_key"
        )
    hashes = ", ".join(
        f"CASE WHEN {' AND '.join(f'_{c} IS NOT NULL' for c in cols)} "
        f"THEN hash({', '.join(f'_{c}' for c in cols)}) END AS _block_{i}"
        for i, cols in enumerate(blocking)
    )
    inner = ", ".join(
        "cm.entity_id AS _customer_entity_id" if c == "customer_entity_id" else f"r.{c} AS _{c}"
        for c in columns
    )
    data = con.sql(
        f"""
        SELECT * EXCLUDE ({", ".join(f"_{c}" for c in columns)}),
               {", ".join(f"_{c} AS {c}" for c in columns)}
        FROM (
            SELECT r.record_key, r.source_id, m.entity_id, {inner}, {hashes}
            FROM {table} r JOIN {obj}_members m USING (record_key) {join}
        )
        ORDER BY record_key
        """
    ).to_arrow_table()
    blocks = []
    for i, cols in enumerate(blocking):
        keys, rows = block_keys(data.column(f"_block_{i}"))
        order = np.argsort(keys, kind="stable")
        blocks.append((cols, keys[order], rows[order]))
    data = data.drop_columns([f"_block_{i}" for i in range(len(blocking))]).combine_chunks()
    tf = {}
    tf_at = tf_levels(model.splink)
    for col in _tf_columns(model):
        if col in tf_at:  # centred and capped over every resolved record, as a run's
            lookup = tf_lookup(con, table, tf_at[col])
            tf[col] = dict(zip(lookup[col], lookup[f"tf_{col}"], strict=True))
        else:
            freq = con.execute(
                f"SELECT {col}, count(*)::DOUBLE / (SELECT count({col}) FROM {table}) "
                f"FROM {table} WHERE {col} IS NOT NULL GROUP BY {col}"
            ).fetchall()
            tf[col] = dict(freq)
        values = data.column(col).to_pylist()
        data = data.append_column(
            f"tf_{col}", pa.array([tf[col].get(v) for v in values], type=pa.float64())
        )
    scored = data.select(["record_key", *columns, *(f"tf_{c}" for c in tf)])
    splink = RecordScorer(model.splink, scored.schema, prior=prior, veto_sql=rules.veto_sql())
    return ObjectIndex(
        object=obj,
        model=model,
        rules=rules,
        comparisons=comparisons,
        columns=columns,
        types=types,
        data=data,
        blocks=blocks,
        tf=tf,
        splink=splink,
        prior=prior,
        prior_source=prior_source,
        run_id=None,
    )


def block_keys(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The non-null 64-bit hashes of one blocking column and the rows holding them.

    Stays in Arrow until the nulls are gone: converting a hash column with nulls to
    NumPy (or pandas) gives float64, whose 53-bit mantissa rounds most hashes to a
    neighbouring value, and the record could then never be found by that key.
    """
    if not pa.types.is_uint64(column.type):
        raise TypeError(f"a blocking hash must be UBIGINT, not {column.type}")
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    valid = column.is_valid().to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(valid).astype(np.int64)
    keys = column.drop_null().to_numpy(zero_copy_only=False)
    if keys.dtype != np.uint64:  # pragma: no cover - Arrow's uint64 without nulls is uint64
        raise TypeError(f"blocking hashes converted to {keys.dtype}")
    return keys, rows


def _comparisons(model: Model) -> list[Comparison]:
    """Each comparison's levels with the gamma Splink gives them (the non-null levels
    counted down from the first, the null level -1)."""
    out = []
    for comp in model.splink["comparisons"]:
        levels = comp["comparison_levels"]
        gamma = sum(not lv.get("is_null_level") for lv in levels) - 1
        parsed = []
        for lv in levels:
            if lv.get("is_null_level"):
                g = -1
            else:
                g, gamma = gamma, gamma - 1
            parsed.append(
                Level(lv.get("label_for_charts") or lv["sql_condition"], g, lv["sql_condition"])
            )
        out.append(Comparison(comp["output_column_name"], parsed))
    return out


def _tf_columns(model: Model) -> list[str]:

    return tf_columns(model)


def source_contracts(rules_dir: Path | str, obj: str) -> dict[str, Contract]:
    """The rules' source contracts of ``obj`` by system, without reading the source files."""

    out = {}
    problems: list[Problem] = []
    for path in contract_paths(rules_dir)[1]:
        c = parse_contract(path, data_dir=None, problems=problems)
        if c is not None and c.object == obj:
            out[c.system] = c
    return out
