"""Match one new record against the resolved records of the last run, fast.

Splink builds a Linker (settings, tables, SQL pipeline) on every call, which costs
hundreds of milliseconds; a :class:`Matcher` evaluates the saved model itself:

1. at start-up, per object, it loads the model's columns of every resolved record
   (with its entity id) into memory, once, and indexes each blocking rule of the
   rules file: a sorted array of DuckDB ``hash()`` of the rule's columns;
2. per call, it normalizes the record with the normalizers ingest uses, finds the
   candidates whose blocking key equals the record's (an exact lookup per rule,
   as Splink's blocking would), and scores (record as ``l``) x (candidates as
   ``r``) in one DuckDB query whose ``CASE`` expressions are the model's level
   ``sql_condition``s, built once from the model JSON;
3. the match weight is ``log2(prior / (1 - prior)) + sum(log2(m / u))`` plus
   Splink's term-frequency adjustment on the levels that declare one (term
   frequencies of the resolved records, as the batch run computes them).

``tests/http/test_matching.py`` checks it agrees with Splink's
:func:`~resolver.linkage.predict.score_table` to 1e-6.

Example::

    con = store.connect("data/demo.duckdb", read_only=True)
    matcher = Matcher.from_store(con, rules_dir="rules", models_dir="models")
    result = matcher.match("customer", {"first_name": "Jon", "last_name": "Smith",
                                        "email": "jon.smith@example.com"})
    result.candidates[0].entity_id
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from resolver.canonical import FIELDS, OBJECTS, TABLES
from resolver.contracts import Contract
from resolver.errors import NotFound, Problem, ValidationProblems
from resolver.linkage.model import Model, load_model
from resolver.linkage.pair_levels import PairLevels
from resolver.linkage.rules import LinkageRules, load_rules
from resolver.linkage.sql_eval import Unsupported
from resolver.store import table_exists

log = logging.getLogger(__name__)

DEFAULT_TOP = 5
MAX_TOP = 50
MAX_PER_BLOCK = 2000  # candidates taken from one blocking key at most (largest blocks are capped)
_COLUMN_RE = re.compile(r"\b([a-z_][a-z0-9_]*)_[lr]\b")
_VETO_COLUMN_RE = re.compile(r"\b[lr]\.([a-z_][a-z0-9_]*)\b")
_MAX_TEXT = 500  # longest value of one field a client may send


@dataclass(frozen=True)
class Evidence:
    """One comparison's outcome for a pair: its level and the weight it adds."""

    comparison: str
    level: str
    gamma: int
    match_weight: float  # log2(m/u) of the level, plus its term-frequency adjustment
    tf_adjustment: float


@dataclass(frozen=True)
class Candidate:
    """A resolved record the new record may be, with the model's evidence."""

    record_key: str
    entity_id: str | None
    system: str
    source_id: str
    match_probability: float
    match_weight: float
    veto: str | None
    evidence: list[Evidence]


@dataclass(frozen=True)
class MatchResult:
    object: str
    normalized: dict[str, Any]
    candidates: list[Candidate]
    candidates_considered: int
    truncated: bool  # a blocking key had more than MAX_PER_BLOCK records; some were not scored
    prior: float
    prior_source: str  # "run" (the last run's estimate) or "model" (the trained prior)
    model_version: str
    run_id: int | None


@dataclass
class _Level:
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
class _Comparison:
    name: str
    levels: list[_Level]

    def case_sql(self) -> str:
        whens = []
        else_gamma = 0
        for lv in self.levels:
            if lv.sql.strip().upper() == "ELSE":
                else_gamma = lv.gamma
            else:
                whens.append(f"WHEN {lv.sql} THEN {lv.gamma}")
        return f"CASE {' '.join(whens)} ELSE {else_gamma} END"

    def level(self, gamma: int) -> _Level:
        for lv in self.levels:
            if lv.gamma == gamma:
                return lv
        raise KeyError(gamma)


@dataclass
class _ObjectIndex:
    """What one object needs in memory: the records, the blocking indexes, the SQL."""

    object: str
    model: Model
    rules: LinkageRules
    comparisons: list[_Comparison]
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


