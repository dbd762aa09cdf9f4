"""Ingest: every row loaded or rejected with a reason naming file, row and column."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from resolver import store
from resolver.ingest.contracts import load_contracts
from resolver.ingest.load import ingest
from resolver.normalize import _distinct

ROOT = Path(__file__).resolve().parents[2]

CONTRACT = """\
system: shop
object: invoice
file: inv.csv
id: InvNo
fields:
  invoice_number: Number
  customer_ref: Cust
  amount: Total
  invoice_date: Date
  status: State
enums:
  status: {open: open, PAID: paid}
required: [invoice_number, amount]
parse:
  date_format: "%d/%m/%Y"
  amount_locale: eu
"""

ROWS = """\
InvNo,Number,Cust,Total,Date,State
1,INV-1,C1,"1.234,50",31/01/2024,open
2,INV-2,C1,"12,00",01/02/2024,PAID
9,INV-9,C2,"5,00",01/02/2024,open
3,,C2,"5,00",01/02/2024,open
4,INV-4,C2,lots,01/02/2024,open
5,INV-5,C2,"5,00",2024-99-99,open
6,INV-6,C2,"5,00",01/02/2024,lost
7,INV-7,C2
8,INV-8,C3,"7,00",,
8,INV-8,C3,"7,00",,
9,INV-99,C2,"6,00",01/02/2024,open
"""


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "shop.yaml").write_text(CONTRACT)
    (tmp_path / "inv.csv").write_text(ROWS)
    return tmp_path, tmp_path / "store.duckdb"


def _ingest(folder: Path, db: Path):
    con = store.connect(db, create=True)
    try:
        loads = ingest(con, load_contracts(folder, data_dir=folder))
        records = con.execute("SELECT * FROM invoices ORDER BY source_row").df()
        rejects = con.execute("SELECT * FROM rejects ORDER BY source_row").df()
    finally:
        con.close()
    return loads, records, rejects


def test_rows_read_equal_rows_loaded_plus_rejected(shop) -> None:
    (load,), records, rejects = _ingest(*shop)
    assert load.rows_read == 11
    assert load.rows_loaded + load.rows_rejected == load.rows_read
    assert len(records) == load.rows_loaded == 3
    assert len(rejects) == load.rows_rejected == 8


def test_each_reject_names_file_row_and_column(shop) -> None:
    _, _, rejects = _ingest(*shop)
    by_row = rejects.set_index("source_row")
    expected = {
        3: ("InvNo", "source id 9 is used by different rows (3, 11)"),
        11: ("InvNo", "source id 9 is used by different rows (3, 11)"),
        10: ("InvNo", "duplicate row: identical to row 9"),
        4: ("Number", "required field invoice_number is empty"),
        5: ("Total", "cannot read amount lots"),
        6: ("Date", "cannot read date 2024-99-99"),
        7: ("State", "value lost is not in the enum map of status"),
        8: (None, "has 3 fields, the header has 6"),
    }
    for row, (column, text) in expected.items():
        reason = by_row.loc[row, "reason"]
        assert reason.startswith(f"{shop[0] / 'inv.csv'}: row {row}")
        assert text in reason
        if column:
            assert by_row.loc[row, "column_name"] == column
            assert f"column '{column}'" in reason


def test_values_are_parsed_and_raw_rows_kept(shop) -> None:
    _, records, _ = _ingest(*shop)
    first = records.iloc[0]
    assert first["amount_cents"] == 123450  # "1.234,50" in the eu locale
    assert str(first["invoice_date"])[:10] == "2024-01-31"
    assert first["invoice_number_norm"] == "1"
    assert first["record_key"] == "shop:1"
    assert json.loads(first["raw"])["Total"] == "1.234,50"
    assert records.loc[1, "status"] == "paid"  # enum keys match case-insensitively
    assert pd.isna(records.loc[2, "status"])  # empty is missing, not an enum error


def test_reingest_is_idempotent(shop) -> None:
    _, first, first_rejects = _ingest(*shop)
    _, again, again_rejects = _ingest(*shop)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first_rejects, again_rejects)


def test_demo_world_ingests_and_rejects_match_the_truth(demo_world: Path, tmp_path: Path) -> None:
    con = store.connect(tmp_path / "s.duckdb", create=True)
    try:
        loads = ingest(con, load_contracts(Path("rules"), data_dir=demo_world))
        rejects = con.execute(
            "SELECT system, object, source_file, source_row, reason FROM rejects"
        ).df()
        keys = set(
            con.execute(
                "SELECT record_key FROM customers UNION ALL SELECT record_key FROM invoices"
            ).df()["record_key"]
        )
    finally:
        con.close()
    for load in loads:
        assert load.rows_loaded + load.rows_rejected == load.rows_read
    truth = pd.read_csv(demo_world / "truth" / "rejects.csv", dtype=str)
    got = {
        (
            r.system,
            r.object,
            Path(r.source_file).relative_to(demo_world).as_posix(),
            int(r.source_row),
        )
        for r in rejects.itertuples()
    }
    want = {(r.system, r.object, r.file, int(r.row)) for r in truth.itertuples()}
    assert got == want
    truth_keys = set()
    for name in ("customers.csv", "invoices.csv"):
        t = pd.read_csv(demo_world / "truth" / name, dtype=str)
        truth_keys |= set(t["system"] + ":" + t["source_id"])
    assert keys == truth_keys


def test_an_unreadable_optional_value_can_be_nulled_instead(shop) -> None:
    folder, db = shop
    contract = folder / "sources" / "shop.yaml"
    contract.write_text(
        CONTRACT.replace(
            "  amount_locale: eu", "  amount_locale: eu\n  on_bad_value: blank"
        ).replace("required: [invoice_number, amount]", "required: [invoice_number]")
    )
    (load,), records, rejects = _ingest(folder, db)
    assert load.rows_loaded + load.rows_rejected == load.rows_read
    lots = records.set_index("source_row").loc[5]
    assert pd.isna(lots["amount_cents"])
    assert "column 'Total': cannot read amount lots" in lots["issues"]
    assert 5 not in set(rejects["source_row"])  # loaded, with the reason on the record
    assert 6 not in set(rejects["source_row"])


_COUNT_POOLS = """
import concurrent.futures, sys
from pathlib import Path
from resolver import store
from resolver.ingest.contracts import load_contracts
from resolver.ingest.load import ingest
from resolver.normalize import _distinct

