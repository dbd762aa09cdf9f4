"""GET /exports/{kind} over a real uvicorn server: each system's fix lists as the
batch export writes them, for an integration to pull."""

from __future__ import annotations

from resolver import store
from resolver.demo.fixtures import RULES
from resolver.exports import fix_list
from resolver.exports.reverse import system_contracts


def _expected(db, kind: str, system: str, obj: str) -> list[str]:
    con = store.connect(db, read_only=True)
    try:
        df = fix_list(con, kind, system_contracts(RULES, system), obj=obj)
    finally:
        con.close()
    return list(df["fix_id"])


def test_every_systems_corrections_and_missing_over_http(live) -> None:
    with live.client("viewer") as c:
        for system in ("billing", "crm", "dispatch", "ledger"):
            for kind in ("corrections", "missing"):
                got = c.get(f"/exports/{kind}", params={"system": system})
                assert got.status_code == 200, got.text
                body = got.json()
                assert [r["fix_id"] for r in body["rows"]] == _expected(
                    live.db, kind, system, "customer"
                )
        invoices = c.get("/exports/missing", params={"system": "ledger", "object": "invoice"})
        body = invoices.json()
        assert "invoice_no" in body["columns"] and "customer_id" in body["columns"]
        assert body["rows"] and all(r["txn_id"] is None for r in body["rows"])
        fixes = c.get("/exports/corrections", params={"system": "ledger"}).json()
        assert "billing_address" in {r["column"] for r in fixes["rows"]}
        assert c.get("/exports/nothing", params={"system": "ledger"}).status_code == 422
        bad = c.get("/exports/missing", params={"system": "nosuch"})
        assert bad.status_code in (400, 404) and "nosuch" in bad.text
    with live.client(None) as anon:
        assert anon.get("/exports/missing", params={"system": "crm"}).status_code == 401
