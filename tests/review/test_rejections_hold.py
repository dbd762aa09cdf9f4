"""Every rejection and split survives the next runs, whatever else reviewers decided:
proposals of three or more records, invoice pairs across two systems, split groups,
and must-links that would chain rejected records together."""

from __future__ import annotations

import itertools
from pathlib import Path

from resolver import store
from resolver.demo.fixtures import DemoStore
from resolver.review import decide, get_proposal, list_proposals
from resolver.review.decisions import pair_rules
from resolver.store import decisions as store_decisions


def _proposals(db: Path, obj: str) -> list[dict]:
    con = store.connect(db, read_only=True)
    try:
        return list_proposals(con, object=obj, kind="link", limit=100000).items
    finally:
        con.close()


def _hashes(db: Path, obj: str) -> dict[str, str]:
    table = {"customer": "customers", "invoice": "invoices"}[obj]
    con = store.connect(db, read_only=True)
    try:
        return dict(con.execute(f"SELECT record_key, content_hash FROM {table}").fetchall())
    finally:
        con.close()


def _entity_of(db: Path, obj: str) -> dict[str, str]:
    con = store.connect(db, read_only=True)
    try:
        return dict(con.execute(f"SELECT record_key, entity_id FROM {obj}_members").fetchall())
    finally:
        con.close()


def _decide(db: Path, pid: str, action: str, **kw) -> dict:
    con = store.connect(db)
    try:
        version = get_proposal(con, pid)["version"]
        return decide(con, pid, action=action, version=version, reviewer="ana", **kw)
    finally:
        con.close()


def _open_proposals_within(db: Path, keys: set[str]) -> list[dict]:
    con = store.connect(db, read_only=True)
    try:
        items = list_proposals(con, status="open", limit=100000).items
    finally:
        con.close()
    return [q for q in items if set(q["record_keys"]) <= keys]


def _apart(ents: dict[str, str], keys: list[str]) -> bool:
    return len({ents[k] for k in keys}) == len(keys)


def test_rejections_of_many_records_and_of_invoice_pairs_and_splits_hold(
    workdir, demo_store: DemoStore
) -> None:
    db, world = workdir
    hashes = _hashes(db, "customer")
    customers = _proposals(db, "customer")

    def shared_hash(p: dict) -> bool:
        return len({hashes[k] for k in p["record_keys"]}) < len(p["record_keys"])

    # a three-record proposal whose members share a content hash, and a four-record one
    three = next(p for p in customers if p["records_affected"] == 3 and shared_hash(p))
    four = next(p for p in customers if p["records_affected"] == 4)
    split = next(
        p
        for p in customers
        if p["records_affected"] == 3 and p["proposal_id"] != three["proposal_id"]
    )
    invoice = next(
        p for p in _proposals(db, "invoice") if set(p["systems"]) == {"billing", "ledger"}
    )
    # and an accepted proposal beside them, as a reviewer's session has
    accepted = next(
        p
        for p in customers
        if p["records_affected"] == 2
        and p["proposal_id"]
        not in {three["proposal_id"], four["proposal_id"], split["proposal_id"]}
    )
    for p in (three, four, invoice):
        assert _decide(db, p["proposal_id"], "reject", reason="different")["status"] == "rejected"
    groups = [split["record_keys"][:1], split["record_keys"][1:]]
    assert _decide(db, split["proposal_id"], "split", groups=groups)["status"] == "split"
    assert _decide(db, accepted["proposal_id"], "accept")["status"] == "accepted"

    for _ in range(2):
        demo_store.run(db, world)
        customer_ents, invoice_ents = _entity_of(db, "customer"), _entity_of(db, "invoice")
        assert _apart(customer_ents, three["record_keys"])
        assert _apart(customer_ents, four["record_keys"])
        assert _apart(invoice_ents, invoice["record_keys"])
        g1, g2 = groups
        assert customer_ents[g2[0]] == customer_ents[g2[1]]
        assert customer_ents[g1[0]] != customer_ents[g2[0]]
        assert len({customer_ents[k] for k in accepted["record_keys"]}) == 1
        # nothing the reviewer already decided comes back as an open proposal
        for p in (three, four, invoice, split):
            assert _open_proposals_within(db, set(p["record_keys"])) == [], p["proposal_id"]
        con = store.connect(db, read_only=True)
        try:
            for p in (three, four, invoice, split):
                after = get_proposal(con, p["proposal_id"])
                assert after["status"] != "open", (p["proposal_id"], after["record_keys"])
                assert after["history"][-1]["action"] == ("split" if p is split else "reject")
        finally:
            con.close()


def _journal(db: Path, action: str, keys: list[str]) -> int:
    con = store.connect(db)
    try:
        hashes = store_decisions.record_hashes(con, "customer", keys)
        return store_decisions.append(
            con,
            {
                "object": "customer",
                "action": action,
                "record_keys": keys,
                "record_hashes": hashes,
                "reviewer": "bo",
            },
        )
    finally:
        con.close()


def _rejected_three(db: Path) -> list[str]:
    p = next(q for q in _proposals(db, "customer") if q["records_affected"] == 3)
    _decide(db, p["proposal_id"], "reject", reason="three different people")
    return p["record_keys"]


def test_later_must_links_never_chain_rejected_records_together(
    workdir, demo_store: DemoStore
) -> None:
    """A rejection is the latest word on its pairs: later acceptances of other pairs
    (A with D, then D with B) never put A and B together through D. The newer of the
    conflicting acceptances holds; the older one gives way."""
    db, world = workdir
    a, b, c = _rejected_three(db)
    ents = _entity_of(db, "customer")
    d = next(k for k, e in sorted(ents.items()) if e not in {ents[a], ents[b], ents[c]})
    _journal(db, "accept", [a, d])
    _journal(db, "link", [d, b])  # the newer one (an orphan's link is a must-link too)
    demo_store.run(db, world)
    ents = _entity_of(db, "customer")
    assert _apart(ents, [a, b, c])
    assert ents[d] == ents[b]  # the newest acceptance that fits holds
    assert ents[a] != ents[d]
    con = store.connect(db, read_only=True)
    try:
        rules = pair_rules(con, "customer")
    finally:
        con.close()
    for x, y in itertools.combinations(sorted([a, b, c]), 2):
        assert rules[(x, y)][0] == "cannot"


def test_a_later_decision_on_the_pair_itself_overrides_a_rejection(
    workdir, demo_store: DemoStore
) -> None:
    """What does put rejected records together: a later decision about that pair."""
    db, world = workdir
    a, b, c = _rejected_three(db)
    _journal(db, "accept", [a, b])
    demo_store.run(db, world)
    ents = _entity_of(db, "customer")
    assert ents[a] == ents[b]
    assert ents[c] not in {ents[a], ents[b]}
