"""Seeded faults on a demo world's exports, each the kind a nightly job meets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

EXTRA_COLUMN = "Notes"  # an unmapped column the baseline world carries in crm/contacts.csv


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def add_unmapped_column(world: Path) -> None:
    path = world / "crm" / "contacts.csv"
    df = _csv(path)
    df[EXTRA_COLUMN] = "note " + df.index.astype(str)
    df.to_csv(path, index=False)


def stale_export(world: Path) -> None:
    """dispatch sends the export it took 15 days before the others': a record changed
    since shows the date of its state then (its values are left as they are)."""
    path = world / "dispatch" / "customers.csv"
    df = _csv(path)
    dates = pd.to_datetime(df["Last Service"], format="%m/%d/%Y", errors="coerce")
    taken = dates.max() - pd.Timedelta(days=15)
    clipped = dates.where(dates <= taken, taken).dt.strftime("%m/%d/%Y")
    df["Last Service"] = clipped.where(dates.notna(), df["Last Service"])
    df.to_csv(path, index=False)


def dropped_column(world: Path) -> None:
    path = world / "crm" / "contacts.csv"
    _csv(path).drop(columns=[EXTRA_COLUMN]).to_csv(path, index=False)


def retyped_column(world: Path) -> None:
    """ledger's invoice totals arrive as numbers instead of text."""
    path = world / "ledger" / "invoices.parquet"
    df = pd.read_parquet(path)
    df["total"] = pd.to_numeric(df["total"], errors="coerce")
    df.to_parquet(path, index=False)


def new_enum_value(world: Path) -> None:
    """billing starts writing a status letter the contract does not know, on two rows."""
    path = world / "billing" / "invoices.csv"
    df = _csv(path)
    df.loc[df.index[[3, 7]], "STATUS"] = "X"
    df.to_csv(path, index=False)


def volume_drop(world: Path) -> None:
    """dispatch's customer export loses 30% of its rows."""
    path = world / "dispatch" / "customers.csv"
    df = _csv(path)
    df.iloc[: int(len(df) * 0.7)].to_csv(path, index=False)


def ledger_lag(world: Path) -> None:
    """the ledger posts one invoice in fifteen 10 days after billing dated it (the
    tests' health.yaml sets the sync-lag limit at 7 days); only invoices old enough
    that the posting is not newer than the export itself."""
    path = world / "ledger" / "invoices.parquet"
    df = pd.read_parquet(path)
    dates = pd.to_datetime(df["txn_date"], format="%d-%b-%y", errors="coerce")
    late = (df.index % 15 == 0) & dates.notna() & (dates + pd.Timedelta(days=10) <= dates.max())
    df.loc[late, "txn_date"] = (dates[late] + pd.Timedelta(days=10)).dt.strftime("%d-%b-%y")
    df.to_parquet(path, index=False)


def wrong_date_format(world: Path) -> None:
    """billing switches its invoice dates to DD/MM/YYYY; the contract says MM/DD/YYYY."""
    path = world / "billing" / "invoices.csv"
    df = _csv(path)
    for col in ("INV_DATE", "DUE_DATE"):
        dates = pd.to_datetime(df[col], format="%m/%d/%Y", errors="coerce")
        df[col] = dates.dt.strftime("%d/%m/%Y").where(dates.notna(), df[col])
    df.to_csv(path, index=False)


def status_mapping_broken(world: Path) -> None:
    """the ledger's integration writes every invoice it posts as Open, whatever billing says."""
    path = world / "ledger" / "invoices.parquet"
    df = pd.read_parquet(path)
    df["status"] = df["status"].where(df["status"].isna(), "Open")
    df.to_parquet(path, index=False)


def invoices_posted_twice(world: Path) -> None:
    """billing's export repeats one invoice in five under a new id (a retried post)."""
    path = world / "billing" / "invoices.csv"
    df = _csv(path)
    again = df[df.index % 5 == 0].copy()
    ids = pd.to_numeric(df["INVOICE_ID"], errors="coerce")
    again["INVOICE_ID"] = (int(ids.max()) + 1 + pd.RangeIndex(len(again))).astype(str)
    pd.concat([df, again], ignore_index=True).to_csv(path, index=False)


def ledger_misses_invoices(world: Path) -> None:
    """the ledger never receives one invoice in fourteen (under the volume-drop limit)."""
    path = world / "ledger" / "invoices.parquet"
    df = pd.read_parquet(path)
    df[df.index % 14 != 7].to_parquet(path, index=False)


def updates_stop_reaching_ledger(world: Path) -> None:
    """the ledger's customer sync stops carrying updates: four records in five keep the
    date of their first sync (the newest record is left, so the export is not stale)."""
    path = world / "ledger" / "customers.parquet"
    df = pd.read_parquet(path)
    dates = pd.to_datetime(df["last_modified"], format="%d-%b-%y", errors="coerce")
    first = dates.min().strftime("%d-%b-%y")
    frozen = (df.index % 5 != 0) & dates.notna() & (dates < dates.max())
    df.loc[frozen, "last_modified"] = first
    df.to_parquet(path, index=False)


def due_dates_dropped(world: Path) -> None:
    """billing's export stops carrying the due date of two invoices in five (the tests'
    health.yaml names due_date among the fields billing's invoices must fill)."""
    path = world / "billing" / "invoices.csv"
    df = _csv(path)
    df.loc[df.index % 5 < 2, "DUE_DATE"] = ""
    df.to_csv(path, index=False)


# fault -> the (integration, check) cells whose verdict it must flip, and to what; every
# other cell must keep its verdict. One fault per check, and each timing fault the issue
# names (the wrong date format is its own test: it must also fail the job).
FAULTS: dict[str, tuple[Callable[[Path], None], dict[tuple[str, str], str]]] = {
    "due dates dropped": (due_dates_dropped, {("billing", "completeness"): "fail"}),
    "stale export": (stale_export, {("dispatch", "timing"): "fail"}),
    "dropped column": (dropped_column, {("crm", "timing"): "fail"}),
    "retyped column": (retyped_column, {("ledger", "timing"): "fail"}),
    "new enum value": (new_enum_value, {("billing", "timing"): "warn"}),
    "30% volume drop": (volume_drop, {("dispatch", "timing"): "fail"}),
    "ledger lag": (ledger_lag, {("billing~ledger", "timing"): "fail"}),
    "status mapping broken": (status_mapping_broken, {("billing~ledger", "field_mapping"): "fail"}),
    "invoices posted twice": (invoices_posted_twice, {("billing", "duplicates"): "fail"}),
    "ledger misses invoices": (ledger_misses_invoices, {("billing~ledger", "orphans"): "fail"}),
    "updates stop reaching the ledger": (
        updates_stop_reaching_ledger,
        {("dispatch~ledger", "update_handling"): "fail"},
    ),
}
