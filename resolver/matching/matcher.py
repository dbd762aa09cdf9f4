"""Match one new record against the resolved records of the last run, fast.

Splink builds a Linker (settings, tables, SQL pipeline) on every call, which costs
hundreds of milliseconds; a :class:`Matcher` builds what it needs once per process:

1. at start-up, per object, it maps the index files of the store file
   (:mod:`resolver.matching.index_file`, written by the first process that needs
   them and shared by every other): the model's columns of every resolved record
   (with its entity id and term frequencies) and, per blocking rule of the rules
   file, a sorted array of the keys of the rule's columns (a 64-bit hash of their
   text, :func:`~resolver.store.match_index.block_key`); it asks Splink
   for the model's scoring SQL (:class:`~resolver.linkage.realtime.RecordScorer`);
2. per call, it normalizes the record with the scalar normalizers (the same
   logic as ingest's frame form, without pandas), finds the candidates whose
   blocking key equals the record's (an exact lookup per rule, as Splink's
   blocking would; the keys fewest records share first, within
   :data:`CANDIDATE_BUDGET`), and scores the record against them with Splink's SQL: match
   weight, probability, each comparison's level and weight, and the rules' vetoes;
3. term frequencies are those of the resolved records, as the batch run computes
   them (:mod:`resolver.linkage.term_frequency`), supplied to Splink on both sides.

``tests/matching/test_matcher.py`` checks it agrees with Splink's
:func:`~resolver.linkage.predict.score_table` to 1e-6.

Example::

    con = store.connect("data/demo.duckdb", read_only=True)
    matcher = Matcher.from_store(con, rules_dir="rules", models_dir="models")
    result = matcher.match("customer", {"first_name": "Jon", "last_name": "Smith",
                                        "email": "jon.smith@example.com"})
    result.candidates[0].entity_id
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from resolver.errors import NotFound, Problem, ValidationProblems
from resolver.ingest.canonical import FIELDS, OBJECTS
from resolver.ingest.contracts import Contract
from resolver.ingest.load import map_to_canonical
from resolver.linkage.model import load_model_and_rules
from resolver.linkage.realtime import pack_row, pack_rows
from resolver.matching.index import ObjectIndex, build_index, source_contracts
from resolver.matching.index_file import take_rows
from resolver.matching.record import (
    as_text,
    check_record,
    contract_for,
    customer_canonical,
    invoice_canonical,
    is_plain_name,
    plain,
    value_problems,
)
from resolver.matching.results import Candidate, Evidence, MatchResult
from resolver.normalize import normalize_customer_record, normalize_invoice_number
from resolver.normalize.nickname_variants import first_name_variants
from resolver.normalize.tax_id import normalize_tax_id
from resolver.review.keyed_rows import Positions, Strings
from resolver.rulefiles import SANDBOX_CONFIG
from resolver.store import table_exists
from resolver.store.match_index import block_key, block_key_sql
from resolver.store.runs import latest_run

DEFAULT_TOP = 5
MAX_TOP = 50
NEW_RECORD_KEY = "(new)"  # the new record's key in Splink's table (no record key has parentheses)
# Candidates scored per call at most. They are taken key by key, the blocking keys the
# fewest records share first (a key many records share is weak evidence that any one
# of them is the record, and costs the most to score); a key whose records would take
# the call past the budget is left out whole (its records still come by any rarer key
# they share), and the result says ``truncated``. See README "POST /match".
CANDIDATE_BUDGET = 1000


class Matcher:
    """Scores new records against the resolved records of one published run.

    Build once per process (the first process of a store file writes the index
    files, ~1 min at a million customers; the others map them in ~2 s);
    :meth:`match` is thread-safe.
    """

    def __init__(self, indexes: dict[str, ObjectIndex], *, budget: int = CANDIDATE_BUDGET) -> None:
        self._indexes = indexes
        self.budget = budget
        # private, in memory, holds nothing but the query; rules SQL runs in it with no
        # file access and no extension loading (the rules-SQL sandbox)
        self._con = duckdb.connect(config=SANDBOX_CONFIG)
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

        run = latest_run(con)
        indexes = {}
        for obj in objects:
            linked = (run or {}).get("summary", {}).get("objects", {}).get(obj, {})
            # an object no source delivers has empty tables and, often, no model
            if not table_exists(con, f"{obj}_members") or (run and not linked.get("records")):
                continue
            model, rules = load_model_and_rules(models_dir, rules_dir, obj)
            run_prior = linked.get("prior")
            if prior == "run" and run_prior:
                p, source = float(run_prior), "run"
            else:
                p, source = float(model.splink["probability_two_random_records_match"]), "model"
            index = build_index(con, obj, model, rules, prior=p, prior_source=source)
            index.run_id = (run or {}).get("run_id")
            index.contracts = source_contracts(rules_dir, obj)
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
        check_record(obj, record)
        contract = contract_for(index, obj, system) if system else None
        canonical = {k: record.get(k) for k in FIELDS[obj]}
        if obj == "invoice":
            canonical = invoice_canonical(canonical, record)
        else:
            canonical = customer_canonical(canonical)
        normalized = self._normalize(index, canonical, contract, system)
        return self._score(index, normalized, top=top)

    def match_source(
        self, system: str, obj: str, source_record: Mapping[str, Any], *, top: int = DEFAULT_TOP
    ) -> MatchResult:
        """Top candidates for a record as ``system``'s export has it (its contract's columns)."""

        index = self._index(obj)
        contract = contract_for(index, obj, system)
        columns = contract.source_columns()
        unknown = sorted(k for k in set(source_record) - set(columns) if is_plain_name(k))
        problems = [
            Problem(
                "source_record",
                k,
                f"not a column of {system}'s {obj} export; known: {', '.join(columns)}",
            )
            for k in unknown
        ]
        problems += value_problems("source_record", source_record)
        if problems:
            raise ValidationProblems("the record", problems)
        raw = {c: as_text(source_record.get(c)) for c in columns}
        if raw.get(contract.id_column) is None:
            raw[contract.id_column] = "(new)"  # a new record may have no id yet
        raw_frame = pd.DataFrame([raw], dtype=object)
        raw_frame.insert(0, "_row", np.array([1], dtype=np.int64))
        canonical, text = map_to_canonical(contract, raw_frame)
        if isinstance(text.iloc[0], str) and text.iloc[0]:
            raise ValidationProblems(
                "the record",
                [Problem("source_record", "", part.strip()) for part in text.iloc[0].split(";")],
            )
        row = {k: plain(v) for k, v in canonical.iloc[0].to_dict().items()}
        normalized = self._normalize(index, row, contract, system)
        return self._score(index, normalized, top=top)

    def _index(self, obj: str) -> ObjectIndex:
        if obj not in self._indexes:
            raise NotFound(f"no resolved {obj} records to match against; run `resolver run`")
        return self._indexes[obj]

    def _normalize(
        self,
        index: ObjectIndex,
        record: dict[str, Any],
        contract: Contract | None,
        system: str | None,
    ) -> dict[str, Any]:
        """The model's columns of one canonical record, normalized as ingest does
        (one record at a time: the frame normalizers' pandas overhead would be most
        of a request's cost)."""

        row = dict(record)
        if index.object == "customer":
            row.update(
                normalize_customer_record(
                    record,
                    phone_region=contract.phone_region if contract else "US",
                    default_country=contract.country if contract else "US",
                    phone_area_code=contract.phone_area_code if contract else None,
                )
            )
            row["tax_id_norm"] = normalize_tax_id(record.get("tax_id"))
            if "first_name_variants" in index.columns:  # as ingest adds it
                row["first_name_variants"] = first_name_variants(row["first_name_norm"])
        else:
            row["invoice_number_norm"] = normalize_invoice_number(record.get("invoice_number"))
        row = {k: plain(v) for k, v in row.items()}
        row["system"] = system
        if index.object == "invoice":
            row["customer_entity_id"] = self._customer_entity(system, row.get("customer_ref"))
        return {c: row.get(c) for c in index.columns}

    def _customer_entity(self, system: str | None, ref: Any) -> str | None:
        cust = self._indexes.get("customer")
        if cust is None or not system or ref is None:
            return None
        row = _row_of_key(cust, f"{system}:{ref}")
        return None if row is None else cust.data.column("entity_id")[row].as_py()

    def _score(self, index: ObjectIndex, values: dict[str, Any], *, top: int) -> MatchResult:
        top = max(1, min(int(top), MAX_TOP))
        started = time.perf_counter()
        rows, truncated = self._candidates(index, values)
        found = time.perf_counter()
        no_candidates = None if len(rows) else _why_none(index, values)
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
            no_candidates=no_candidates,
            timing={"candidates": 1000 * (found - started), "scoring": 0.0},
        )
        if not len(rows):
            return result
        scored = self.score_rows(index.object, values, rows, evidence_for=lambda w: top_of(w, top))
        result.timing["scoring"] = 1000 * (time.perf_counter() - found)
        order = list(scored["evidence"])  # the top positions, best first
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

    def _candidates(self, index: ObjectIndex, values: dict[str, Any]) -> tuple[np.ndarray, bool]:
        """The rows sharing a blocking key with the record, rarest keys first, within
        the budget; and whether a key was left out."""
        usable = [b for b in index.blocks if _fills(b[0], values)]
        if not usable:
            return np.empty(0, dtype=np.int64), False
        keys: list[int | None] = []
        typed, params = [], []  # keys of values other than text: by DuckDB, as its casts go
        for cols, _, _ in usable:
            if all(index.types[c] == "VARCHAR" and isinstance(values[c], str) for c in cols):
                keys.append(block_key([values[c] for c in cols]))
                continue
            keys.append(None)
            names = []
            for c in cols:
                names.append(f"v{len(params)}")
                params.append((values[c], index.types[c]))
            typed.append(block_key_sql(names))
        if typed:
            given = ", ".join(f"?::{t} AS v{i}" for i, (_, t) in enumerate(params))
            cur = self._cursor()
            try:
                row = cur.execute(
                    f"SELECT {', '.join(typed)} FROM (SELECT {given})", [v for v, _ in params]
                ).fetchone()
            finally:
                cur.close()
            found = iter(row)
            keys = [next(found) if k is None else k for k in keys]
        spans = []
        for (_, hashes, rows), h in zip(usable, keys, strict=True):
            h = np.uint64(h)  # a Python int would make numpy compare the array as objects
            lo, hi = np.searchsorted(hashes, h, "left"), np.searchsorted(hashes, h, "right")
            if hi > lo:
                spans.append(rows[lo:hi])
        return take_within(spans, self.budget)

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
    ) -> dict[str, Any]:
        """Score the record ``values`` against resolved rows ``rows`` (positions in the
        index) with Splink's SQL: match weight, probability, veto and evidence per row,
        in ``rows`` order.

        ``tf`` replaces the term frequencies (column -> value -> frequency) of the
        resolved records, e.g. to reproduce Splink scoring a small table on its own.
        ``evidence`` maps a position in ``rows`` to its per-comparison evidence, for
        ``evidence_for`` positions (default: all; a function of the weights picks them
        once they are known).
        """
        index = self._index(obj)
        tf = index.tf if tf is None else tf
        weight, prob, parts, vetoes = self._splink_scores(index, values, rows, tf)
        n = len(rows)
        if evidence_for is None:
            wanted: Sequence[int] = range(n)
        elif callable(evidence_for):
            wanted = evidence_for(weight)
        else:
            wanted = evidence_for
        evidence = {
            int(i): [
                Evidence(name, labels[int(g[i])], int(g[i]), float(w[i]), float(t[i]))
                for name, labels, g, w, t in parts
            ]
            for i in wanted
        }
        return {
            "match_weight": weight,
            "match_probability": prob,
            "veto": vetoes,
            "evidence": evidence,
        }

    def _splink_scores(
        self,
        index: ObjectIndex,
        values: dict[str, Any],
        rows: np.ndarray,
        tf: Mapping[str, Mapping[Any, float]],
    ) -> tuple[
        np.ndarray,
        np.ndarray,
        list[tuple[str, dict[int, str], np.ndarray, np.ndarray, np.ndarray]],
        list,
    ]:
        """Splink's scoring SQL (:class:`~resolver.linkage.realtime.RecordScorer`) on the
        record and the candidate rows, term frequencies supplied on both sides."""
        schema = index.splink.schema
        left_row = {"record_key": NEW_RECORD_KEY, **{c: values.get(c) for c in index.columns}}
        left_row.update({f"tf_{c}": tf[c].get(values.get(c)) for c in index.tf})
        res = None
        if tf is index.tf:  # the candidates as the index packed them
            packed_left = pack_row(left_row, schema)
            if packed_left is None:
                packed_left = pack_rows(pa.Table.from_pylist([left_row], schema=schema))[0].as_py()
            packed_right = take_rows(index.packed, rows).column(0)
            if packed_left is not None and not packed_right.null_count:
                res = index.splink.score_packed([packed_left], packed_right.to_pylist())
        if res is None:
            left = pa.Table.from_pylist([left_row], schema=schema)
            right = take_rows(index.data.select(schema.names), rows)
            if tf is not index.tf:
                for c in index.tf:
                    i = right.schema.get_field_index(f"tf_{c}")
                    vals = [tf[c].get(v) for v in right.column(c).to_pylist()]
                    right = right.set_column(i, f"tf_{c}", pa.array(vals, type=pa.float64()))
            res = index.splink.score(left, right)
        parts = []
        for name, labels in index.comparisons.items():
            g = np.asarray(res[f"gamma_{name}"], dtype=np.int64)
            tf_adj = _floats(res.get(f"mw_tf_adj_{name}", np.zeros(len(rows))))
            tf_adj = np.nan_to_num(tf_adj, nan=0.0)
            parts.append((name, labels, g, _floats(res[f"mw_{name}"]) + tf_adj, tf_adj))
        vetoes = [None if v is None or v is pd.NA else str(v) for v in _objects(res["veto"])]
        return (
            _floats(res["match_weight"]),
            _floats(res["match_probability"]),
            parts,
            vetoes,
        )

    def row_of(self, obj: str, record_key: str) -> int:
        """Position of a resolved record in the index (for tests and tools)."""
        row = _row_of_key(self._index(obj), record_key)
        if row is None:
            raise NotFound(f"no resolved {obj} record {record_key}")
        return row

    def values_of(self, obj: str, row: int) -> dict[str, Any]:
        index = self._index(obj)
        return {c: index.data.column(c)[row].as_py() for c in index.columns}


