"""What reviewers and other systems read and do: proposals, decisions, entities, crosswalk.

Proposals come from the last published run; their status comes from the decisions
table, live. A client sees a proposal's ``version`` (its content version and how
many decisions it has had) and must send it back with a decision: a stale version
is a :class:`~resolver.errors.Conflict` carrying the current state.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pandas as pd

from resolver.canonical import CUSTOMER_FIELDS, INVOICE_FIELDS
from resolver.errors import Conflict, InvalidDecision, NotFound
from resolver.store import decisions as store_decisions
from resolver.store import table_exists
from resolver.store.schema import canonical_columns

Action = Literal["accept", "reject", "split", "undo"]
OBJECTS = ("customer", "invoice")
_RECORD_TABLE = {"customer": "customers", "invoice": "invoices"}
_WRITE_LOCK = threading.Lock()  # one writer path: decisions are checked and appended under it
_STATUS = {"accept": "accepted", "reject": "rejected", "split": "split"}
_SORTS = {
    "stake": "stake_cents DESC, confidence ASC, proposal_id",
    "confidence": "confidence ASC, proposal_id",
    "-confidence": "confidence DESC, proposal_id",
    "records": "records_affected DESC, proposal_id",
    "id": "proposal_id",
}
# Record fields shown to reviewers beside each member: the canonical values, and
# for customers the cleaned values the model compared.
_SHOWN = {
    "customer": [
        *canonical_columns(CUSTOMER_FIELDS),
        "full_name_norm",
        "company_norm",
        "email_norm",
        "phone_e164",
        "address_line",
    ],
    "invoice": [*canonical_columns(INVOICE_FIELDS), "invoice_number_norm"],
}


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _objects(con: duckdb.DuckDBPyConnection) -> list[str]:
    names = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
            "AND table_name IN ('customer_proposals', 'invoice_proposals')"
        ).fetchall()
    }
    return [o for o in OBJECTS if f"{o}_proposals" in names]


_SUMMARY_COLUMNS = (
    "proposal_id, object, kind, entity_ids, record_keys, systems, confidence, "
    "suggested_action, stake_cents, records_affected, version AS content_version, "
    "members_key, run_id"
)


def _decision_state(decisions: pd.DataFrame) -> pd.DataFrame:
    """Per proposal: how many decisions it has had, and the last one still in force
    (its action, the members it was taken on, its id)."""
    cols = ["proposal_id", "n", "action", "decided_members", "decision_id"]
    d = decisions[decisions["proposal_id"].notna()]
    if d.empty:
        types = {"n": "int64", "decision_id": "int64"}
        return pd.DataFrame({c: pd.Series(dtype=types.get(c, object)) for c in cols})
    counts = d.groupby("proposal_id").size().rename("n")
    undone = set(d["undoes"].dropna().astype(int))
    live = d[d["action"].isin(["accept", "reject", "split"]) & ~d["decision_id"].isin(undone)]
    last = live.sort_values("decision_id").groupby("proposal_id").tail(1).set_index("proposal_id")
    out = pd.DataFrame({"n": counts}).join(
        pd.DataFrame(
            {
                "action": last["action"],
                "decided_members": last["members_key"],
                "decision_id": last["decision_id"].astype("int64"),
            }
        )
    )
    out.index.name = "proposal_id"
    return out.reset_index()[cols]


def _status(decided_action: str | None) -> str:
    return _STATUS.get(decided_action or "", "open")


def list_proposals(
    con: duckdb.DuckDBPyConnection,
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
    """Filter, sort and page proposals. ``cursor`` is the offset token a page returned."""
    if sort not in _SORTS:
        raise InvalidDecision(f"sort must be one of {', '.join(_SORTS)}")
    con, state = _with_decisions(con)
    objects = _objects(con)
    if object is not None:
        objects = [o for o in objects if o == object]
    if not objects:
        return Page([], None)
    where, params = ["TRUE"], []
    if system:
        where.append("list_contains(systems, ?)")
        params.append(system)
    if action:
        where.append("suggested_action = ?")
        params.append(action)
    if kind:
        where.append("kind = ?")
        params.append(kind)
    if min_confidence is not None:
        where.append("confidence >= ?")
        params.append(min_confidence)
    if max_confidence is not None:
        where.append("confidence <= ?")
        params.append(max_confidence)
    if status:
        if status == "open":
            where.append("decided_action IS NULL")
        else:
            inverse = {v: k for k, v in _STATUS.items()}
            if status not in inverse:
                raise InvalidDecision("status must be open, accepted, rejected or split")
            where.append("decided_action = ?")
            params.append(inverse[status])
    offset = _offset(cursor)
    # late materialization: pick the page's ids from the narrow sort and filter
    # columns first, then read the wide columns (lists) of those rows only
    narrow = " UNION ALL ".join(
        f"SELECT proposal_id, kind, confidence, suggested_action, stake_cents, "
        f"records_affected, members_key{', systems' if system else ''} FROM {o}_proposals"
        for o in objects
    )
    page_sql = (
        f"SELECT p.proposal_id FROM (SELECT p.*, "
        f"CASE WHEN d.decided_members = p.members_key THEN d.action END AS decided_action "
        f"FROM ({narrow}) p LEFT JOIN dstate d USING (proposal_id)) p "
        f"WHERE {' AND '.join(where)} ORDER BY {_SORTS[sort]} LIMIT ? OFFSET ?"
    )
    ids = [r[0] for r in con.execute(page_sql, [*params, limit + 1, offset]).fetchall()]
    rows = _fetch(con, objects, ids, state)
    more = len(rows) > limit
    items = [_summary(r) for r in rows[:limit]]
    return Page(items, str(offset + limit) if more else None)


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit():
        raise InvalidDecision("cursor must be the next_cursor a previous page returned")
    return int(cursor)


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _summary(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "proposal_id": r["proposal_id"],
        "object": r["object"],
        "kind": r["kind"],
        "status": _status(r["decided_action"]),
        "version": r["version"],
        "entity_ids": list(r["entity_ids"]),
        "record_keys": list(r["record_keys"]),
        "systems": list(r["systems"]),
        "confidence": r["confidence"],
        "suggested_action": r["suggested_action"],
        "stake_cents": r["stake_cents"],
        "records_affected": r["records_affected"],
        "run_id": r["run_id"],
    }


def get_proposal(con: duckdb.DuckDBPyConnection, proposal_id: str) -> dict[str, Any]:
    """One proposal with its members' data, golden record, evidence and decision history."""
    cur, state = _with_decisions(con, proposal_id)
    objects = [o for o in _objects(cur) if _may_hold(o, proposal_id)]
    rows = _fetch(cur, objects, [proposal_id], state, evidence=True)
    history = decision_history(con, proposal_id)
    if not rows:
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
    r = rows[0]
    out = _summary(r)
    out["current"] = True
    ents = list(r["entity_ids"])
    out["golden"] = _golden(con, r["object"], ents[0]) if len(ents) == 1 else {}
    out["evidence"] = json.loads(r["evidence"] or "[]")
    out["members"] = _members(con, r["object"], list(r["record_keys"]))
    out["history"] = history
    out["changes_since_decision"] = _changes(out["members"], history)
    return out


