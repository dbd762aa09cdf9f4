"""What reopens a decision: a change in an identifying value, never a timestamp or a
reformatting. The rule (resolver.store.content_hash) is the batch's and the API's."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from resolver import store
from resolver.demo.fixtures import DemoStore
from resolver.review import decide, get_proposal, list_proposals
from resolver.review.decisions import labels
from resolver.store.journal import Journal, journal_path

CRM = "crm/contacts.csv"


def _crm_link(db: Path, world: Path) -> tuple[dict, str]:
    """A two-record link proposal with a CRM member whose phone is (NNN) NNN-NNNN."""
    crm = pd.read_csv(world / CRM, dtype=str, keep_default_na=False).set_index("ContactID")
    con = store.connect(db, read_only=True)
    try:
        page = list_proposals(con, object="customer", kind="link", limit=500)
    finally:
        con.close()
    for p in page.items:
        keys = [k for k in p["record_keys"] if k.startswith("crm:")]
        if p["records_affected"] == 2 and len(set(p["systems"])) == 2 and keys:
            source_id = keys[0].split(":", 1)[1]
            if re.fullmatch(r"\(\d{3}\) \d{3}-\d{4}", crm.loc[source_id, "Phone"]):
                return p, source_id
    raise AssertionError("no two-record link with a CRM member")


def _edit_crm(world: Path, source_id: str, change: Callable[[pd.Series], pd.Series]) -> None:
    df = pd.read_csv(world / CRM, dtype=str, keep_default_na=False)
    at = df.index[df["ContactID"] == source_id][0]
    df.loc[at] = change(df.loc[at].copy())
    df.to_csv(world / CRM, index=False)


def _decide(db: Path, pid: str, action: str) -> dict:
    con = store.connect(db)
    try:
        version = get_proposal(con, pid)["version"]
        return decide(con, pid, action=action, version=version, reviewer="ana", reason="r")
    finally:
        con.close()


def _state(db: Path, keys: list[str], pid: str) -> tuple[int, dict, set, str]:
    """(entities the records are in, the proposal now, the pairs labelled non-match,
    the CRM record's row hash)."""
    con = store.connect(db, read_only=True)
    try:
        ents = con.execute(
            "SELECT count(DISTINCT entity_id) FROM customer_members "
            "WHERE list_contains(?, record_key)",
            [keys],
        ).fetchall()[0][0]
        proposal = get_proposal(con, pid)
        lab = labels(con, "customer")
        crm_key = next(k for k in keys if k.startswith("crm:"))
        row_hash = con.execute(
            "SELECT row_hash FROM customers WHERE record_key = ?", [crm_key]
        ).fetchall()[0][0]
    finally:
        con.close()
    apart = {(a, b) for a, b, m in lab.itertuples(index=False) if not m}
    return ents, proposal, apart, row_hash


def _bump_timestamp(row: pd.Series) -> pd.Series:
    row["LastModified"] = "2026-11-30T23:59:59Z"
    return row


def _reformat(row: pd.Series) -> pd.Series:
    area, rest = row["Phone"][1:4], row["Phone"][6:]
    row["Phone"] = f"{area}.{rest.replace('-', '.')}"  # (217) 555-0123 -> 217.555.0123
    row["First Name"] = row["First Name"].upper()
    row["Last Name"] = row["Last Name"].upper()
    row["Email"] = row["Email"].upper()
    return row


@pytest.mark.parametrize("change", [_bump_timestamp, _reformat], ids=["timestamp", "formatting"])
def test_a_timestamp_or_formatting_change_keeps_a_rejection(
    workdir, demo_store: DemoStore, change: Callable[[pd.Series], pd.Series]
) -> None:
    db, world = workdir
    p, source_id = _crm_link(db, world)
    pair = tuple(sorted(p["record_keys"]))
    _decide(db, p["proposal_id"], "reject")
    demo_store.run(db, world)
    *_, hash_before = _state(db, p["record_keys"], p["proposal_id"])
    _edit_crm(world, source_id, change)
    demo_store.run(db, world)
    ents, proposal, apart, hash_after = _state(db, p["record_keys"], p["proposal_id"])
    assert hash_after != hash_before  # the record did change
    assert ents == 2  # still apart
    assert pair in apart  # the rejection holds
    assert proposal["current"] is False  # and is not proposed again
    assert proposal["history"][-1]["action"] == "reject"


def test_a_new_email_reopens_a_rejection(workdir, demo_store: DemoStore) -> None:
    db, world = workdir
    p, source_id = _crm_link(db, world)
    pair = tuple(sorted(p["record_keys"]))
    _decide(db, p["proposal_id"], "reject")
    demo_store.run(db, world)

    def new_email(row: pd.Series) -> pd.Series:
        row["Email"] = "someone.else.entirely@example.org"
        return row

    _edit_crm(world, source_id, new_email)
    demo_store.run(db, world)
    _, _, apart, _ = _state(db, p["record_keys"], p["proposal_id"])
    assert pair not in apart  # the rejection lapsed: the data it was made on changed


def test_an_accepted_proposal_stays_accepted_after_a_timestamp_bump(
    workdir, demo_store: DemoStore
) -> None:
    """The API's reading of a decision: the same rule as the batch's."""
    db, world = workdir
    p, source_id = _crm_link(db, world)
    assert _decide(db, p["proposal_id"], "accept")["status"] == "accepted"
    _edit_crm(world, source_id, _bump_timestamp)
    demo_store.run(db, world)
    ents, proposal, _, _ = _state(db, p["record_keys"], p["proposal_id"])
    assert ents == 1
    assert proposal["status"] == "accepted"


def test_a_decision_journaled_with_row_hashes_still_holds(workdir, demo_store: DemoStore) -> None:
    """Decisions made before content hashes existed hold while the row is unchanged."""
    db, world = workdir
    p, _ = _crm_link(db, world)
    con = store.connect(db, read_only=True)
    try:
        hashes = dict(
            con.execute(
                "SELECT record_key, row_hash FROM customers WHERE list_contains(?, record_key)",
                [p["record_keys"]],
            ).fetchall()
        )
    finally:
        con.close()
    journal = Journal(journal_path(db))
    for action in ("accept", "reject"):
        pid = p["proposal_id"]
        if action == "reject":  # undo the accept first, as a reviewer would
            last = journal.decision_rows()[-1]["decision_id"]
            journal.append_decision(
                {
                    "object": "customer",
                    "action": "undo",
                    "record_keys": p["record_keys"],
                    "undoes": last,
                    "proposal_id": pid,
                    "reviewer": "old",
                }
            )
        journal.append_decision(
            {
                "object": "customer",
                "action": action,
                "record_keys": p["record_keys"],
                "record_hashes": hashes,
                "proposal_id": pid,
                "reviewer": "old",
            }
        )
        if action == "accept":
            con = store.connect(db, read_only=True)
            try:
                assert get_proposal(con, pid)["status"] == "accepted"
            finally:
                con.close()
    demo_store.run(db, world)
    ents, _, apart, _ = _state(db, p["record_keys"], p["proposal_id"])
    assert ents == 2 and tuple(sorted(p["record_keys"])) in apart
    assert json.loads(journal.decision_rows()[-1]["record_hashes"]) == hashes
