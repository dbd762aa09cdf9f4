"""The orphan list reviewers page through, and their resolutions (decisions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import duckdb
import pandas as pd

from resolver.errors import Conflict, InvalidDecision, NotFound
from resolver.review.orphans.compute import orphan_decisions
from resolver.review.orphans.rules import (
    RESOLUTIONS,
)
from resolver.review.page_cursor import page_offset
from resolver.store import decisions as store_decisions
from resolver.store import orphans as store_orphans
from resolver.store import records as store_records
from resolver.store.connection import table_exists

MAX_PAGE = 500


def get_orphan(con: duckdb.DuckDBPyConnection, orphan_id: str) -> dict[str, Any]:
    """One orphan of the last published run; NotFound if there is none by that id."""
    if not table_exists(con, "orphans"):
        raise NotFound(f"orphan {orphan_id} not found: no run has computed orphans yet")
    row = store_orphans.orphan_row(con, orphan_id)
    if row is None:
        raise NotFound(f"orphan {orphan_id} not found in the last run; list orphans for ids")
    return row


def resolve_orphan(
    con: duckdb.DuckDBPyConnection,
    orphan_id: str,
    *,
    action: Literal["link", "expected"],
    reviewer: str,
    reason: str,
    record_key: str | None = None,
) -> int:
    """Record a reviewer's resolution of an orphan as a decision; return its decision id.

    ``link`` names the record that satisfies the expectation (a record of the
    orphan's target object and system); ``expected`` says the orphan is fine as it
    is (``reason`` required). :func:`list_orphans` shows the resolution at once
    (it overlays decisions on the run's rows); the next run honours the decision
    (link = must-link for clustering) and records it in the orphans table.
    """
    orphan = get_orphan(con, orphan_id)
    seen = store_decisions.last_decision_on(con, orphan["expectation"], orphan["record_key"])
    if action not in ("link", "expected"):
        raise InvalidDecision(f"action must be link or expected, got {action!r}")
    if not (reviewer or "").strip():
        raise InvalidDecision("reviewer is required: who resolved the orphan")
    if action == "expected" and not (reason or "").strip():
        raise InvalidDecision("reason is required to mark an orphan expected")
    keys = [orphan["record_key"]]
    if action == "link":
        keys.append(_check_link_target(con, orphan, record_key))
    elif record_key is not None:
        raise InvalidDecision("expected takes no record_key; use action link to name a record")
    hashes = _hashes(con, orphan["object"], orphan["target_object"], keys)
    row = {
        "object": orphan["object"],
        "action": action,
        "record_keys": keys,
        "record_hashes": hashes,
        "expectation": orphan["expectation"],
        "reviewer": reviewer.strip(),
        "reason": reason,
    }
    return append_on_orphan(con, orphan, row, seen=seen)


def append_on_orphan(
    con: duckdb.DuckDBPyConnection, orphan: Mapping[str, Any], row: dict[str, Any], *, seen: int
) -> int:
    """Append a decision on ``orphan`` only if its newest decision is still ``seen``
    (what the caller read): a resolution or undo that raced it is a Conflict with the
    orphan's state now, never a second resolution or a double undo."""
    key = (orphan["expectation"], orphan["record_key"], seen)
    try:
        return store_decisions.append(con, row, expect_last_on=key)
    except Conflict as exc:
        raise Conflict(
            f"orphan {orphan['orphan_id']} was resolved or undone meanwhile: reload it",
            orphan_state(con, orphan),
        ) from exc


def orphan_state(con: duckdb.DuckDBPyConnection, orphan: Mapping[str, Any]) -> dict[str, Any]:
    """An orphan's resolution in force now (what a Conflict reports)."""
    d = orphan_decisions(con)
    hit = d[(d["record_key"] == orphan["record_key"]) & (d["expectation"] == orphan["expectation"])]
    last = store_decisions.last_decision_on(con, orphan["expectation"], orphan["record_key"])
    if hit.empty:
        return {"orphan_id": orphan["orphan_id"], "resolution": "open", "decision_id": last}
    return {
        "orphan_id": orphan["orphan_id"],
        "resolution": str(hit["resolution"].iloc[0]),
        "decision_id": last,
    }


def _check_link_target(
    con: duckdb.DuckDBPyConnection, orphan: Mapping[str, Any], record_key: str | None
) -> str:
    if not record_key:
        raise InvalidDecision(
            f"link needs record_key: a {orphan['target_object']} of {orphan['target_system']}"
        )
    if record_key == orphan["record_key"]:
        raise InvalidDecision("link needs another record than the orphan itself")
    system = store_records.record_system(con, orphan["target_object"], record_key)
    if system is None:
        raise InvalidDecision(
            f"record {record_key} is not a loaded {orphan['target_object']}; "
            f"link needs a {orphan['target_object']} of {orphan['target_system']}"
        )
    if system != orphan["target_system"]:
        raise InvalidDecision(
            f"record {record_key} is in {system}; expectation {orphan['expectation']} "
            f"needs a {orphan['target_object']} of {orphan['target_system']}"
        )
    return record_key


def _hashes(
    con: duckdb.DuckDBPyConnection, obj: str, target_obj: str, keys: list[str]
) -> dict[str, str]:
    out = store_decisions.record_hashes(con, obj, keys[:1])
    if len(keys) > 1:
        out.update(store_decisions.record_hashes(con, target_obj, keys[1:]))
    return out


def list_orphans(
    con: duckdb.DuckDBPyConnection,
    *,
    object: str | None = None,
    system: str | None = None,
    expectation: str | None = None,
    include_resolved: bool = False,
    after: str | None = None,
    limit: int = 50,
    sort: Literal["id", "money"] = "id",
) -> tuple[list[dict[str, Any]], str | None]:
    """Orphans of the last run, a page at a time: (rows, next cursor or None).

    ``sort``: ``id`` (orphan id) or ``money`` (amount at stake, then age, largest
    first). Pass the returned cursor as ``after`` for the next page; ``limit`` is
    capped at 500. A resolution undone since the run shows as open.
    """
    if not table_exists(con, "orphans"):
        return [], None
    if sort not in store_orphans.ORPHAN_ORDER:
        raise InvalidDecision("sort must be id or money")
    limit = max(1, min(int(limit), MAX_PAGE))
    offset = page_offset(after) if sort == "money" else 0
    rows = store_orphans.orphan_page(
        con,
        orphan_decisions(con),
        _undone(con),
        object=object,
        system=system,
        expectation=expectation,
        include_resolved=include_resolved,
        after_id=after if sort == "id" else None,
        sort=sort,
        limit=limit + 1,
        offset=offset,
    )
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1]["orphan_id"] if sort == "id" else str(offset + limit)
    return rows, None


def _undone(con: duckdb.DuckDBPyConnection) -> Any:
    """The ids of decisions an undo has reversed (one column, ``undoes``)."""

    try:
        d = store_decisions.load(con)
    except ValueError:  # not a store file: no journal
        d = pd.DataFrame({"action": [], "undoes": []})
    ids = d.loc[d["action"] == "undo", "undoes"].dropna().astype("int64")
    return pd.DataFrame({"undoes": ids.to_numpy(dtype="int64")})


def orphan_counts(con: duckdb.DuckDBPyConnection, *, prefix: str = "") -> dict[str, dict[str, int]]:
    """expectation -> {open, expected, linked} counts of ``{prefix}orphans``."""
    out: dict[str, dict[str, int]] = {}
    for exp, res, n in store_orphans.resolution_counts(con, prefix=prefix):
        out.setdefault(exp, dict.fromkeys(RESOLUTIONS, 0))[res] = n
    return out
