"""Ingest never drops a value silently: unusable values are counted, partial birth dates kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolver import store
from resolver.ingest.contracts import load_contracts
from resolver.ingest.load import SourceLoad, ingest
from resolver.normalize.unusable import format_unusable

CONTRACT = """\
system: crm
object: customer
file: contacts.csv
id: ID
fields:
  name: Name
  email: Email
  phone: Phone
  street: Street
  city: City
  postal_code: Zip
  country: Country
  birth_date: DOB
parse:
  phone_area_code: "310"
  on_bad_value: {on_bad}
"""

ROWS = """\
ID,Name,Email,Phone,Street,City,Zip,Country,DOB
1,John Smith,john@x.com,246-1501,435 s. la cienega blv.,Los Angeles,90048,US,1987-05-12
2,"Smith, John",bad@,555-555-5555,435 S La Cienega Blvd,Los Angeles,90048-1234,,1987-05
3,Jane Roe,jane@y.com,(999) 555-1234,10 Downing Street,London,SW1A 2AA,UK,05/1987
4,Al Bo,,,1 Main St,Canberra,2602,Australia,1987
5,Cy Dee,cy@z.com,call me,1 Elm St,Boston,02108,US,31/31/1987
"""


def _ingest(tmp_path: Path, on_bad: str):
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "crm.yaml").write_text(CONTRACT.format(on_bad=on_bad))
    (tmp_path / "contacts.csv").write_text(ROWS)
    con = store.connect(tmp_path / "store.duckdb", create=True)
    try:
        (load,) = ingest(con, load_contracts(tmp_path, data_dir=tmp_path))
        records = con.execute("SELECT * FROM customers ORDER BY source_row").df()
        stored = con.execute("SELECT unusable FROM source_loads").fetchall()[0][0]
    finally:
        con.close()
    return load, records.astype(object).where(records.notna(), None), json.loads(stored)


def test_partial_birth_dates_load_with_their_year(tmp_path: Path) -> None:
    load, records, _ = _ingest(tmp_path, "reject")
    # '31/31/1987' is no date and no partial one: rejected as before
    assert (load.rows_loaded, load.rows_rejected) == (4, 1)
    by_id = {r["source_id"]: r for r in records.to_dict("records")}
    assert str(by_id["1"]["birth_date"])[:10] == "1987-05-12" and by_id["1"]["issues"] is None
    for sid, raw in (("2", "1987-05"), ("3", "05/1987"), ("4", "1987")):
        r = by_id[sid]
        assert r["birth_date"] is None and r["birth_year"] == "1987"
        assert f"partial birth date {raw}" in r["issues"] and "[partial_date]" in r["issues"]
    assert by_id["1"]["birth_year"] == "1987"


def test_new_keys_are_stored(tmp_path: Path) -> None:
    _, records, _ = _ingest(tmp_path, "reject")
    by_id = {r["source_id"]: r for r in records.to_dict("records")}
    one, two, three, four = by_id["1"], by_id["2"], by_id["3"], by_id["4"]
    # parse.phone_area_code: the 7-digit number is a valid LA number
    assert (one["phone_e164"], one["phone_local"]) == ("+13102461501", "2461501")
    assert (three["phone_digits"], three["phone_reason"]) == ("9995551234", "invalid")
    assert two["phone_digits"] is None and two["phone_reason"] == "placeholder"
    assert one["street_core"] == two["street_core"] == "la cienega"
    assert (three["postal_norm"], four["postal_norm"]) == ("SW1A2AA", "2602")
    assert one["name_sorted"] == two["name_sorted"] == "john smith"
    assert one["email_user"] == "john"


def test_unusable_values_are_counted_printed_and_stored(tmp_path: Path) -> None:
    load, _, stored = _ingest(tmp_path, "blank")
    assert (load.rows_loaded, load.rows_rejected) == (5, 0)
    want = {
        "phone": {"invalid": 2, "placeholder": 1},  # (999) 555-1234, call me; 555-555-5555
        "email": {"invalid": 1},  # bad@
        "birth_date": {"partial": 3, "invalid": 1},
    }
    assert load.unusable == want
    assert stored == json.loads(json.dumps(want))
    line = load.format()
    # the biggest first; kinds listed unless the only one is plain 'invalid'
    assert line.endswith(
        "; unusable: birth_date 4 (partial 3, invalid 1), phone 3 (invalid 2, placeholder 1), "
        "email 1"
    )


@pytest.mark.parametrize(
    ("unusable", "text"),
    [
        ({}, ""),
        ({"email": {"invalid": 5}}, "email 5"),
        (
            {"phone": {"invalid": 38, "placeholder": 3}, "email": {"invalid": 5}},
            "phone 41 (invalid 38, placeholder 3), email 5",
        ),
        ({"address": {"unparsed": 1200}}, "address 1,200 (unparsed 1,200)"),
    ],
)
def test_format_unusable(unusable, text) -> None:
    assert format_unusable(unusable) == text
    load = SourceLoad("crm", "customer", "f.csv", 10, 10, 0, unusable=unusable)
    assert load.format().endswith(f"; unusable: {text}" if text else "0")
