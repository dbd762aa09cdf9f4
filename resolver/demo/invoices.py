"""Invoices: issued in billing, posted (mostly) to the ledger.

Billing issues every invoice; the ledger receives a copy of each open, paid or
overdue one, except the few the integration dropped. Ledger customers are
created by that posting, so they are the billing customers with a posted
invoice, in order of their first posting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from resolver.demo import entities as E
from resolver.demo._util import EXPORT_DAY, cat, dates, money, num, pick, where
from resolver.demo.systems import Export, frame

TAX_RATE = {"IL": 0.0625, "IN": 0.07, "MO": 0.04225, "WI": 0.05, "IA": 0.06}
MENU_CENTS = np.array([8900, 9500, 12900, 14900, 18900, 24900])  # flat-rate service calls
PLAN_CENTS = np.array([1999, 2900, 3495, 3900, 4900, 5900])  # monthly maintenance plans
STATUS = np.array(["D", "O", "P", "V", "L"], dtype=object)  # draft open paid void late
LEDGER_STATUS = {"O": "Open", "P": "Paid", "L": "Overdue"}


@dataclass
class InvoiceWorld:
    billing: Export  # entity = invoice entity index
    ledger: Export
    ledger_customer_entities: np.ndarray  # customer entity per ledger customer, in id order
    series: np.ndarray  # per invoice entity: its maintenance-plan series, else -1
    orphans: list[tuple[str, str, str, str]]  # object, system, source_id, expectation


def _status(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """Invoice status codes by age in days: recent ones open or draft, old ones paid."""
    r = rng.random(len(age))
    old = np.select([r < 0.93, r < 0.96], [2, 3], 4)
    mid = np.select([r < 0.55, r < 0.90, r < 0.95], [2, 1, 4], 3)
    new = np.select([r < 0.70, r < 0.90, r < 0.98], [1, 0, 2], 3)
    return np.where(age > 60, old, np.where(age > 15, mid, new))


def make_invoices(
    rng: np.random.Generator,
    ents: E.Entities,
    bill_customers: Export,
    counts: dict[str, int],
) -> tuple[pd.DataFrame, np.ndarray]:
    """Every invoice billing issued, one row per invoice (no sync duplicates yet), in
    creation order, with integer-coded fields."""
    bill_ents = np.unique(bill_customers.entity)
    n_inv = rng.poisson(1.3, len(bill_ents))
    ent = np.repeat(bill_ents, n_inv)
    lo = np.maximum(ents.since[ent], EXPORT_DAY - 730)
    day = lo + (rng.random(len(ent)) * (EXPORT_DAY - lo)).astype(np.int64)
    sub = np.where(
        rng.random(len(ent)) < 0.25,
        MENU_CENTS[rng.integers(0, len(MENU_CENTS), len(ent))],
        np.clip(np.exp(rng.normal(np.log(300.0), 0.9, len(ent))) * 100, 4900, 2_500_000).astype(
            np.int64
        ),
    )
    rate = np.array([TAX_RATE[s] for s in E.STATE[ents.city[ent]]]) if len(ent) else np.zeros(0)
    tax = np.where(rng.random(len(ent)) < 0.45, np.round(sub * rate), 0).astype(np.int64)
    series = np.full(len(ent), -1)

    # Maintenance plans: the same amount every month — distinct invoices, not duplicates.
    plans = pick(rng, bill_ents, 0.03)
    months = rng.integers(6, 13, len(plans))
    p_ent = np.repeat(plans, months)
    p_series = np.repeat(np.arange(len(plans)), months)
    k = (
        np.concatenate([np.arange(m) for m in months])
        if len(plans)
        else np.zeros(0, dtype=np.int64)
    )
    start = (
        EXPORT_DAY - np.round(months * 30.44).astype(np.int64) - rng.integers(0, 240, len(plans))
    )
    start = np.maximum(start, ents.since[plans] if len(plans) else start)
    p_day = np.repeat(start, months) + np.round(k * 30.44).astype(np.int64)
    p_sub = np.repeat(PLAN_CENTS[rng.integers(0, len(PLAN_CENTS), len(plans))], months)
    keep = p_day < EXPORT_DAY
    counts["recurring_invoice_series"] = len(plans)
    counts["recurring_invoices"] = int(keep.sum())

    inv = pd.DataFrame(
        {
            "ent": np.concatenate([ent, p_ent[keep]]),
            "day": np.concatenate([day, p_day[keep]]),
            "sub": np.concatenate([sub, p_sub[keep]]),
            "tax": np.concatenate([tax, np.zeros(int(keep.sum()), dtype=np.int64)]),
            "series": np.concatenate([series, p_series[keep]]),
        }
    )
    order = np.lexsort((rng.random(len(inv)), inv["day"].to_numpy()))
    inv = inv.iloc[order].reset_index(drop=True)
    n = len(inv)
    inv["status"] = _status(rng, EXPORT_DAY - inv["day"].to_numpy())
    inv["due"] = inv["day"].to_numpy() + np.where(
        inv["series"].to_numpy() >= 0, 0, rng.choice([30, 30, 30, 15, 0], n)
    )
    # Billing that left tax to the ledger: billing shows the pre-tax amount, the ledger the total.
    taxed = np.flatnonzero(inv["tax"].to_numpy() > 0)
    inv["tax_in_ledger_only"] = False
    inv.loc[pick(rng, taxed, 0.05), "tax_in_ledger_only"] = True
    counts["invoice_tax_added_in_ledger"] = int(inv["tax_in_ledger_only"].sum())
    return inv, bill_ents


def build(
    rng: np.random.Generator,
    ents: E.Entities,
    bill_customers: Export,
    counts: dict[str, int],
) -> InvoiceWorld:
    inv, _ = make_invoices(rng, ents, bill_customers, counts)
    n = len(inv)
    inv_ent = inv["ent"].to_numpy()
    day, status = inv["day"].to_numpy(), inv["status"].to_numpy()
    number = np.arange(1001, 1001 + n)

    # The customer a billing invoice points at: the entity's first account, sometimes its duplicate.
    accts = bill_customers.frame["ACCT_NO"].to_numpy()
    b_ent = pd.Series(bill_customers.entity)
    first_row = b_ent.drop_duplicates(keep="first")
    last_row = b_ent.drop_duplicates(keep="last")
    primary = np.empty(ents.n, dtype=object)
    secondary = np.empty(ents.n, dtype=object)
    primary[first_row.to_numpy()] = accts[first_row.index.to_numpy()]
    secondary[last_row.to_numpy()] = accts[last_row.index.to_numpy()]
    ref = where(rng.random(n) < 0.2, secondary[inv_ent], primary[inv_ent])
    n_bill = len(accts)
    dangling = pick(rng, np.arange(n), 0.005)
    ref[dangling] = cat("B", num(n_bill + max(1000, n_bill // 10) + np.arange(len(dangling)), 6))
    counts["invoice_unknown_customer.billing"] = len(dangling)

    # The sync that ran twice: most invoices of a ten-day window issued again under new ids.
    w0 = int(rng.integers(EXPORT_DAY - 365, EXPORT_DAY - 30))
    window = np.flatnonzero((day >= w0) & (day < w0 + 10))
    dups = pick(rng, window, 0.4) if len(window) else pick(rng, np.arange(n), 0.001)
    counts["invoice_sync_duplicates"] = len(dups)
    rows = np.concatenate([np.arange(n), dups])
    created = np.concatenate([day.astype(float), day[dups] + 0.5])
    rows = rows[np.argsort(created, kind="stable")]

    tax = inv["tax"].to_numpy()
    sub = inv["sub"].to_numpy()
    ledger_only = inv["tax_in_ledger_only"].to_numpy()
    b_amount = np.where(ledger_only, sub, sub + tax)
    job = where(inv["series"].to_numpy() >= 0, "", cat("J-", num(200_000 + np.arange(n), 6)))
    b_frame = frame(
        {
            "INVOICE_ID": num(70_001 + np.arange(len(rows))),
            "INV_NO": cat("INV-", num(number[rows], 6)),
            "ACCT_NO": ref[rows],
            "INV_DATE": dates(day[rows], "%m/%d/%Y"),
            "DUE_DATE": dates(inv["due"].to_numpy()[rows], "%m/%d/%Y"),
            "AMOUNT": money(b_amount[rows], symbol="$", thousands=","),
            "TAX": where(ledger_only[rows], "", money(tax[rows], symbol="$", thousands=",")),
            "STATUS": STATUS[status[rows]],
            "BRANCH": E.BRANCH[ents.city[inv_ent[rows]]],
            "JOB_NO": job[rows],
        }
    )
    billing = Export("billing", "invoice", "billing/invoices.csv", "INVOICE_ID", b_frame, rows)

    # Posting to the ledger: open, paid and overdue invoices, less the ones the sync dropped.
    postable = np.flatnonzero(np.isin(status, [1, 2, 4]))
    missing = pick(rng, postable, 0.025)
    counts["invoice_missing_in_ledger"] = len(missing)
    posted = np.setdiff1d(postable, missing)
    lag = np.where(rng.random(len(posted)) < 0.8, 0, rng.integers(1, 4, len(posted)))
    posted = posted[np.lexsort((posted, day[posted] + lag))]
    total = sub[posted] + tax[posted]
    rounded = pick(rng, np.arange(len(posted)), 0.02)
    cents = total[rounded] % 100
    total[rounded] = np.where(
        cents == 0, total[rounded] + 1, np.round(total[rounded] / 100).astype(np.int64) * 100
    )
    counts["invoice_amount_rounded_in_ledger"] = len(rounded)

    l_ent_rows = pd.Series(inv_ent[posted]).drop_duplicates(keep="first")
    ledger_cust_ents = l_ent_rows.to_numpy()
    cust_no = np.empty(ents.n, dtype=np.int64)
    cust_no[ledger_cust_ents] = np.arange(1, len(ledger_cust_ents) + 1)
    l_ref = cat("CUS-", num(cust_no[inv_ent[posted]], 6))
    l_dangling = pick(rng, np.arange(len(posted)), 0.004)
    base = len(ledger_cust_ents) + max(1000, len(ledger_cust_ents) // 10)
    l_ref[l_dangling] = cat("CUS-", num(base + np.arange(len(l_dangling)), 6))
    counts["invoice_unknown_customer.ledger"] = len(l_dangling)
    counts["invoice_unknown_customer"] = len(dangling) + len(l_dangling)
    padded5 = rng.random(len(posted)) < 0.5
    l_number = where(padded5, num(number[posted], 5), num(number[posted]))
    l_frame = frame(
        {
            "txn_id": num(500_001 + np.arange(len(posted))),
            "invoice_no": l_number,
            "customer_id": l_ref,
            "txn_date": dates(day[posted], "%d-%b-%y"),
            "due_date": dates(inv["due"].to_numpy()[posted], "%d-%b-%y"),
            "total": money(total),
            "tax": money(tax[posted]),
            "currency": np.full(len(posted), "USD", dtype=object),
            "status": np.array([LEDGER_STATUS[s] for s in STATUS[status[posted]]], dtype=object),
            "class": E.BRANCH[ents.city[inv_ent[posted]]],
        },
        null=True,
    )
    ledger = Export("ledger", "invoice", "ledger/invoices.parquet", "txn_id", l_frame, posted)

    orphans: list[tuple[str, str, str, str]] = []
    in_ledger = np.zeros(n, dtype=bool)
    in_ledger[posted] = True
    b_ids = b_frame["INVOICE_ID"].to_numpy()
    b_status = status[rows]
    for i in np.flatnonzero(~in_ledger[rows] & np.isin(b_status, [1, 2, 4])):
        orphans.append(("invoice", "billing", b_ids[i], "invoice_in_ledger"))
    dangling_set = np.zeros(n, dtype=bool)
    dangling_set[dangling] = True
    for i in np.flatnonzero(dangling_set[rows]):
        orphans.append(("invoice", "billing", b_ids[i], "invoice_customer_exists"))
    l_ids = l_frame["txn_id"].to_numpy()
    for i in np.sort(l_dangling):
        orphans.append(("invoice", "ledger", l_ids[i], "invoice_customer_exists"))
    return InvoiceWorld(billing, ledger, ledger_cust_ents, inv["series"].to_numpy(), orphans)