def _fills(columns: Sequence[str], values: Mapping[str, Any]) -> bool:
    # a null key blocks nothing (l.x = r.x is never true on null)
    return all(values.get(c) is not None for c in columns)


def _why_none(index: ObjectIndex, values: Mapping[str, Any], shown: int = 4) -> str:
    """Why a record found no candidate: the blocking keys it fills (no stored record
    shares them), and the keys it comes closest to filling with what they still need."""
    have = sorted(c for c in index.columns if values.get(c) is not None)
    keys = {tuple(cols): [c for c in cols if values.get(c) is None] for cols, _, _ in index.blocks}
    filled = [" + ".join(cols) for cols, missing in keys.items() if not missing]
    if filled:
        said = (
            f"no stored {index.object} shares any of the blocking keys the record fills "
            f"({'; '.join(filled)})"
        )
    else:
        said = f"the record fills none of the {len(keys)} blocking keys the rules give"
    closest = sorted(
        ((cols, missing) for cols, missing in keys.items() if missing),
        # fewest values still needed, then the most the record already gives
        key=lambda kv: (len(kv[1]), len(kv[1]) - len(kv[0])),
    )[:shown]
    more = "; ".join(
        " + ".join(c) + (f" (needs {', '.join(m)})" if len(m) < len(c) else "") for c, m in closest
    )
    return (
        f"{said}, so no stored record was compared (the record's normalized values: "
        f"{', '.join(have) or 'none'}); keys it does not fill: {more}"
    )


