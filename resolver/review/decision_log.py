"""Reviewer decisions on proposals, mirrored in memory from the journal.

The journal is append-only and numbers decisions in order, so the mirror catches
up by reading only what was appended since it last looked: one indexed
``max(decision_id)`` per request when nothing changed, a few rows when something
did (from this process or any other).
"""

from __future__ import annotations

import bisect
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from resolver.review.decisions import in_force as decisions_in_force
from resolver.store.journal import Journal, members_key

DECIDING = ("accept", "reject", "split")  # actions that set a status (undo clears one)
_INTERNAL = ("members_key", "record_hashes")  # kept for matching, not shown in a history


@dataclass(frozen=True)
class InForce:
    """The last decision on a proposal that no undo has reversed."""

    action: str  # accept | reject | split
    members_key: str  # the members and data it was taken on
    decision_id: int
    hashes: dict[str, str] = field(default_factory=dict)  # record_key -> hash when decided


class DecisionLog:
    """Decisions by proposal id: their history and the one in force."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._lock = threading.Lock()
        self.last_id = 0
        self.epoch = 0  # counts restarts from an empty mirror
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._in_force: dict[str, InForce | None] = {}
        self._change_ids: list[int] = []  # decision ids on proposals, in order
        self._change_pids: list[str] = []  # and the proposal each concerns
        self._batches: dict[str, list[tuple[str, int]]] = {}  # bulk step -> (pid, id)

    def refresh(self) -> int:
        """Catch up with the journal; return the id of the newest decision seen."""
        if self.journal.last_decision_id() == self.last_id:
            return self.last_id
        with self._lock:
            # read again under the lock: a value read before another thread caught up
            # is older than last_id, and must not pass for a replaced journal
            top = self.journal.last_decision_id()
            if top < self.last_id:  # a journal replaced by an older one: start over
                self._history, self._in_force = {}, {}
                self._change_ids, self._change_pids = [], []
                self._batches = {}
                self.last_id = 0
                self.epoch += 1
            if top == self.last_id:
                return top
            for row in self.journal.decision_rows(after=self.last_id):
                entry = history_entry(row)
                pid = row["proposal_id"]
                if pid:
                    self._history.setdefault(pid, []).append(entry)
                    self._in_force[pid] = _in_force(self._history[pid])
                    self._change_ids.append(entry["decision_id"])
                    self._change_pids.append(pid)
                    if entry["batch_id"]:
                        self._batches.setdefault(entry["batch_id"], []).append(
                            (pid, entry["decision_id"])
                        )
                self.last_id = max(self.last_id, entry["decision_id"])
            return self.last_id

    def history(self, proposal_id: str) -> list[dict[str, Any]]:
        """The proposal's decisions, oldest first (copies: callers may change them)."""
        return [
            {k: v for k, v in h.items() if k not in _INTERNAL}
            for h in self._history.get(proposal_id, ())
        ]

    def batch(self, batch_id: str) -> list[tuple[str, int]]:
        """(proposal id, decision id) of each decision of one bulk step."""
        return list(self._batches.get(batch_id, ()))

    def count(self, proposal_id: str) -> int:
        return len(self._history.get(proposal_id, ()))

    def in_force(self, proposal_id: str) -> InForce | None:
        return self._in_force.get(proposal_id)

    def decided(self) -> list[str]:
        """Every proposal id that has had a decision."""
        return list(self._history)

    def changed(self, after: int, upto: int) -> set[str]:
        """Proposal ids with a decision numbered in ``(after, upto]``."""
        ids = self._change_ids
        lo, hi = bisect.bisect_right(ids, after), bisect.bisect_right(ids, upto)
        return set(self._change_pids[lo:hi])


def history_entry(row: dict[str, Any]) -> dict[str, Any]:
    """One journal row as reviewers read it in a proposal's history."""
    return {
        "decision_id": int(row["decision_id"]),
        "object": row["object"],
        "action": row["action"],
        "record_keys": json.loads(row["record_keys"]),
        "groups": json.loads(row["groups"]) if row["groups"] else None,
        "undoes": None if row["undoes"] is None else int(row["undoes"]),
        "reviewer": row["reviewer"],
        "reason": row["reason"],
        "decided_at": str(row["decided_at"]),
        "proposal_version": row["proposal_version"],
        "batch_id": row.get("batch_id"),
        "golden": json.loads(row["golden"]) if row.get("golden") else None,
        "record_values": json.loads(row["record_values"] or "{}"),
        "members_key": members_key(json.loads(row["record_hashes"] or "{}")),
        "record_hashes": json.loads(row["record_hashes"] or "{}"),
    }


def _in_force(history: list[dict[str, Any]]) -> InForce | None:
    counting = decisions_in_force(
        [h["decision_id"] for h in history],
        [h["action"] for h in history],
        [h["undoes"] for h in history],
    )
    live = [h for h, c in zip(history, counting, strict=True) if c and h["action"] in DECIDING]
    if not live:
        return None
    last = max(live, key=lambda h: h["decision_id"])
    return InForce(last["action"], last["members_key"], last["decision_id"], last["record_hashes"])
