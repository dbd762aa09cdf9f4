"""Proposals: list, read and decide.

Proposals come from the last published run; their status comes from the decisions
in the journal, live. A client sees a proposal's ``version`` (its content version
and how many decisions it has had) and must send it back with a decision: a stale
version is a :class:`~resolver.errors.Conflict` carrying the current state.

Every function takes a :class:`ReviewView` (what a server holds for the life of a
store file) or a store connection (a view is then built for the call).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from resolver.entities.golden import check_picks
from resolver.errors import Conflict, InvalidDecision, NotFound
from resolver.review.decision_log import DECIDING, InForce
from resolver.review.proposal_index import SORTS, STATUSES, Filters
from resolver.review.view import HASH_COLUMNS, ReviewView
from resolver.store.fair_lock import FairLock

Action = Literal["accept", "reject", "split", "undo"]
Source = ReviewView | duckdb.DuckDBPyConnection
_WRITE_LOCK = FairLock()  # one writer path, first come first served: check, then append


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def view_of(source: Source) -> ReviewView:
    """The view to read from, up to date with the journal."""
    if isinstance(source, ReviewView):
        source.sync()
        return source
    return ReviewView(source)


def list_proposals(
    source: Source,
    *,
    object: str | None = None,
    system: str | None = None,
    status: str | None = "open",
    action: str | None = None,
    kind: str | None = None,
    min_confidence: float | None = None,
    max_confidence: float | None = None,
    sort: str = "stake",
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """Filter, sort and page proposals. ``cursor`` is the token a page returned."""
    filters = Filters(object, system, status, action, kind, min_confidence, max_confidence)
    return proposal_page(source, filters, sort=sort, cursor=cursor, limit=limit)


def proposal_page(
    source: Source,
    filters: Filters,
    *,
    sort: str = "stake",
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """One page of the proposals ``filters`` selects, in ``sort`` order."""
    status = filters.status
    if sort not in SORTS:
        raise InvalidDecision(f"sort must be one of {', '.join(SORTS)}")
    if status is not None and status not in STATUSES:
        raise InvalidDecision("status must be open, accepted, rejected or split")
    view = view_of(source)
    offset = _offset(cursor)
    rows = view.proposals.page(filters, sort, offset, limit)
    index, log = view.proposals, view.log
    shown = rows[:limit]
    items = index.summaries(shown, [log.count(index.ids[i]) for i in shown])
    return Page(items, str(offset + limit) if len(rows) > limit else None)


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit():
        raise InvalidDecision("cursor must be the next_cursor a previous page returned")
    return int(cursor)


def get_proposal(source: Source, proposal_id: str) -> dict[str, Any]:
    """One proposal with its members' data, golden record, evidence and decision history."""
    return _detail(view_of(source), proposal_id)


def _detail(view: ReviewView, proposal_id: str) -> dict[str, Any]:
    """``get_proposal`` of a view already up to date."""
    history = view.log.history(proposal_id)
    i = view.proposals.pos.get(proposal_id)
    if i is None:
        if not history:
            raise NotFound(f"no proposal {proposal_id!r} in the last run")
        last = history[-1]
        return {  # decided earlier; the current run no longer proposes it
            "proposal_id": proposal_id,
            "object": last["object"],
            "status": "decided" if last["action"] != "undo" else "open",
            "current": False,
            "record_keys": last["record_keys"],
            "history": history,
        }
    out = view.proposals.summary(i, len(history))
    obj = out["object"]
    out["current"] = True
    ents = out["entity_ids"]
    out["golden"] = view.golden_record(obj, ents[0]) if len(ents) == 1 else {}
    out["evidence"] = json.loads(view.evidence(proposal_id) or "[]")
    out["members"] = view.members(obj, out["record_keys"])
    out["history"] = history
    out["changes_since_decision"] = _changes(out["members"], history)
    return out


def _changes(members: list[dict[str, Any]], history: list[dict[str, Any]]) -> dict[str, Any]:
    """Fields of each member that differ from what the last decision saw."""
    decided = [h for h in history if h["action"] in DECIDING]
    if not decided:
        return {}
    then = decided[-1].get("record_values") or {}
    out = {}
    for m in members:
        before = then.get(m["record_key"])
        if before is None:
            continue
        diff = {
            k: {"then": before.get(k), "now": m.get(k)}
            for k in before
            if k in m and str(before.get(k)) != str(m.get(k))
        }
        if diff:
            out[m["record_key"]] = diff
    return out


