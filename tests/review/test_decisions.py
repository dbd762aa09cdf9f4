"""Reviewer decisions: they survive every re-run, retrain and reordering; undo restores."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from resolver import store
from resolver.demo.fixtures import DemoStore
from resolver.errors import Conflict, InvalidDecision, NotFound
from resolver.review import decide, get_proposal, list_proposals
from resolver.review.decisions import labels


def _entity_of(db: Path, keys: list[str]) -> dict[str, str]:
    con = store.connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT record_key, entity_id FROM customer_members WHERE list_contains(?, record_key)",
            [keys],
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def _pick(db: Path, *, kind: str, size: int) -> dict:
    con = store.connect(db)
    try:
        page = list_proposals(con, object="customer", kind=kind, limit=500)
    finally:
        con.close()
    for p in page.items:
        if p["records_affected"] == size and len(set(p["systems"])) == size:
            return p
    raise AssertionError(f"no {kind} proposal with {size} records")


def _decide(db: Path, pid: str, action: str, **kw) -> dict:
    con = store.connect(db)
    try:
        version = kw.pop("version", None) or get_proposal(con, pid)["version"]
        return decide(con, pid, action=action, version=version, reviewer="ana", **kw)
    finally:
        con.close()


def test_accept_survives_reruns_and_a_retrain(
    workdir, demo_store: DemoStore, tmp_path: Path
) -> None:
    db, world = workdir
    p = _pick(db, kind="link", size=2)
    after = _decide(db, p["proposal_id"], "accept", reason="same person")
    assert after["status"] == "accepted"
    models = tmp_path / "models"
    shutil.copytree(demo_store.models_dir, models)
    demo_store.run(db, world, models_dir=models, retrain=True)
    ents = _entity_of(db, p["record_keys"])
    assert len(set(ents.values())) == 1
    con = store.connect(db)
    try:
        again = get_proposal(con, p["proposal_id"])
    finally:
        con.close()
    assert again["status"] == "accepted"
    assert again["suggested_action"] == "none"


def test_a_rejected_link_is_never_linked_or_proposed_again(workdir, demo_store: DemoStore) -> None:
    db, world = workdir
    p = _pick(db, kind="link", size=2)
    _decide(db, p["proposal_id"], "reject", reason="different people")
    for _ in range(2):
        demo_store.run(db, world)
        ents = _entity_of(db, p["record_keys"])
        assert len(set(ents.values())) == 2
    con = store.connect(db)
    try:
        proposed = [
            q
            for q in list_proposals(con, object="customer", status=None, limit=100000).items
            if set(p["record_keys"]) <= set(q["record_keys"])
        ]
        gone = get_proposal(con, p["proposal_id"])
    finally:
        con.close()
    assert proposed == []
    assert gone["current"] is False and gone["history"][-1]["action"] == "reject"


def test_a_rejection_lapses_when_a_record_changes_and_shows_what_changed(
    workdir, demo_store: DemoStore
) -> None:
    db, world = workdir
    p = _pick(db, kind="link", size=2)
    _decide(db, p["proposal_id"], "reject", reason="different people")
    demo_store.run(db, world)
    assert len(set(_entity_of(db, p["record_keys"]).values())) == 2
    # the CRM record of the pair changes its status: the data changed since the rejection
    crm_key = next(k for k in p["record_keys"] if k.startswith(("crm:", "dispatch:", "billing:")))
    system, source_id = crm_key.split(":", 1)
    path, id_col, col = {
        "crm": ("crm/contacts.csv", "ContactID", "Branch"),
        "dispatch": ("dispatch/customers.csv", "CustomerNo", "Branch"),
        "billing": ("billing/customers.csv", "ACCT_NO", "BRANCH"),
    }[system]
    df = pd.read_csv(world / path, dtype=str, keep_default_na=False)
    df.loc[df[id_col] == source_id, col] = "ZZZ"
    df.to_csv(world / path, index=False)
    demo_store.run(db, world)
    assert len(set(_entity_of(db, p["record_keys"]).values())) == 1
    con = store.connect(db)
    try:
        back = get_proposal(con, p["proposal_id"])
    finally:
        con.close()
    assert back["status"] == "open"
    assert back["changes_since_decision"][crm_key]["branch"] == {
        "then": back["history"][-1]["record_values"][crm_key]["branch"],
        "now": "ZZZ",
    }


def test_a_split_holds(workdir, demo_store: DemoStore) -> None:
    db, world = workdir
    p = _pick(db, kind="link", size=3)
    keys = p["record_keys"]
    groups = [keys[:1], keys[1:]]
    _decide(db, p["proposal_id"], "split", groups=groups, reason="first one is someone else")
    demo_store.run(db, world)
    ents = _entity_of(db, keys)
    assert ents[keys[1]] == ents[keys[2]]
    assert ents[keys[0]] != ents[keys[1]]


def test_undo_restores(workdir, demo_store: DemoStore) -> None:
    db, world = workdir
    p = _pick(db, kind="link", size=2)
    _decide(db, p["proposal_id"], "reject", reason="oops")
    demo_store.run(db, world)
    assert len(set(_entity_of(db, p["record_keys"]).values())) == 2
    con = store.connect(db)
    try:
        # the proposal is no longer current, so undo goes through the decision itself
        from resolver.store import decisions as store_decisions

        last = get_proposal(con, p["proposal_id"])["history"][-1]
        store_decisions.append(
            con,
            {
                "object": "customer",
                "action": "undo",
                "record_keys": last["record_keys"],
                "undoes": last["decision_id"],
                "proposal_id": p["proposal_id"],
                "reviewer": "ana",
            },
        )
    finally:
        con.close()
    demo_store.run(db, world)
    assert len(set(_entity_of(db, p["record_keys"]).values())) == 1


def test_undo_of_a_current_proposal_reopens_it(workdir) -> None:
    db, _ = workdir
    p = _pick(db, kind="link", size=2)
    accepted = _decide(db, p["proposal_id"], "accept")
    reopened = _decide(db, p["proposal_id"], "undo", version=accepted["version"])
    assert reopened["status"] == "open"
    assert [h["action"] for h in reopened["history"]] == ["accept", "undo"]


def test_decisions_survive_reordered_inputs(workdir, demo_store: DemoStore) -> None:
    db, world = workdir
    p = _pick(db, kind="link", size=2)
    _decide(db, p["proposal_id"], "reject")
    for path in world.rglob("*.csv"):
        if "truth" not in path.parts:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
            df.sample(frac=1.0, random_state=9).to_csv(path, index=False)
    demo_store.run(db, world)
    assert len(set(_entity_of(db, p["record_keys"]).values())) == 2


def test_stale_versions_and_bad_decisions_are_refused(workdir) -> None:
    db, _ = workdir
    p = _pick(db, kind="link", size=2)
    con = store.connect(db)
    try:
        version = get_proposal(con, p["proposal_id"])["version"]
        decide(con, p["proposal_id"], action="accept", version=version, reviewer="ana")
        with pytest.raises(Conflict) as stale:
            decide(con, p["proposal_id"], action="reject", version=version, reviewer="bo")
        assert stale.value.current["status"] == "accepted"
        with pytest.raises(NotFound):
            get_proposal(con, "P-NOPE")
        q = _pick(db, kind="link", size=3)
        v = get_proposal(con, q["proposal_id"])["version"]
        with pytest.raises(InvalidDecision, match="partition"):
            decide(
                con,
                q["proposal_id"],
                action="split",
                version=v,
                reviewer="ana",
                groups=[q["record_keys"][:1], ["crm:nobody"]],
            )
        with pytest.raises(InvalidDecision, match="action"):
            decide(con, q["proposal_id"], action="merge", version=v, reviewer="ana")  # type: ignore[arg-type]
    finally:
        con.close()


def test_decisions_export_as_labels(workdir) -> None:
    db, _ = workdir
    a = _pick(db, kind="link", size=2)
    _decide(db, a["proposal_id"], "accept")
    con = store.connect(db)
    try:
        out = labels(con, "customer")
    finally:
        con.close()
    assert out.to_dict("records") == [
        {"record_key_l": a["record_keys"][0], "record_key_r": a["record_keys"][1], "is_match": True}
    ]


def _golden_of(db: Path, key: str) -> dict:
    con = store.connect(db, read_only=True)
    try:
        cur = con.execute(
            "SELECT g.* FROM customer_golden g JOIN customer_members m USING (entity_id) "
            "WHERE m.record_key = ?",
            [key],
        )
        cols = [c[0] for c in cur.description]
        return dict(zip(cols, cur.fetchone(), strict=True))
    finally:
        con.close()


def test_a_golden_pick_holds_in_the_next_run_and_goes_with_its_undo(
    workdir, demo_store: DemoStore
) -> None:
    db, world = workdir
    con = store.connect(db)
    try:
        page = list_proposals(con, object="customer", kind="link", limit=500)
        p = next(
            q
            for q in page.items
            if len(q["record_keys"]) == 2
            and all(m.get("email_norm") for m in get_proposal(con, q["proposal_id"])["members"])
        )
    finally:
        con.close()
    a, b = p["record_keys"]
    for picked in (a, b):  # one of the two goes against the survivorship rules
        after = _decide(db, p["proposal_id"], "accept", golden={"email": picked})
        assert after["history"][-1]["golden"] == {"email": picked}
        demo_store.run(db, world)
        g = _golden_of(db, a)
        assert g["email_source"] == picked, picked
        _decide(db, p["proposal_id"], "undo")


def test_golden_picks_are_checked(workdir) -> None:
    db, _ = workdir
    p = _pick(db, kind="link", size=2)
    with pytest.raises(InvalidDecision, match="not a record of this proposal"):
        _decide(db, p["proposal_id"], "accept", golden={"email": "crm:nobody"})
    with pytest.raises(InvalidDecision, match="not a golden field"):
        _decide(db, p["proposal_id"], "accept", golden={"email_norm": p["record_keys"][0]})
    with pytest.raises(InvalidDecision, match="accept only"):
        _decide(db, p["proposal_id"], "reject", golden={"email": p["record_keys"][0]})