def _members(con: duckdb.DuckDBPyConnection, obj: str, keys: list[str]) -> list[dict[str, Any]]:
    cols = ", ".join(["record_key", "system", "source_id", "row_hash", *_SHOWN[obj]])
    marks = ", ".join("?" for _ in keys) or "NULL"
    rows = _dicts(
        con.execute(
            f"SELECT {cols} FROM {_RECORD_TABLE[obj]} WHERE record_key IN ({marks}) "
            "ORDER BY record_key",
            list(keys),
        )
    )
    return [{k: (str(v) if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows]


def _changes(members: list[dict[str, Any]], history: list[dict[str, Any]]) -> dict[str, Any]:
    """Fields of each member that differ from what the last decision saw."""
    decided = [h for h in history if h["action"] in ("accept", "reject", "split")]
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


def _with_decisions(
    con: duckdb.DuckDBPyConnection, proposal_id: str | None = None
) -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame]:
    """A cursor on which the decision state of proposals is visible as ``dstate``,
    and that state (one row per decided proposal)."""
    d = store_decisions.load(con, proposal_id=proposal_id)
    state = _decision_state(d)
    cur = con.cursor()
    cur.register("dstate", state)
    return cur, state


def _fetch(
    con: duckdb.DuckDBPyConnection,
    objects: list[str],
    ids: list[str],
    state: pd.DataFrame,
    *,
    evidence: bool = False,
) -> list[dict[str, Any]]:
    """Proposals by id, in the order given, with version and live status."""
    if not ids:
        return []
    cols = _SUMMARY_COLUMNS + (", evidence" if evidence else "")
    found: dict[str, dict[str, Any]] = {}
    for o in objects:
        mine = [i for i in ids if _may_hold(o, i)]
        if not mine:
            continue
        marks = ", ".join("?" for _ in mine)
        for r in _dicts(
            con.execute(f"SELECT {cols} FROM {o}_proposals WHERE proposal_id IN ({marks})", mine)
        ):
            found[r["proposal_id"]] = r
    st = state.set_index("proposal_id").to_dict("index") if len(state) else {}
    rows = []
    for pid in ids:
        r = found.get(pid)
        if r is None:
            continue
        d = st.get(pid, {})
        n = int(d["n"]) if d.get("n") is not None else 0
        decided = d.get("action") if d.get("decided_members") == r["members_key"] else None
        r["version"] = f"{r['content_version']}.{n}"
        r["decided_action"] = decided if isinstance(decided, str) else None
        r["decision_id"] = d.get("decision_id")
        rows.append(r)
    return rows


def _may_hold(obj: str, proposal_id: str) -> bool:
    """Entity proposals name their object ("P-CUS-..." / "P-INV-..."); pair ones do not."""
    prefix = {"customer": "P-CUS-", "invoice": "P-INV-"}[obj]
    return not proposal_id.startswith("P-") or proposal_id.startswith(prefix)


def decision_history(con: duckdb.DuckDBPyConnection, proposal_id: str) -> list[dict[str, Any]]:
    d = store_decisions.load(con, proposal_id=proposal_id)
    rows = []
    for r in d.to_dict("records"):
        rows.append(
            {
                "decision_id": int(r["decision_id"]),
                "object": r["object"],
                "action": r["action"],
                "record_keys": list(r["record_keys"]),
                "groups": json.loads(r["groups"]) if isinstance(r["groups"], str) else None,
                "undoes": None if pd.isna(r["undoes"]) else int(r["undoes"]),
                "reviewer": r["reviewer"],
                "reason": r["reason"],
                "decided_at": str(r["decided_at"]),
                "proposal_version": r["proposal_version"],
                "record_values": json.loads(r["record_values"] or "{}"),
            }
        )
    return rows


def decide(
    con: duckdb.DuckDBPyConnection,
    proposal_id: str,
    *,
    action: Action,
    version: str,
    reviewer: str,
    reason: str | None = None,
    groups: list[list[str]] | None = None,
) -> dict[str, Any]:
    """Record a reviewer's decision on a proposal, if ``version`` is still current.

    accept / reject / split act on the proposal's members; undo reverses the latest
    decision in force. Raises NotFound, Conflict (stale version, with the current
    proposal), or InvalidDecision.
    """
    if action not in ("accept", "reject", "split", "undo"):
        raise InvalidDecision("action must be accept, reject, split or undo")
    if not reviewer:
        raise InvalidDecision("a decision needs a reviewer")
    with _WRITE_LOCK:
        current = get_proposal(con, proposal_id)
        if not current.get("current"):
            raise Conflict(f"proposal {proposal_id} is no longer proposed", current)
        if version != current["version"]:
            raise Conflict(
                f"proposal {proposal_id} is at version {current['version']}, not {version}: "
                "reload it and decide again",
                current,
            )
        keys = current["record_keys"]
        row: dict[str, Any] = {
            "object": current["object"],
            "action": action,
            "record_keys": keys,
            "proposal_id": proposal_id,
            "proposal_version": current["version"],
            "reviewer": reviewer,
            "reason": reason,
        }
        if action == "undo":
            live = [h for h in current["history"] if h["action"] != "undo"]
            undone = {h["undoes"] for h in current["history"] if h["action"] == "undo"}
            live = [h for h in live if h["decision_id"] not in undone]
            if not live:
                raise InvalidDecision(f"proposal {proposal_id} has no decision to undo")
            row["undoes"] = live[-1]["decision_id"]
        else:
            if current["status"] != "open":
                raise Conflict(
                    f"proposal {proposal_id} is already {current['status']}; undo it first",
                    current,
                )
            if action == "split":
                row["groups"] = _check_split(groups, keys)
            elif groups:
                raise InvalidDecision("groups go with split only")
            if action in ("reject", "split") and len(keys) < 2:
                raise InvalidDecision("a proposal with one record cannot be rejected or split")
        row["record_hashes"] = {m["record_key"]: m["row_hash"] for m in current["members"]}
        row["record_values"] = {
            m["record_key"]: {k: v for k, v in m.items() if k not in ("row_hash",)}
            for m in current["members"]
        }
        try:
            store_decisions.append(con, row, expect=(proposal_id, len(current["history"])))
        except Conflict as exc:  # another process decided between our read and our write
            raise Conflict(str(exc), get_proposal(con, proposal_id)) from exc
        return get_proposal(con, proposal_id)


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


def get_entity(con: duckdb.DuckDBPyConnection, entity_id: str) -> dict[str, Any]:
    """An entity's golden record, its members in every system, and its history."""
    obj = "customer" if entity_id.startswith("CUS-") else "invoice"
    if not table_exists(con, f"{obj}_golden"):
        raise NotFound("no completed run yet")
    gold = _dicts(con.execute(f"SELECT * FROM {obj}_golden WHERE entity_id = ?", [entity_id]))
    events = (
        _dicts(
            con.execute(
                "SELECT run_id, event, related, members FROM entity_events WHERE entity_id = ? "
                "ORDER BY run_id",
                [entity_id],
            )
        )
        if table_exists(con, "entity_events")
        else []
    )
    if not gold:
        if events:
            return {"entity_id": entity_id, "object": obj, "current": False, "history": events}
        raise NotFound(f"no entity {entity_id!r}")
    keys = [
        r[0]
        for r in con.execute(
            f"SELECT record_key FROM {obj}_members WHERE entity_id = ? ORDER BY record_key",
            [entity_id],
        ).fetchall()
    ]
    g = gold[0]
    golden = _golden_fields(g)
    return {
        "entity_id": entity_id,
        "object": obj,
        "current": True,
        "systems": list(g["systems"]),
        "golden": golden,
        "members": _members(con, obj, keys),
        "history": events,
    }


def _golden(con: duckdb.DuckDBPyConnection, obj: str, entity_id: str) -> dict[str, Any]:
    rows = _dicts(con.execute(f"SELECT * FROM {obj}_golden WHERE entity_id = ?", [entity_id]))
    return _golden_fields(rows[0]) if rows else {}


def _golden_fields(g: dict[str, Any]) -> dict[str, Any]:
    """{field: {value, source}} of one golden row."""
    return {
        k: {"value": _plain(v), "source": g.get(f"{k}_source")}
        for k, v in g.items()
        if not k.endswith("_source") and k not in ("entity_id", "member_count", "systems")
    }


def _plain(v: Any) -> Any:
    return str(v) if hasattr(v, "isoformat") else v


def crosswalk_lookup(
    con: duckdb.DuckDBPyConnection, *, system: str, source_id: str, object: str | None = None
) -> list[dict[str, Any]]:
    """Entity of a source record (one per object that has it)."""
    out = []
    for obj in [object] if object else list(OBJECTS):
        if not table_exists(con, f"{obj}_members"):
            continue
        rows = con.execute(
            f"SELECT r.record_key, m.entity_id FROM {_RECORD_TABLE[obj]} r "
            f"JOIN {obj}_members m USING (record_key) WHERE r.system = ? AND r.source_id = ?",
            [system, source_id],
        ).fetchall()
        out += [
            {
                "object": obj,
                "system": system,
                "source_id": source_id,
                "record_key": k,
                "entity_id": e,
            }
            for k, e in rows
        ]
    if not out:
        raise NotFound(f"no loaded record {system}:{source_id}")
    return out