started = []
class Counted(concurrent.futures.ProcessPoolExecutor):
    def __init__(self, *args, **kwargs):
        started.append(1)
        super().__init__(*args, **kwargs)

concurrent.futures.ProcessPoolExecutor = Counted
_distinct.MIN_PARALLEL = 1  # every kind goes to the workers
world, db = Path(sys.argv[1]), Path(sys.argv[2])
contracts = load_contracts("rules", data_dir=world)
assert len([c for c in contracts if c.object == "customer"]) >= 2
con = store.connect(db, create=True)
try:
    loads = ingest(con, contracts)
finally:
    con.close()
print(sum(x.rows_loaded for x in loads if x.object == "customer"), len(started))
"""


def test_every_source_shares_one_worker_pool(demo_world: Path, tmp_path: Path) -> None:
    """The costly normalizers' worker processes start once per ingest, not once per
    source (at ~25k rows a source, starting them again each time cost more than the
    work they took). Run as the CLI runs, in a process of its own: workers are forked,
    and this test process holds threads of other libraries (browsers, servers)."""
    if not _distinct.WorkerPool(2).parallel:
        pytest.skip("no fork or a single CPU here")
    done = subprocess.run(
        [sys.executable, "-c", _COUNT_POOLS, str(demo_world), str(tmp_path / "s.duckdb")],
        capture_output=True,
        text=True,
        env={**os.environ, "RESOLVER_WORKERS": "2", "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded, pools = (int(x) for x in done.stdout.split()[-2:])
    assert loaded > 0
    assert pools == 1