def decision_history(source: Source, proposal_id: str) -> list[dict[str, Any]]:
    """A proposal's decisions, oldest first."""
    return view_of(source).log.history(proposal_id)


def decide(
    source: Source,
    proposal_id: str,
    *,
    action: Action,
    version: str,
    reviewer: str,
    reason: str | None = None,
    groups: list[list[str]] | None = None,
    golden: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Record a reviewer's decision on a proposal, if ``version`` is still current.

    accept / reject / split act on the proposal's members; undo reverses the latest
    decision in force. An accept may carry ``golden``: per golden field, the member
    whose value the golden record should carry (:mod:`resolver.entities.golden`). Raises NotFound, Conflict (stale version, with the current
    proposal), or InvalidDecision.
    """
    if action not in ("accept", "reject", "split", "undo"):
        raise InvalidDecision("action must be accept, reject, split or undo")
    if not reviewer:
        raise InvalidDecision("a decision needs a reviewer")
    view = view_of(source)
    with _WRITE_LOCK:
        current = _detail(view, proposal_id)
        if not current.get("current"):
            raise Conflict(f"proposal {proposal_id} is no longer proposed", current)
        if version != current["version"]:
            raise Conflict(
                f"proposal {proposal_id} is at version {current['version']}, not {version}: "
                "reload it and decide again",
                current,
            )
        in_force = view.log.in_force(proposal_id)
        row = _decision_row(current, action, reviewer, reason, groups, in_force, golden)
        row["proposal_id"] = proposal_id
        try:
            view.log.journal.append_decision(row, expect=(proposal_id, len(current["history"])))
        except Conflict as exc:  # another process decided between our read and our write
            raise Conflict(str(exc), get_proposal(view, proposal_id)) from exc
    return get_proposal(view, proposal_id)


def _decision_row(
    current: dict[str, Any],
    action: str,
    reviewer: str,
    reason: str | None,
    groups: list[list[str]] | None,
    in_force: InForce | None,
    golden: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The journal row of a decision on the proposal as ``current`` shows it
    (``in_force``: the decision an undo reverses)."""
    keys = current["record_keys"]
    row: dict[str, Any] = {
        "object": current["object"],
        "action": action,
        "record_keys": keys,
        "proposal_version": current["version"],
        "reviewer": reviewer,
        "reason": reason,
    }
    if golden and action != "accept":
        raise InvalidDecision("golden picks go with accept only")
    if action == "undo":
        if in_force is None:
            raise InvalidDecision(f"proposal {current['proposal_id']} has no decision to undo")
        row["undoes"] = in_force.decision_id
    else:
        if current["status"] != "open":
            raise Conflict(
                f"proposal {current['proposal_id']} is already {current['status']}; undo it first",
                current,
            )
        if action == "split":
            row["groups"] = _check_split(groups, keys)
        elif groups:
            raise InvalidDecision("groups go with split only")
        if golden:
            try:
                row["golden"] = check_picks(current["object"], golden, keys)
            except ValueError as exc:
                raise InvalidDecision(str(exc)) from None
        if action in ("reject", "split") and len(keys) < 2:
            raise InvalidDecision("a proposal with one record cannot be rejected or split")
    # what the decision is made on: the members' content hashes (one rule with the
    # batch, resolver.store.content_hash; a store older than them has row hashes)
    row["record_hashes"] = {
        m["record_key"]: m.get("content_hash") or m["row_hash"] for m in current["members"]
    }
    row["record_values"] = {
        m["record_key"]: {k: v for k, v in m.items() if k not in HASH_COLUMNS}
        for m in current["members"]
    }
    return row


def _check_split(groups: list[list[str]] | None, keys: list[str]) -> list[list[str]]:
    if not groups or len(groups) < 2:
        raise InvalidDecision("split needs at least two groups of record keys")
    flat = [k for g in groups for k in g]
    if any(not g for g in groups):
        raise InvalidDecision("split groups must not be empty")
    if len(flat) != len(set(flat)):
        raise InvalidDecision("a record appears in two split groups")
    if set(flat) != set(keys):
        missing = sorted(set(keys) - set(flat))
        extra = sorted(set(flat) - set(keys))
        raise InvalidDecision(
            f"split groups must partition the proposal's records; missing {missing}, "
            f"not members {extra}"
        )
    return [sorted(g) for g in groups]
