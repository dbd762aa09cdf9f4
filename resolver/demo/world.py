"""generate_demo_world: the four systems' exports of a plumbing/HVAC business, with truth.

Layout written under ``out_dir``::

    crm/contacts.csv            dispatch/customers.csv
    billing/customers.csv       billing/invoices.csv
    ledger/customers.parquet    ledger/invoices.parquet
    truth/customers.csv         system,source_id,entity_id   (every accepted customer row)
    truth/invoices.csv          system,source_id,entity_id   (every accepted invoice row)
    truth/orphans.csv           object,system,source_id,expectation
    truth/rejects.csv           system,object,file,row,column,reason_kind
    truth/hard_negatives.csv    kind,group_id,entity_id      (must-not-merge groups)
    truth/patterns.json         count of every injected pattern

Rows that ingest must reject appear only in rejects.csv, never in the
customers/invoices truth. A repeated source id is rejected on its *later*
occurrence; the first occurrence is a valid row and is in the truth.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from resolver.demo import invoices as inv_mod
from resolver.demo import systems
from resolver.demo._util import cat, num
from resolver.demo.entities import Entities, make_entities
from resolver.demo.systems import Export

# Bad values per reason kind, by the file's format.
_BAD_DATES = {
    "iso": ["2024-13-41T10:00:00Z", "yesterday", "0000-00-00T00:00:00Z"],
    "us": ["02/30/2023", "13/45/2024", "00/00/0000"],
    "ledger": ["31-Feb-24", "32-Jan-24", "??-???-??"],
}
_BAD_AMOUNTS = ["$1,2O4.50", "N/A", "12.34.56", "#VALUE!"]

# file -> (reason_kind, column, bad values or None)
_REJECTS: dict[str, list[tuple[str, str, list[str] | None]]] = {
    "crm/contacts.csv": [
        ("missing_required", "ContactID", None),
        ("missing_required", "Last Name", None),
        ("bad_date", "LastModified", _BAD_DATES["iso"]),
        ("bad_enum", "Status", ["Lead", "Customer?"]),
        ("duplicate_id", "ContactID", None),
    ],
    "dispatch/customers.csv": [
        ("missing_required", "CustomerNo", None),
        ("missing_required", "Customer Name", None),
        ("bad_date", "Last Service", _BAD_DATES["us"]),
        ("duplicate_id", "CustomerNo", None),
    ],
    "billing/customers.csv": [
        ("missing_required", "CUST_NAME", None),
        ("duplicate_id", "ACCT_NO", None),
    ],
    "billing/invoices.csv": [
        ("missing_required", "INVOICE_ID", None),
        ("missing_required", "INV_NO", None),
        ("bad_amount", "AMOUNT", _BAD_AMOUNTS),
        ("bad_date", "INV_DATE", _BAD_DATES["us"]),
        ("duplicate_id", "INVOICE_ID", None),
    ],
    "ledger/customers.parquet": [
        ("missing_required", "customer_name", None),
        ("duplicate_id", "customer_id", None),
    ],
    "ledger/invoices.parquet": [
        ("bad_date", "txn_date", _BAD_DATES["ledger"]),
        ("bad_amount", "total", _BAD_AMOUNTS),
        ("duplicate_id", "txn_id", None),
    ],
}

# How each file's fresh ids look: (prefix, first number, zero-pad width).
_ID_FORMAT = {
    "crm/contacts.csv": ("CT", 1, 7),
    "dispatch/customers.csv": ("", 10001, 0),
    "billing/customers.csv": ("B", 1, 6),
    "billing/invoices.csv": ("", 70001, 0),
    "ledger/customers.parquet": ("CUS-", 1, 6),
    "ledger/invoices.parquet": ("", 500001, 0),
}


@dataclass
class DemoSummary:
    """What generate_demo_world wrote: rows per file, injected patterns, time taken."""

    out_dir: str
    customers: int
    seed: int
    rows: dict[str, int] = field(default_factory=dict)  # data rows per file, reject rows included
    patterns: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    @property
    def customer_rows(self) -> int:
        return sum(n for f, n in self.rows.items() if "invoices" not in f)

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "customer_rows": self.customer_rows}

    def format(self) -> str:
        lines = [
            f"demo world in {self.out_dir}: {self.customers} customers, seed {self.seed}, "
            f"{self.elapsed_seconds:.1f}s",
            "files (data rows):",
            *(f"  {f:<28} {n:>10,}" for f, n in self.rows.items()),
            f"  {'customer rows, all systems':<28} {self.customer_rows:>10,}",
            "injected patterns:",
            *(f"  {k:<40} {v:>10,}" for k, v in self.patterns.items() if "." not in k),
        ]
        return "\n".join(lines)


def _inject_rejects(
    rng: np.random.Generator, exp: Export, counts: dict[str, int]
) -> tuple[pd.DataFrame, np.ndarray, list[tuple[str, str, str, int, str, str]]]:
    """Insert bad rows into an export; return the frame, entity per row (-1 = reject), rejects."""
    df = exp.frame
    n = len(df)
    per_kind = max(1, n // 2500)
    prefix, first, width = _ID_FORMAT[exp.file]
    next_id = first + n
    null = None if exp.file.endswith(".parquet") else ""
    ids = df[exp.id_column].to_numpy()
    new_rows, keys, meta = [], [], []
    for kind, column, bad in _REJECTS[exp.file]:
        for _ in range(per_kind):
            row = df.iloc[int(rng.integers(0, n))].copy()
            row[exp.id_column] = f"{prefix}{next_id:0{width}d}"
            next_id += 1
            key = float(rng.uniform(0, n))
            if kind == "duplicate_id":
                # an export glitch: the same row written twice, further down the file
                orig = int(rng.integers(0, n))
                row = df.iloc[orig].copy()
                row[exp.id_column] = ids[orig]
                key = float(rng.uniform(orig + 0.5, n))
            elif bad is None:
                row[column] = null
            else:
                row[column] = bad[int(rng.integers(0, len(bad)))]
            new_rows.append(row)
            keys.append(key)
            meta.append((kind, column))
            counts[f"rejects.{kind}"] = counts.get(f"rejects.{kind}", 0) + 1
    all_keys = np.concatenate([np.arange(n, dtype=float), np.array(keys)])
    order = np.argsort(all_keys, kind="stable")
    out = (
        pd.concat([df, pd.DataFrame(new_rows)], ignore_index=True)
        .iloc[order]
        .reset_index(drop=True)
    )
    entity = np.concatenate([exp.entity, np.full(len(keys), -1)])[order]
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    rejects = [
        (exp.system, exp.object, exp.file, int(position[n + i]) + 1, column, kind)
        for i, (kind, column) in enumerate(meta)
    ]
    rejects.sort(key=lambda r: r[3])
    return out, entity, rejects


def _write(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        cols = {c: [v if isinstance(v, str) else None for v in df[c].tolist()] for c in df.columns}
        table = pa.table({c: pa.array(v, type=pa.string()) for c, v in cols.items()})
        pq.write_table(table, path, compression="zstd", row_group_size=256_000)
    else:
        df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _entity_ids(prefix: str, width: int, idx: np.ndarray) -> np.ndarray:
    return cat(prefix, num(idx + 1, width))


def _hard_negatives(ents: Entities, series: np.ndarray) -> pd.DataFrame:
    parts = []
    members = np.flatnonzero(ents.household_of >= 0)
    heads = ents.household_of[members]
    group = _entity_ids("H", 6, heads)
    parts.append(
        pd.DataFrame(
            {
                "kind": "household",
                "group_id": np.concatenate([group, group]),
                "entity_id": _entity_ids("C", 6, np.concatenate([heads, members])),
            }
        )
    )
    for kind, prefix, codes in (
        ("common_name", "N", ents.common_group),
        ("franchise", "F", ents.franchise_group),
    ):
        idx = np.flatnonzero(codes >= 0)
        parts.append(
            pd.DataFrame(
                {
                    "kind": kind,
                    "group_id": _entity_ids(prefix, 5, codes[idx]),
                    "entity_id": _entity_ids("C", 6, idx),
                }
            )
        )
    idx = np.flatnonzero(series >= 0)
    parts.append(
        pd.DataFrame(
            {
                "kind": "recurring_invoice",
                "group_id": _entity_ids("R", 5, series[idx]),
                "entity_id": _entity_ids("I", 7, idx),
            }
        )
    )
    return pd.concat(parts, ignore_index=True).sort_values(
        ["kind", "group_id", "entity_id"], kind="stable"
    )


def generate_demo_world(
    out_dir: Path,
    *,
    customers: int = 2000,
    seed: int = 7,
    progress: Callable[[str], object] | None = None,
) -> DemoSummary:
    """Write the demo exports and their truth under ``out_dir``; deterministic for a seed.

    ``customers`` is the number of true customer entities; the four systems hold
    about 2.4 customer rows per entity between them (2000 -> ~4,800 rows;
    415,000 -> ~1M rows) and about 1.3 billing invoices per entity.
    ``progress``, if given, is called with a short message as each step starts.
    """
    if customers < 50:
        raise ValueError(f"customers must be at least 50 to hold every pattern, got {customers}")
    t0 = time.perf_counter()
    say = progress or (lambda _msg: None)
    out = Path(out_dir)
    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}

    say("customers")
    ents = make_entities(rng, customers, counts)
    in_billing = rng.random(customers) < 0.6
    in_dispatch = rng.random(customers) < np.where(in_billing, 0.6, 0.25)
    in_crm = rng.random(customers) < np.where(in_billing, 0.96, 0.8)
    in_crm |= ~(in_billing | in_dispatch | in_crm)  # every entity is somewhere

    say("crm, dispatch, billing customers")
    crm = systems.crm(rng, ents, np.flatnonzero(in_crm), in_billing, counts)
    dispatch = systems.dispatch(rng, ents, np.flatnonzero(in_dispatch), counts)
    billing = systems.billing(rng, ents, np.flatnonzero(in_billing), counts)
    say("invoices")
    iw = inv_mod.build(rng, ents, billing, counts)
    say("ledger customers")
    ledger = systems.ledger(rng, ents, iw.ledger_customer_entities, counts)

    orphans = list(iw.orphans)
    b_ids = billing.frame["ACCT_NO"].to_numpy()
    for i in np.flatnonzero(~in_crm[billing.entity]):
        orphans.append(("customer", "billing", b_ids[i], "billing_customer_in_crm"))
    for *_, expectation in orphans:
        key = f"orphans.{expectation}"
        counts[key] = counts.get(key, 0) + 1
    counts["billing_customer_not_in_crm"] = counts.get("orphans.billing_customer_in_crm", 0)

    say("writing files")
    summary = DemoSummary(out_dir=str(out), customers=customers, seed=seed)
    truth: dict[str, list[pd.DataFrame]] = {"customer": [], "invoice": []}
    rejects: list[tuple[str, str, str, int, str, str]] = []
    for exp in (crm, dispatch, billing, ledger, iw.billing, iw.ledger):
        df, entity, bad = _inject_rejects(rng, exp, counts)
        _write(df, out / exp.file)
        summary.rows[exp.file] = len(df)
        rejects.extend(bad)
        ok = entity >= 0
        prefix, width = ("C", 6) if exp.object == "customer" else ("I", 7)
        truth[exp.object].append(
            pd.DataFrame(
                {
                    "system": exp.system,
                    "source_id": df[exp.id_column].to_numpy()[ok],
                    "entity_id": _entity_ids(prefix, width, entity[ok]),
                }
            )
        )

    say("writing truth")
    tdir = out / "truth"
    tdir.mkdir(parents=True, exist_ok=True)
    pd.concat(truth["customer"]).to_csv(tdir / "customers.csv", index=False, lineterminator="\n")
    pd.concat(truth["invoice"]).to_csv(tdir / "invoices.csv", index=False, lineterminator="\n")
    pd.DataFrame(orphans, columns=["object", "system", "source_id", "expectation"]).to_csv(
        tdir / "orphans.csv", index=False, lineterminator="\n"
    )
    pd.DataFrame(
        rejects, columns=["system", "object", "file", "row", "column", "reason_kind"]
    ).to_csv(tdir / "rejects.csv", index=False, lineterminator="\n")
    _hard_negatives(ents, iw.series).to_csv(
        tdir / "hard_negatives.csv", index=False, lineterminator="\n"
    )
    summary.patterns = {k: int(counts[k]) for k in sorted(counts)}
    (tdir / "patterns.json").write_text(
        json.dumps(summary.patterns, indent=2) + "\n", encoding="utf-8"
    )
    summary.elapsed_seconds = time.perf_counter() - t0
    return summary
