"""The proposals of one published run, in memory, for filtering, sorting and paging.

A run's proposals never change until the next run replaces the store, so they are
read once (their narrow columns) and every sort order is computed once; a page is
then a walk down one precomputed order, testing filters on a chunk at a time,
until it has enough rows. Only the status changes between runs (decisions): it is
an array kept in step with the decision log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from resolver.ingest.canonical import OBJECTS
from resolver.review.decision_log import DecisionLog, InForce
from resolver.review.keyed_rows import Positions, Strings
from resolver.store import proposals
from resolver.store.schema import PROPOSAL_COLUMNS

KINDS = ("duplicate", "link", "review_pair")
ACTIONS = ("auto_merge", "review", "none")
STATUSES = ("open", "accepted", "rejected", "split")
_STATUS_OF_ACTION = {"accept": 1, "reject": 2, "split": 3}
SORTS = ("stake", "confidence", "-confidence", "records", "id")
_CHUNK = 4096


@dataclass(frozen=True)
class Filters:
    object: str | None = None
    system: str | None = None
    status: str | None = "open"
    action: str | None = None
    kind: str | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None


class ProposalIndex:
    """Proposal rows by position (positions in proposal-id order), over the view's
    ``proposals`` and ``evidence`` tables (:func:`proposal_table`): in memory, or
    memory-mapped from the files written at publish (then nothing here is copied
    but the status)."""

    def __init__(self, table: pa.Table | None, evidence: pa.Table | None) -> None:
        if table is None:  # no run has proposed anything yet
            table = _empty_table()
        n = self.size = table.num_rows
        col = table.column
        self.ids = Strings(col("proposal_id"))
        self.pos = Positions(self.ids)
        self.object = _numpy(col("_object"))
        self.kind = _numpy(col("_kind"))
        self.action = _numpy(col("_action"))
        self.confidence = _numpy(col("_confidence"))
        self.stake = _numpy(col("_stake"))
        self.records = _numpy(col("_records"))
        self.members_key = Strings(col("members_key"))
        self.content_version = Strings(col("version"))
        self.run_id = Strings(col("run_id"))
        self.entity_ids = col("entity_ids")
        self.record_keys = col("record_keys")
        self.systems = col("systems")
        self._evidence = evidence.column("evidence") if evidence is not None else None
        self.system_mask = {
            name.removeprefix(_SYSTEM): _numpy(col(name)).view(bool)
            for name in table.column_names
            if name.startswith(_SYSTEM)
        }
        self.orders = {s: _numpy(col(f"_order_{s}")) for s in SORTS}
        self.status = np.zeros(n, dtype=np.int8)  # the one live part, per process

    def evidence(self, i: int) -> str | None:
        """The evidence JSON of the proposal at position ``i``."""
        return None if self._evidence is None else self._evidence[i].as_py()

    # -- status, from the decisions ------------------------------------------------
    def apply_decisions(
        self,
        log: DecisionLog,
        proposal_ids: list[str] | set[str],
        legacy_holds: Callable[[int, InForce], bool] | None = None,
    ) -> None:
        """Set the status of these proposals from the decisions in force on them: a
        decision holds while the proposal's members and the data it was made on are
        unchanged (the members' content hashes). ``legacy_holds(i, d)`` judges a
        decision journaled with row hashes, before content hashes existed."""
        for pid in proposal_ids:
            i = self.pos.get(pid)
            if i is None:
                continue
            d = log.in_force(pid)
            holds = d is not None and (
                d.members_key == self.members_key[i]
                or (legacy_holds is not None and legacy_holds(i, d))
            )
            self.status[i] = _STATUS_OF_ACTION[d.action] if holds and d is not None else 0

    def keys_of(self, i: int) -> list[str]:
        """The record keys of the proposal at position ``i``."""
        return self.record_keys[i].as_py()

    # -- reading ---------------------------------------------------------------------
    def page(self, f: Filters, sort: str, offset: int, limit: int) -> list[int]:
        """Positions of the rows ``offset .. offset+limit`` (one more if there is one)
        that pass the filters, in the sort order."""
        order = self.orders[sort]
        want = offset + limit + 1
        found: list[np.ndarray] = []
        have, start, chunk = 0, 0, _CHUNK
        while start < self.size and have < want:
            idx = order[start : start + chunk]
            hits = idx[self._passes(idx, f)]
            found.append(hits)
            have += len(hits)
            start += chunk
            chunk *= 2  # selective filters: fewer, larger steps
        if not found:
            return []
        return np.concatenate(found)[offset:want].tolist()

    def select(self, f: Filters) -> np.ndarray:
        """Positions of every row that passes the filters, in proposal-id order."""
        idx = np.arange(self.size)
        return idx[self._passes(idx, f)]

    def _passes(self, idx: np.ndarray, f: Filters) -> np.ndarray:
        ok = np.ones(len(idx), dtype=bool)
        if f.object is not None:
            ok &= self.object[idx] == _code(f.object, OBJECTS)
        if f.kind is not None:
            ok &= self.kind[idx] == _code(f.kind, KINDS)
        if f.action is not None:
            ok &= self.action[idx] == _code(f.action, ACTIONS)
        if f.system is not None:
            mask = self.system_mask.get(f.system)
            ok &= mask[idx] if mask is not None else False
        if f.min_confidence is not None:
            ok &= self.confidence[idx] >= f.min_confidence
        if f.max_confidence is not None:
            ok &= self.confidence[idx] <= f.max_confidence
        if f.status is not None:
            ok &= self.status[idx] == STATUSES.index(f.status)
        return ok

    def summary(self, i: int, decisions: int) -> dict[str, Any]:
        """The row at position ``i`` as a list item; ``decisions``: how many it has had."""
        return self.summaries([i], [decisions])[0]

    def summaries(self, rows: list[int], decisions: list[int]) -> list[dict[str, Any]]:
        """List items of the rows at these positions (a column at a time)."""
        if not rows:
            return []
        at = np.asarray(rows, dtype=np.int64)
        taken = pa.array(at)
        confidence = self.confidence[at]
        stake, records = self.stake[at], self.records[at]
        columns = zip(
            at.tolist(),
            self.object[at].tolist(),
            self.kind[at].tolist(),
            self.status[at].tolist(),
            decisions,
            self.entity_ids.take(taken).to_pylist(),
            self.record_keys.take(taken).to_pylist(),
            self.systems.take(taken).to_pylist(),
            np.where(np.isnan(confidence), None, confidence).tolist(),
            self.action[at].tolist(),
            _ints(stake),
            _ints(records),
            strict=True,
        )
        return [
            {
                "proposal_id": self.ids[i],
                "object": OBJECTS[o],
                "kind": KINDS[k],
                "status": STATUSES[st],
                "version": f"{self.content_version[i]}.{n}",
                "entity_ids": ents,
                "record_keys": keys,
                "systems": systems,
                "confidence": conf,
                "suggested_action": ACTIONS[a],
                "stake_cents": stake_i,
                "records_affected": rec_i,
                "run_id": self.run_id[i],
            }
            for i, o, k, st, n, ents, keys, systems, conf, a, stake_i, rec_i in columns
        ]


def proposal_table(con: duckdb.DuckDBPyConnection, objects: list[str]) -> pa.Table:
    """Every proposal's narrow columns in proposal-id order (one batch), with what
    reading needs precomputed: vocabulary codes, numbers as floats (NaN for missing),
    one 0/1 column per system, and every sort order as positions."""
    if not objects:
        return _empty_table()
    cols = [c for c in PROPOSAL_COLUMNS if c != "evidence"]  # read apart
    t = proposals.proposal_rows(con, objects, cols)
    return _with_derived(t.combine_chunks())


def evidence_reader(con: duckdb.DuckDBPyConnection, objects: list[str]) -> pa.RecordBatchReader:
    """Evidence JSON (most of the bytes, about 1.6 KB a customer proposal) in
    proposal-id order, streamed: it is never held whole on the way to a file."""
    return proposals.evidence_reader(con, objects)


def _with_derived(t: pa.Table) -> pa.Table:
    confidence = _floats(t.column("confidence"))
    stake = _floats(t.column("stake_cents"))
    records = _floats(t.column("records_affected"))
    derived: dict[str, Any] = {
        "_object": _codes(t.column("object").to_pylist(), OBJECTS),
        "_kind": _codes(t.column("kind").to_pylist(), KINDS),
        "_action": _codes(t.column("suggested_action").to_pylist(), ACTIONS),
        "_confidence": confidence,
        "_stake": stake,
        "_records": records,
    }
    derived |= {f"_order_{s}": o for s, o in _orders(confidence, stake, records).items()}
    derived |= {
        _SYSTEM + s: m.view(np.uint8) for s, m in _system_masks(t.column("systems")).items()
    }
    for name, values in derived.items():
        t = t.append_column(name, pa.array(values))
    return t


def _empty_table() -> pa.Table:
    """The proposals table of a store without proposals (no rows)."""
    schema = pa.schema(
        [(c, pa.string()) for c in ("proposal_id", "members_key", "version", "run_id")]
        + [(c, pa.list_(pa.string())) for c in ("entity_ids", "record_keys", "systems")]
        + [(c, pa.int8()) for c in ("_object", "_kind", "_action")]
        + [(c, pa.float64()) for c in ("_confidence", "_stake", "_records")]
        + [(f"_order_{s}", pa.int64()) for s in SORTS]
    )
    return schema.empty_table()


def _numpy(column: pa.ChunkedArray) -> np.ndarray:
    """A fixed-width column without nulls as a numpy array: a view of its one
    buffer (of the mapped file), or a copy when it comes in pieces."""
    if column.num_chunks == 1:
        return column.chunk(0).to_numpy(zero_copy_only=True)
    return np.asarray(column.to_numpy())


_SYSTEM = "system:"  # prefix of the per-system 0/1 columns


def _codes(values: list[str | None], vocabulary: tuple[str, ...]) -> np.ndarray:
    lookup = {v: i for i, v in enumerate(vocabulary)}
    return np.array([lookup.get(v, -1) for v in values], dtype=np.int8)


def _code(value: str, vocabulary: tuple[str, ...]) -> int:
    return vocabulary.index(value) if value in vocabulary else -2  # matches nothing


def _floats(column: Any) -> np.ndarray:
    return np.array(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def _system_masks(systems: Any) -> dict[str, np.ndarray]:
    """One boolean array per system: does the proposal involve it."""
    systems = systems.combine_chunks() if isinstance(systems, pa.ChunkedArray) else systems
    flat = systems.flatten()
    parents = pc.list_parent_indices(systems).to_numpy()
    out = {}
    for s in pc.unique(flat).to_pylist():
        if s is None:
            continue
        mask = np.zeros(len(systems), dtype=bool)
        mask[parents[pc.equal(flat, pa.scalar(s)).to_numpy(zero_copy_only=False)]] = True
        out[s] = mask
    return out


def _orders(confidence: np.ndarray, stake: np.ndarray, records: np.ndarray) -> dict:
    """Every sort order as positions; ties broken by proposal id (= position). Missing
    values sort last, as in SQL."""
    n = len(confidence)
    pos = np.arange(n)
    conf_up = np.where(np.isnan(confidence), np.inf, confidence)
    conf_down = np.where(np.isnan(confidence), np.inf, -confidence)
    stake_down = np.where(np.isnan(stake), np.inf, -stake)
    records_down = np.where(np.isnan(records), np.inf, -records)
    return {
        "stake": np.lexsort((pos, conf_up, stake_down)),
        "confidence": np.lexsort((pos, conf_up)),
        "-confidence": np.lexsort((pos, conf_down)),
        "records": np.lexsort((pos, records_down)),
        "id": pos,
    }


def _ints(values: np.ndarray) -> list[int | None]:
    """Whole numbers held as floats (NaN for missing) back to ints and None."""
    return [None if v != v else int(v) for v in values.tolist()]
