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
    """dispatch sends an old export: every date 15 days earlier than the others'."""
    path = world / "dispatch" / "customers.csv"
    df = _csv(path)
    dates = pd.to_datetime(df["Last Service"], format="%m/%d/%Y", errors="coerce")
    shifted = (dates - pd.Timedelta(days=15)).dt.strftime("%m/%d/%Y")
    df["Last Service"] = shifted.where(dates.notna(), df["Last Service"])
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


# fault -> the (integration, check) cells whose verdict it must flip, and to what. A
# stale export also makes its system hold older values than its peers: update handling
# of its pairs is the consequence, not a false alert.
FAULTS: dict[str, tuple[Callable[[Path], None], dict[tuple[str, str], str]]] = {
    "stale export": (
        stale_export,
        {
            ("dispatch", "timing"): "fail",
            ("billing~dispatch", "update_handling"): "fail",
            ("dispatch~ledger", "update_handling"): "fail",
        },
    ),
    "dropped column": (dropped_column, {("crm", "timing"): "fail"}),
    "retyped column": (retyped_column, {("ledger", "timing"): "fail"}),
    "new enum value": (new_enum_value, {("billing", "timing"): "warn"}),
    "30% volume drop": (volume_drop, {("dispatch", "timing"): "fail"}),
}