class Matcher:
    """Scores new records against the resolved records of one published run.

    Build once per process (it reads every resolved record's model columns:
    about 0.5 GB and ~30 s for a million customers); :meth:`match` is thread-safe.
    """

    def __init__(self, indexes: dict[str, _ObjectIndex]) -> None:
        self._indexes = indexes
        self._con = duckdb.connect()  # private, in memory: holds nothing but the query
        self._lock = threading.Lock()

    @property
    def objects(self) -> list[str]:
        return list(self._indexes)

    def run_id(self, obj: str) -> int | None:
        return self._indexes[obj].run_id

    def systems(self, obj: str) -> list[str]:
        return sorted(self._indexes[obj].contracts)

    @classmethod
    def from_store(
        cls,
        con: duckdb.DuckDBPyConnection,
        *,
        rules_dir: Path | str,
        models_dir: Path | str,
        objects: Sequence[str] = OBJECTS,
        prior: str = "run",
    ) -> Matcher:
        """Load what matching needs from the store's last run, the rules and the models.

        ``prior="run"`` uses the prior the last run estimated on its data (so
        probabilities mean what the run's do), ``"model"`` the trained model's.
        Objects without resolved records in the store are skipped.
        """
        from resolver.store.runs import latest_run

        run = latest_run(con)
        indexes = {}
        for obj in objects:
            if not table_exists(con, f"{obj}_members"):
                continue
            rules = load_rules(rules_dir, obj)
            model = load_model(models_dir, rules)
            run_prior = ((run or {}).get("summary", {}).get("objects", {}).get(obj, {})).get(
                "prior"
            )
            if prior == "run" and run_prior:
                p, source = float(run_prior), "run"
            else:
                p, source = float(model.splink["probability_two_random_records_match"]), "model"
            index = _build_index(con, obj, model, rules, prior=p, prior_source=source)
            index.run_id = (run or {}).get("run_id")
            index.contracts = _contracts(rules_dir, obj)
            indexes[obj] = index
        return cls(indexes)

    # -- matching ----------------------------------------------------------------
    def match(
        self,
        obj: str,
        record: Mapping[str, Any],
        *,
        system: str | None = None,
        top: int = DEFAULT_TOP,
    ) -> MatchResult:
        """Top candidates for a record in canonical form (``FIELDS[obj]`` names).

        ``system`` (optional) names the system the record comes from: its contract's
        phone region and country are the defaults, and an invoice's ``customer_ref``
        is looked up among that system's customers.
        """
        index = self._index(obj)
        _check_record(obj, record)
        contract = _contract_for(index, obj, system) if system else None
        canonical = {k: record.get(k) for k in FIELDS[obj]}
        if obj == "invoice":
            canonical = _invoice_canonical(canonical, record)
        normalized = self._normalize(index, canonical, contract, system)
        return self._score(index, normalized, top=top)

    def match_source(
        self, system: str, obj: str, source_record: Mapping[str, Any], *, top: int = DEFAULT_TOP
    ) -> MatchResult:
        """Top candidates for a record as ``system``'s export has it (its contract's columns)."""
        from resolver.ingest import _map_and_check

        index = self._index(obj)
        contract = _contract_for(index, obj, system)
        columns = contract.source_columns()
        unknown = sorted(set(source_record) - set(columns))
        problems = [
            Problem(
                "source_record",
                k,
                f"not a column of {system}'s {obj} export; known: {', '.join(columns)}",
            )
            for k in unknown
        ]
        problems += _value_problems("source_record", source_record)
        if problems:
            raise ValidationProblems("the record", problems)
        raw = {c: _text(source_record.get(c)) for c in columns}
        if raw.get(contract.id_column) is None:
            raw[contract.id_column] = "(new)"  # a new record may have no id yet
        raw_frame = pd.DataFrame([raw], dtype=object)
        raw_frame.insert(0, "_row", np.array([1], dtype=np.int64))
        canonical, text = _map_and_check(contract, raw_frame)
        if isinstance(text.iloc[0], str) and text.iloc[0]:
            raise ValidationProblems(
                "the record",
                [Problem("source_record", "", part.strip()) for part in text.iloc[0].split(";")],
            )
        row = {k: _plain(v) for k, v in canonical.iloc[0].to_dict().items()}
        normalized = self._normalize(index, row, contract, system)
        return self._score(index, normalized, top=top)

    def _index(self, obj: str) -> _ObjectIndex:
        if obj not in self._indexes:
            raise NotFound(f"no resolved {obj} records to match against; run `resolver run`")
        return self._indexes[obj]

    def _normalize(
        self,
        index: _ObjectIndex,
        record: dict[str, Any],
        contract: Contract | None,
        system: str | None,
    ) -> dict[str, Any]:
        """The model's columns of one canonical record, normalized as ingest does
        (one record at a time: the frame normalizers' pandas overhead would be most
        of a request's cost)."""
        from resolver.normalize import normalize_customer_record, normalize_invoice_number
        from resolver.normalize.tax_id import normalize_tax_id

        row = dict(record)
        if index.object == "customer":
            row.update(
                normalize_customer_record(
                    record,
                    phone_region=contract.phone_region if contract else "US",
                    default_country=contract.country if contract else "US",
                )
            )
            row["tax_id_norm"] = normalize_tax_id(record.get("tax_id"))
            if "first_name_variants" in index.columns:  # as ingest adds it
                from resolver.normalize.nickname_variants import first_name_variants

                row["first_name_variants"] = first_name_variants(row["first_name_norm"])
        else:
            row["invoice_number_norm"] = normalize_invoice_number(record.get("invoice_number"))
        row = {k: _plain(v) for k, v in row.items()}
        row["system"] = system
        if index.object == "invoice":
            row["customer_entity_id"] = self._customer_entity(system, row.get("customer_ref"))
        return {c: row.get(c) for c in index.columns}

    def _customer_entity(self, system: str | None, ref: Any) -> str | None:
        cust = self._indexes.get("customer")
        if cust is None or not system or ref is None:
            return None
        key = f"{system}:{ref}"
        keys = cust.data.column("record_key")
        hits = np.flatnonzero(pc_equal(keys, key))
        return cust.data.column("entity_id")[int(hits[0])].as_py() if len(hits) else None

    def _score(self, index: _ObjectIndex, values: dict[str, Any], *, top: int) -> MatchResult:
        top = max(1, min(int(top), MAX_TOP))
        rows, truncated = self._candidates(index, values)
        result = MatchResult(
            object=index.object,
            normalized=values,
            candidates=[],
            candidates_considered=len(rows),
            truncated=truncated,
            prior=index.prior,
            prior_source=index.prior_source,
            model_version=index.model.version,
            run_id=index.run_id,
        )
        if not len(rows):
            return result
        scored = self.score_rows(index.object, values, rows, evidence_for=lambda w: top_of(w, top))
        order = top_of(scored["match_weight"], top)
        cands = []
        data = index.data
        for i in order:
            row = int(rows[i])
            cands.append(
                Candidate(
                    record_key=data.column("record_key")[row].as_py(),
                    entity_id=data.column("entity_id")[row].as_py(),
                    system=data.column("system")[row].as_py(),
                    source_id=data.column("source_id")[row].as_py(),
                    match_probability=float(scored["match_probability"][i]),
                    match_weight=float(scored["match_weight"][i]),
                    veto=scored["veto"][i],
                    evidence=scored["evidence"][i],
                )
            )
        return MatchResult(**{**result.__dict__, "candidates": cands})

    def _candidates(self, index: _ObjectIndex, values: dict[str, Any]) -> tuple[np.ndarray, bool]:
        found: list[np.ndarray] = []
        truncated = False
        # a null key blocks nothing (l.x = r.x is never true on null)
        usable = [b for b in index.blocks if all(values.get(c) is not None for c in b[0])]
        if not usable:
            return np.empty(0, dtype=np.int64), False
        selects, params = [], []
        for cols, _, _ in usable:
            selects.append(f"hash({', '.join(f'?::{index.types[c]}' for c in cols)})")
            params += [values[c] for c in cols]
        cur = self._cursor()
        try:
            key_hashes = cur.execute(f"SELECT {', '.join(selects)}", params).fetchone()
        finally:
            cur.close()
        for (_, hashes, rows), h in zip(usable, key_hashes, strict=True):
            h = np.uint64(h)  # a Python int would make numpy compare the array as objects
            lo, hi = np.searchsorted(hashes, h, "left"), np.searchsorted(hashes, h, "right")
            if hi - lo > MAX_PER_BLOCK:
                truncated = True
                hi = lo + MAX_PER_BLOCK
            found.append(rows[lo:hi])
        if not found:
            return np.empty(0, dtype=np.int64), False
        return np.unique(np.concatenate(found)), truncated

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            return self._con.cursor()

    def score_rows(
        self,
        obj: str,
        values: dict[str, Any],
        rows: np.ndarray,
        *,
        tf: Mapping[str, Mapping[Any, float]] | None = None,
        evidence_for: Sequence[int] | Callable[[np.ndarray], Sequence[int]] | None = None,
        engine: str = "auto",
    ) -> dict[str, Any]:
        """Score the record ``values`` against resolved rows ``rows`` (positions in the
        index): match weight, probability, veto and evidence per row, in ``rows`` order.

        ``tf`` replaces the term frequencies (column -> value -> frequency) of the
        resolved records, e.g. to reproduce Splink scoring a small table on its own.
        ``evidence`` maps a position in ``rows`` to its per-comparison evidence, for
        ``evidence_for`` positions (default: all; a function of the weights picks them
        once they are known). ``engine``: "python" evaluates the levels in Python,
        "sql" in DuckDB, "auto" in Python when every level compiled.
        """
        index = self._index(obj)
        tf = index.tf if tf is None else tf
        if engine == "python" and index.levels is None:
            raise ValueError(f"the {obj} model has SQL the Python evaluator does not run")
        if index.levels is not None and engine != "sql":
            res = self._levels_python(index, values, rows, tf)
        else:
            res = self._levels_sql(index, values, rows, tf)
        n = len(rows)
        weight = np.full(n, _logit2(index.prior))
        parts = []
        for comp in index.comparisons:
            g = np.asarray(np.ma.filled(res[f"gamma_{comp.name}"], -1), dtype=np.int64)
            w, tf_adj = np.zeros(n), np.zeros(n)
            for lv in comp.levels:
                mask = g == lv.gamma
                if not mask.any():
                    continue
                w[mask] = lv.weight
                if lv.tf_column:
                    adj = _tf_adjustments(
                        lv,
                        _floats(res[f"tf_{lv.tf_column}_l"]),
                        _floats(res[f"tf_{lv.tf_column}_r"]),
                    )
                    tf_adj[mask] = adj[mask]
            w += tf_adj
            weight += w
            parts.append((comp, g, w, tf_adj))
        prob = np.exp2(weight) / (1.0 + np.exp2(weight))
        vetoes = [None if v is None or v is pd.NA else str(v) for v in _objects(res["veto"])]
        if evidence_for is None:
            wanted: Sequence[int] = range(n)
        elif callable(evidence_for):
            wanted = evidence_for(weight)
        else:
            wanted = evidence_for
        evidence = {
            int(i): [
                Evidence(
                    comp.name, comp.level(int(g[i])).label, int(g[i]), float(w[i]), float(t[i])
                )
                for comp, g, w, t in parts
            ]
            for i in wanted
        }
        return {
            "match_weight": weight,
            "match_probability": prob,
            "veto": vetoes,
            "evidence": evidence,
        }

    def _levels_python(
        self,
        index: _ObjectIndex,
        values: dict[str, Any],
        rows: np.ndarray,
        tf: Mapping[str, Mapping[Any, float]],
    ) -> dict[str, Any]:
        assert index.levels is not None
        rights = index.data.take(pa.array(rows, type=pa.int64())).to_pylist()
        if tf is index.tf:
            tf_rights = {c: [r[f"tf_{c}"] for r in rights] for c in index.tf}
        else:
            tf_rights = {c: [tf[c].get(r[c]) for r in rights] for c in index.tf}
        tf_left = {c: tf[c].get(values.get(c)) for c in index.tf}
        return index.levels.evaluate(values, rights, tf_left, tf_rights)

    def _levels_sql(
        self,
        index: _ObjectIndex,
        values: dict[str, Any],
        rows: np.ndarray,
        tf: Mapping[str, Mapping[Any, float]],
    ) -> dict[str, Any]:
        r_table = index.data.take(pa.array(rows, type=pa.int64()))
        if tf is not index.tf:
            for c in index.tf:
                i = r_table.schema.get_field_index(f"tf_{c}")
                vals = [tf[c].get(v) for v in r_table.column(c).to_pylist()]
                r_table = r_table.set_column(i, f"tf_{c}", pa.array(vals, type=pa.float64()))
        r_table = r_table.append_column("_pos", pa.array(np.arange(len(rows), dtype=np.int64)))
        cur = self._cursor()
        try:
            cur.register("r_input", r_table)
            l_values = [values.get(c) for c in index.columns]
            l_values += [tf[c].get(values.get(c)) for c in index.tf]
            return cur.execute(index.score_sql, l_values).fetchnumpy()
        finally:
            cur.close()

    def row_of(self, obj: str, record_key: str) -> int:
        """Position of a resolved record in the index (for tests and tools)."""
        keys = self._index(obj).data.column("record_key")
        hits = np.flatnonzero(pc_equal(keys, record_key))
        if not len(hits):
            raise NotFound(f"no resolved {obj} record {record_key}")
        return int(hits[0])

    def values_of(self, obj: str, row: int) -> dict[str, Any]:
        index = self._index(obj)
        return {c: index.data.column(c)[row].as_py() for c in index.columns}


