"""The completeness checks count values present but unusable as not complete."""

from __future__ import annotations

from pathlib import Path

import duckdb

from resolver.report.checks import completeness
from resolver.store.schema import CUSTOMER_COLUMNS, SOURCE_LOAD_COLUMNS, create_table_sql


def test_unusable_values_are_not_complete(tmp_path: Path) -> None:
    contract = tmp_path / "crm.yaml"
    contract.write_text("fields: {email: Email, phone: Phone, street: Street}\n")
    con = duckdb.connect()
    con.execute(create_table_sql("customers", CUSTOMER_COLUMNS))
    con.execute(create_table_sql("source_loads", SOURCE_LOAD_COLUMNS))
    con.execute(
        "INSERT INTO source_loads VALUES ('crm', 'customer', 'f.csv', 'x', ?, 4, 4, 0, now(), "
        '\'{"phone": {"invalid": 2}}\')',
        [str(contract)],
    )
    rows = [
        ("crm:1", "a@x.com", None, "555-1234", "invalid", "1 Main St", None),
        ("crm:2", "bad@", "invalid", "999-555-1234", "invalid", "garbage!!", "unparsed"),
        ("crm:3", None, None, "000-000-0000", "placeholder", None, None),
        ("crm:4", "c@x.com", None, "(312) 555-2671", None, "9 Elm Dr", None),
    ]
    for key, email, er, phone, pr, street, ar in rows:
        con.execute(
            "INSERT INTO customers (record_key, system, source_id, source_file, source_row, "
            "row_hash, content_hash, email, email_reason, phone, phone_reason, street, "
            "address_reason) VALUES (?, 'crm', ?, 'f.csv', 1, 'h', 'c', ?, ?, ?, ?, ?, ?)",
            [key, key[-1], email, er, phone, pr, street, ar],
        )
    got = {c["id"].split(".")[-1]: c for c in completeness(con, "")}
    assert got["email"]["count"] == 1  # missing: as before
    assert got["email_unusable"]["count"] == 1
    assert got["phone"]["count"] == 0
    assert got["phone_unusable"]["count"] == 3
    assert got["phone_unusable"]["kinds"] == {"invalid": 2, "placeholder": 1}
    assert got["phone_unusable"]["examples"][0]["record_key"] == "crm:1"
    assert "unusable" in got["phone_unusable"]["title"]
    assert got["address_unusable"]["count"] == 1
    assert all(c["total"] == 4 for c in got.values())
