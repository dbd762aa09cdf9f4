"""The review view a run writes beside the store: memory-mapped back, it shows
exactly what the store holds, field for field, on every proposal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolver import store
from resolver.demo.fixtures import DemoStore
from resolver.review import ReviewView, get_proposal, list_proposals
from resolver.review.proposal_index import SORTS
from resolver.review.view import MEMBER_COLUMNS, SHOWN, golden_fields
from resolver.review.view_file import open_view, view_key, view_root

_SUMMARY = (
    "proposal_id, object, kind, entity_ids, record_keys, systems, confidence, "
    "suggested_action, stake_cents, records_affected, run_id, version, evidence"
)


@pytest.fixture(scope="module")
def views(demo_store: DemoStore):
    """(view mapped from the files, view read from the store, connection)."""
    con = store.connect(demo_store.db, read_only=True)
    tables = open_view(con, demo_store.db)
    assert tables is not None, "the run wrote no view beside the store"
    yield ReviewView(con, tables), ReviewView(con), con
    con.close()


def _mapped_files() -> set[str]:
    return {
        line.split(None, 5)[5].strip()
        for line in Path("/proc/self/maps").read_text().splitlines()
        if len(line.split(None, 5)) == 6
    }


def test_a_run_writes_its_view_beside_the_store_and_a_reader_maps_it(
    demo_store: DemoStore, views
) -> None:
    mapped, _, con = views
    folder = view_root(demo_store.db) / str(view_key(con))
    # (POST /match's index files, once a matcher has run, live in sub-folders beside them)
    assert sorted(p.name for p in folder.glob("*.arrow")) == [
        "customer_golden.arrow",
        "customer_records.arrow",
        "evidence.arrow",
        "invoice_golden.arrow",
        "invoice_records.arrow",
        "proposals.arrow",
    ]
    assert [p for p in view_root(demo_store.db).iterdir()] == [folder]  # no work folder left
    # the columns live in the files' mappings, not in copies
    assert {str(p) for p in folder.glob("*.arrow")} <= _mapped_files()
    assert mapped.mapped and mapped.proposals.size > 100


def test_every_proposal_page_field_reads_back_as_the_store_holds_it(views) -> None:
    mapped, _, con = views
    union = " UNION ALL ".join(
        f"SELECT {_SUMMARY} FROM {o}_proposals" for o in ("customer", "invoice")
    )
    cur = con.execute(f"SELECT * FROM ({union}) ORDER BY proposal_id")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    assert len(rows) == mapped.proposals.size
    goldens = 0
    for row in rows:
        page = get_proposal(mapped, row["proposal_id"])
        evidence = row.pop("evidence")
        version = row.pop("version")
        assert {k: page[k] for k in row} == row
        assert page["version"] == f"{version}.0"
        assert page["evidence"] == json.loads(evidence or "[]")
        obj = row["object"]
        table = "customers" if obj == "customer" else "invoices"
        cols = ", ".join(dict.fromkeys(["record_key", *MEMBER_COLUMNS, *SHOWN[obj]]))
        keys = sorted(set(row["record_keys"]))
        cur = con.execute(
            f"SELECT {cols} FROM {table} WHERE list_contains(?, record_key) ORDER BY record_key",
            [keys],
        )
        member_names = [d[0] for d in cur.description]
        members = [
            {
                k: str(v) if hasattr(v, "isoformat") else v
                for k, v in zip(member_names, r, strict=True)
            }
            for r in cur.fetchall()
        ]
        assert page["members"] == members
        if len(row["entity_ids"]) == 1:
            cur = con.execute(
                f"SELECT * FROM {obj}_golden WHERE entity_id = ?", [row["entity_ids"][0]]
            )
            gold = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
            assert page["golden"] == golden_fields(gold)
            goldens += 1
    assert goldens > 50


def test_the_mapped_view_answers_as_the_view_read_into_memory(views) -> None:
    mapped, in_memory, _ = views
    for sort in SORTS:
        for f in ({}, {"object": "invoice"}, {"action": "review", "min_confidence": 0.5}):
            a = list_proposals(mapped, sort=sort, status=None, limit=1000, **f)
            b = list_proposals(in_memory, sort=sort, status=None, limit=1000, **f)
            assert a == b and a.items
    assert {s: m.tolist() for s, m in mapped.proposals.system_mask.items()} == {
        s: m.tolist() for s, m in in_memory.proposals.system_mask.items()
    }
    for i in range(mapped.proposals.size):
        pid = mapped.proposals.ids[i]
        assert mapped.proposals.pos.get(pid) == i
        assert get_proposal(mapped, pid) == get_proposal(in_memory, pid)
    assert mapped.proposals.pos.get("nope") is None
    for obj, rows in mapped.records.items():
        assert len(rows) == len(in_memory.records[obj])
