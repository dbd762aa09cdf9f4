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
    """Proposal rows by position (positions in proposal-id order)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, objects: list[str]) -> None:
        cols = ", ".join(c for c in PROPOSAL_COLUMNS if c != "evidence")  # read apart
        if not objects:  # no run has proposed anything yet
            self.size = 0
            self.ids: list[str] = []
            self.pos: dict[str, int] = {}
            self._empty_arrays()
            return
        union = " UNION ALL ".join(f"SELECT {cols} FROM {o}_proposals" for o in objects)
        t = con.sql(f"SELECT * FROM ({union}) ORDER BY proposal_id").to_arrow_table()
        n = self.size = t.num_rows
        self.ids = t.column("proposal_id").to_pylist()
        self.pos = dict(zip(self.ids, range(n), strict=True))
        self.object = _codes(t.column("object").to_pylist(), OBJECTS)
        self.kind = _codes(t.column("kind").to_pylist(), KINDS)
        self.action = _codes(t.column("suggested_action").to_pylist(), ACTIONS)
        self.confidence = _floats(t.column("confidence"))
        self.stake = _floats(t.column("stake_cents"))
        self.records = _floats(t.column("records_affected"))
        self.members_key = t.column("members_key").to_pylist()
        self.content_version = t.column("version").to_pylist()
        self.run_id = t.column("run_id").to_pylist()
        self.entity_ids = t.column("entity_ids").combine_chunks()
        self.record_keys = t.column("record_keys").combine_chunks()
        self.systems = t.column("systems").combine_chunks()
        self._load_evidence(con, objects)
        self.system_mask = _system_masks(self.systems)
        self.status = np.zeros(n, dtype=np.int8)
        self.orders = _orders(self.confidence, self.stake, self.records)

    def _empty_arrays(self) -> None:
        self.object = self.kind = self.action = np.zeros(0, dtype=np.int8)
        self.confidence = self.stake = self.records = np.zeros(0)
        self.members_key, self.content_version, self.run_id = [], [], []
        self.entity_ids = self.record_keys = self.systems = None
        self._evidence: list = []
        self._evidence_at = np.zeros((0, 2), dtype=np.int64)
        self.system_mask: dict[str, np.ndarray] = {}
        self.status = np.zeros(0, dtype=np.int8)
        self.orders = {s: np.zeros(0, dtype=np.int64) for s in SORTS}

    def _load_evidence(self, con: duckdb.DuckDBPyConnection, objects: list[str]) -> None:
        """Evidence JSON, most of the bytes (about 1.6 KB a customer proposal). Read
        unsorted, as DuckDB hands it over (sorting it would hold a second copy), and
        found through (table, row) per position."""
        con.execute("SET arrow_large_buffer_size = true")  # no 2 GB limit per column
        self._evidence = []
        self._evidence_at = np.zeros((self.size, 2), dtype=np.int64)
        for o in objects:
            t = con.sql(f"SELECT proposal_id, evidence FROM {o}_proposals").to_arrow_table()
            at = np.fromiter((self.pos[p] for p in t.column(0).to_pylist()), np.int64, t.num_rows)
            self._evidence_at[at, 0] = len(self._evidence)
            self._evidence_at[at, 1] = np.arange(t.num_rows)
            self._evidence.append(t.column(1))

    def evidence(self, i: int) -> str | None:
        """The evidence JSON of the proposal at position ``i``."""
        table, row = self._evidence_at[i]
        return self._evidence[table][int(row)].as_py()

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


def _codes(values: list[str | None], vocabulary: tuple[str, ...]) -> np.ndarray:
    lookup = {v: i for i, v in enumerate(vocabulary)}
    return np.array([lookup.get(v, -1) for v in values], dtype=np.int8)


def _code(value: str, vocabulary: tuple[str, ...]) -> int:
    return vocabulary.index(value) if value in vocabulary else -2  # matches nothing


def _floats(column: Any) -> np.ndarray:
    return np.array(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def _system_masks(systems: Any) -> dict[str, np.ndarray]:
    """One boolean array per system: does the proposal involve it."""

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