# -- building --------------------------------------------------------------------


def _floats(arr: Any) -> np.ndarray:
    if isinstance(arr, np.ma.MaskedArray):
        return np.ma.filled(arr.astype(np.float64), np.nan)
    return np.asarray(arr, dtype=np.float64)


def _objects(arr: Any) -> list[Any]:
    if isinstance(arr, np.ma.MaskedArray):
        return [None if m else v for v, m in zip(arr.data, np.ma.getmaskarray(arr), strict=True)]
    return list(arr)


def take_within(spans: Sequence[np.ndarray], budget: int) -> tuple[np.ndarray, bool]:
    """The union of ``spans`` (the rows of each blocking key the record shares), taken
    the smallest first while the union stays within ``budget`` rows: a span that would
    take it past is left out whole. Returns the rows, sorted, and whether one was left
    out."""
    taken = np.empty(0, dtype=np.int64)
    left_out = False
    for span in sorted(spans, key=len):  # stable: equal sizes in rule order
        if len(span) > budget:  # this and every later one: too many on its own
            left_out = True
            break
        union = np.union1d(taken, span)
        if len(union) > budget:
            left_out = True
            continue
        taken = union
    return taken.astype(np.int64, copy=False), left_out


def top_of(weights: np.ndarray, top: int) -> np.ndarray:
    """Positions of the ``top`` highest weights, highest first (ties: first seen)."""
    return np.argsort(-weights, kind="stable")[:top]


def _row_of_key(index: ObjectIndex, record_key: str) -> int | None:
    """Position of a record key: a binary search, the records being sorted by key
    (in code-point order, as DuckDB sorts text)."""
    return Positions(Strings(index.data.column("record_key"))).get(record_key)
