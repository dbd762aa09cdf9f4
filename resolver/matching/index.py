"""What a matcher holds per object: the resolved records, the blocking indexes, the
model's levels (as DuckDB SQL, and compiled to Python) and the term frequencies."""

from __future__ import annotations

import logging
import math
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
from resolver.linkage.pair_levels import PairLevels
from resolver.linkage.predict import tf_columns
from resolver.linkage.rules import LinkageRules
from resolver.linkage.sql_eval import Unsupported
from resolver.linkage.term_frequency import tf_levels, tf_lookup

log = logging.getLogger(__name__)

_COLUMN_RE = re.compile(r"\b([a-z_][a-z0-9_]*)_[lr]\b")
_VETO_COLUMN_RE = re.compile(r"\b[lr]\.([a-z_][a-z0-9_]*)\b")


@dataclass
class Level:
    label: str
    gamma: int
    sql: str
    is_null: bool
    weight: float
    tf_column: str | None = None
    tf_weight: float = 1.0
    tf_min_u: float = 0.0
    tf_log2_u_exact: float = 0.0


@dataclass
class Comparison:
    name: str
    levels: list[Level]

    def case_sql(self) -> str:
        whens = []
        else_gamma = 0
        for lv in self.levels:
            if lv.sql.strip().upper() == "ELSE":
                else_gamma = lv.gamma
            else:
                whens.append(f"WHEN {lv.sql} THEN {lv.gamma}")
        return f"CASE {' '.join(whens)} ELSE {else_gamma} END"

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
    score_sql: str
    levels: PairLevels | None  # the levels in Python (None: some SQL only DuckDB runs)
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
    score_sql = _score_sql(columns, types, comparisons, list(tf), rules)
    try:
        levels: PairLevels | None = PairLevels(
            [(c.name, [(lv.gamma, lv.sql) for lv in c.levels]) for c in comparisons],
            rules.vetoes,
            columns,
            types,
        )
    except Unsupported as exc:
        log.info("%s matching scores in DuckDB: %s", obj, exc)
        levels = None
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
        score_sql=score_sql,
        levels=levels,
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


def _score_sql(
    columns: list[str],
    types: dict[str, str],
    comparisons: list[Comparison],
    tf_cols: list[str],
    rules: LinkageRules,
) -> str:
    l_cols = [f"?::{types[c]} AS {c}" for c in columns]
    l_cols += [f"?::DOUBLE AS tf_{c}" for c in tf_cols]
    veto = rules.veto_sql() or "NULL"
    pair_cols = [f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in columns]
    pair_cols += [f"l.tf_{c} AS tf_{c}_l, r.tf_{c} AS tf_{c}_r" for c in tf_cols]
    gammas = [f"{comp.case_sql()} AS gamma_{comp.name}" for comp in comparisons]
    tf_out = [f"tf_{c}_l, tf_{c}_r" for c in tf_cols]
    return f"""
        WITH l AS (SELECT {", ".join(l_cols)}),
        pair AS (
            SELECT r._pos, {veto} AS veto, {", ".join(pair_cols)}
            FROM l CROSS JOIN r_input r
        )
        SELECT _pos, veto, {", ".join([*gammas, *tf_out])}
        FROM pair ORDER BY _pos
    """


def _comparisons(model: Model) -> list[Comparison]:
    out = []
    for comp in model.splink["comparisons"]:
        levels = comp["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        gamma = len(non_null) - 1
        parsed = []
        for lv in levels:
            if lv.get("is_null_level"):
                g, weight = -1, 0.0
            else:
                g, gamma = gamma, gamma - 1
                weight = _level_weight(lv)
            parsed.append(
                Level(
                    label=lv.get("label_for_charts") or lv["sql_condition"],
                    gamma=g,
                    sql=lv["sql_condition"],
                    is_null=bool(lv.get("is_null_level")),
                    weight=weight,
                )
            )
        for lv, raw in zip(parsed, levels, strict=True):
            col = raw.get("tf_adjustment_column")
            if col and not lv.is_null and lv.sql.strip().upper() != "ELSE":
                w = float(raw.get("tf_adjustment_weight", 1.0))
                if w != 0:
                    lv.tf_column = col
                    lv.tf_weight = w
                    lv.tf_min_u = float(raw.get("tf_minimum_u_value", 0.0) or 0.0)
                    lv.tf_log2_u_exact = math.log2(_u_exact(levels, col, raw))
        out.append(Comparison(comp["output_column_name"], parsed))
    return out


def _u_exact(levels: list[dict[str, Any]], col: str, own: dict[str, Any]) -> float:
    """u of the level that is an exact match on ``col`` (Splink's choice), else the level's."""
    exact = re.compile(rf"^\s*\(?\s*{col}_l\s*=\s*{col}_r\s*\)?\s*$")
    for lv in levels:
        if exact.match(lv["sql_condition"]) and lv.get("u_probability"):
            return float(lv["u_probability"])
    return float(own["u_probability"])


def _level_weight(level: dict[str, Any]) -> float:
    m, u = level.get("m_probability"), level.get("u_probability")
    if m is None or u is None:
        return 0.0  # untrained (resolver's models fill these; Splink would use defaults)
    if m == 0:
        return -math.inf
    if u == 0:
        return math.inf
    return math.log2(m / u)


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