# -- building --------------------------------------------------------------------
def _build_index(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    model: Model,
    rules: LinkageRules,
    *,
    prior: float,
    prior_source: str,
) -> _ObjectIndex:
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
        h = data.column(f"_block_{i}").to_numpy(zero_copy_only=False)
        h = pd.array(h, dtype="UInt64") if h.dtype == object else h
        valid = ~pd.isna(h)
        rows = np.flatnonzero(np.asarray(valid))
        keys = np.asarray(pd.Series(h)[valid], dtype=np.uint64)
        order = np.argsort(keys, kind="stable")
        blocks.append((cols, keys[order], rows[order].astype(np.int64)))
    data = data.drop_columns([f"_block_{i}" for i in range(len(blocking))]).combine_chunks()
    tf = {}
    for col in _tf_columns(model):
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
    return _ObjectIndex(
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


def _score_sql(
    columns: list[str],
    types: dict[str, str],
    comparisons: list[_Comparison],
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


def _comparisons(model: Model) -> list[_Comparison]:
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
                _Level(
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
        out.append(_Comparison(comp["output_column_name"], parsed))
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


def _tf_adjustments(level: _Level, tf_l: np.ndarray, tf_r: np.ndarray) -> np.ndarray:
    """Splink's: weight * (log2(u_exact) - log2(max(tf_l, tf_r, tf_minimum_u))); 0 where
    neither side has a term frequency."""
    a = np.where(np.isnan(tf_l), tf_r, tf_l)
    b = np.where(np.isnan(tf_r), tf_l, tf_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        adj = level.tf_weight * (
            level.tf_log2_u_exact - np.log2(np.maximum(np.maximum(a, b), level.tf_min_u))
        )
    return np.where(np.isnan(a), 0.0, adj)


def _tf_columns(model: Model) -> list[str]:
    from resolver.linkage.predict import tf_columns

    return tf_columns(model)


def _contracts(rules_dir: Path | str, obj: str) -> dict[str, Contract]:
    """The rules' source contracts of ``obj`` by system, without reading the source files."""
    from resolver.contracts import _parse_contract

    rules_dir = Path(rules_dir)
    folder = rules_dir / "sources" if (rules_dir / "sources").is_dir() else rules_dir
    out = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        c = _parse_contract(path, data_dir=None, problems=problems)
        if c is not None and c.object == obj:
            out[c.system] = c
    return out


# -- input checks ------------------------------------------------------------------
def _check_record(obj: str, record: Mapping[str, Any]) -> None:
    fields = FIELDS[obj]
    extra = set(fields) | ({"amount_cents", "tax_cents"} if obj == "invoice" else set())
    problems = [
        Problem("record", k, f"not a canonical {obj} field; known: {', '.join(fields)}")
        for k in sorted(set(record) - extra)
    ]
    problems += _value_problems("record", record)
    if problems:
        raise ValidationProblems("the record", problems)
    if not any(_text(v) for v in record.values()):
        raise ValidationProblems("the record", [Problem("record", "", "has no values to match on")])


def _value_problems(where: str, record: Mapping[str, Any]) -> list[Problem]:
    out = []
    for k, v in record.items():
        if isinstance(v, bool) or (v is not None and not isinstance(v, str | int | float)):
            out.append(Problem(where, str(k), "must be a string or a number"))
        elif isinstance(v, float) and not math.isfinite(v):
            out.append(Problem(where, str(k), "must be a finite number"))
        elif isinstance(v, str) and len(v) > _MAX_TEXT:
            out.append(Problem(where, str(k), f"is longer than {_MAX_TEXT} characters"))
        elif isinstance(v, str) and "\x00" in v:
            out.append(Problem(where, str(k), "contains a NUL character"))
    return out


def _invoice_canonical(canonical: dict[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """Parse an invoice's amounts (to cents) and dates the way ingest does."""
    from resolver.normalize import parse_amount, parse_date

    problems = []
    out = dict(canonical)
    for name in ("amount", "tax"):
        cents = record.get(f"{name}_cents")
        if cents is not None:
            if not isinstance(cents, int) or isinstance(cents, bool):
                problems.append(Problem("record", f"{name}_cents", "must be an integer"))
            out[f"{name}_cents"] = cents
            continue
        value, reason = parse_amount(_text(out.get(name)), locale="en_US")
        if reason is not None and out.get(name) is not None:
            problems.append(Problem("record", name, f"cannot read amount: {reason}"))
        out[f"{name}_cents"] = value
    for name in ("invoice_date", "due_date", "updated_at"):
        value, reason = parse_date(_text(out.get(name)), fmt=None)
        if reason is not None and out.get(name) is not None:
            problems.append(Problem("record", name, f"cannot read date: {reason}"))
        out[name] = value
    if problems:
        raise ValidationProblems("the record", problems)
    return out


def _text(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _plain(v: Any) -> Any:
    if isinstance(v, list | tuple | np.ndarray):
        return [_plain(x) for x in v]
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v


def _floats(arr: Any) -> np.ndarray:
    if isinstance(arr, np.ma.MaskedArray):
        return np.ma.filled(arr.astype(np.float64), np.nan)
    return np.asarray(arr, dtype=np.float64)


def _objects(arr: Any) -> list[Any]:
    if isinstance(arr, np.ma.MaskedArray):
        return [None if m else v for v, m in zip(arr.data, np.ma.getmaskarray(arr), strict=True)]
    return list(arr)


def top_of(weights: np.ndarray, top: int) -> np.ndarray:
    """Positions of the ``top`` highest weights, highest first (ties: first seen)."""
    return np.argsort(-weights, kind="stable")[:top]


def _logit2(p: float) -> float:
    return math.log2(p / (1.0 - p))


def pc_equal(column: pa.ChunkedArray, value: str) -> np.ndarray:
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(pc.equal(column, value), False))


def _contract_for(index: Any, obj: str, system: str) -> Any:
    """The contract of ``system``'s ``obj`` source, or a 4xx-worthy problem naming the known ones."""
    contract = index.contracts.get(system)
    if contract is None:
        raise ValidationProblems(
            "the record",
            [
                Problem(
                    "record",
                    "system",
                    f"no {obj} contract for system {system!r}; "
                    f"known: {', '.join(sorted(index.contracts)) or 'none'}",
                )
            ],
        )
    return contract
