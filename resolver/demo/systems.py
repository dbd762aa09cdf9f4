"""The four systems' customer exports, each in its own columns and formats.

Each system holds a subset of the true customers (with some duplicates of its
own), and each row drifts from the truth the way hand-keyed and synced data
does: nicknames, typos, a moved address, a second phone, a changed or missing
email or phone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from resolver.demo import entities as E
from resolver.demo._util import (
    EXPORT_DAY,
    cat,
    dates,
    iso_timestamps,
    num,
    padded,
    pick,
    typo,
    upper,
    where,
)

# Per-system drift rates: share of rows that get each kind of drift.
# fmt: off
DRIFT: dict[str, dict[str, float]] = {
    "crm": {"nickname": 0.03, "typo_first": 0.01, "typo_last": 0.01, "moved_address": 0.0,
            "second_phone": 0.02, "email_changed": 0.0, "email_missing": 0.08, "phone_missing": 0.04},
    "dispatch": {"nickname": 0.12, "typo_first": 0.03, "typo_last": 0.03, "moved_address": 0.05,
                 "second_phone": 0.08, "email_changed": 0.03, "email_missing": 0.35, "phone_missing": 0.02},
    "billing": {"nickname": 0.06, "typo_first": 0.02, "typo_last": 0.02, "moved_address": 0.04,
                "second_phone": 0.04, "email_changed": 0.04, "email_missing": 0.15, "phone_missing": 0.06},
    "ledger": {"nickname": 0.08, "typo_first": 0.02, "typo_last": 0.02, "moved_address": 0.05,
               "second_phone": 0.03, "email_changed": 0.03, "email_missing": 0.30, "phone_missing": 0.15},
}
# fmt: on


@dataclass
class Export:
    """One source file before reject rows are injected."""

    system: str
    object: str
    file: str
    id_column: str
    frame: pd.DataFrame  # every column text; None = missing
    entity: np.ndarray  # truth entity index per row


def rows_for(ents: E.Entities, ent: np.ndarray) -> dict[str, np.ndarray]:
    rows = ents.take(ent)
    rows["ent"] = ent.copy()
    rows["phone_city"] = rows["city"].copy()
    rows["first_s"] = E.FIRST[rows["first"]]
    rows["last_s"] = E.LAST[rows["last"]]
    rows["has_phone"] = np.ones(len(ent), dtype=bool)
    return rows


def drift(
    rng: np.random.Generator, rows: dict[str, np.ndarray], system: str, counts: dict[str, int]
) -> None:
    """Apply the system's drift rates to its rows in place, counting each kind."""
    rates = DRIFT[system]
    n = len(rows["ent"])
    all_rows = np.arange(n)

    def note(kind: str, idx: np.ndarray) -> np.ndarray:
        counts[kind] = counts.get(kind, 0) + len(idx)
        counts[f"{kind}.{system}"] = len(idx)
        return idx

    if rates["nickname"]:
        eligible = np.flatnonzero(E.HAS_NICKNAME[rows["first"]])
        idx = note("nickname", pick(rng, eligible, rates["nickname"]))
        r = rng.integers(0, 1 << 30, len(idx)).tolist()
        rows["first_s"][idx] = [
            E.NICKNAMES[f][k % len(E.NICKNAMES[f])]
            for f, k in zip(rows["first"][idx].tolist(), r, strict=True)
        ]
    for part, key in (("first_s", "typo_first"), ("last_s", "typo_last")):
        idx = note(key, pick(rng, all_rows, rates[key]))
        r1 = rng.integers(0, 1 << 30, len(idx)).tolist()
        r2 = rng.integers(0, 1 << 30, len(idx)).tolist()
        rows[part][idx] = [
            typo(w, a, b) for w, a, b in zip(rows[part][idx].tolist(), r1, r2, strict=True)
        ]
    if rates["moved_address"]:
        idx = note("moved_address", pick(rng, all_rows, rates["moved_address"]))
        new = E.street_address(rng, len(idx), rows["is_biz"][idx])
        for key, values in new.items():
            rows[key][idx] = values
        moved_city = idx[rng.random(len(idx)) < 0.25]
        rows["city"][moved_city] = rng.integers(0, len(E.CITY), len(moved_city))
    idx = note("second_phone", pick(rng, all_rows, rates["second_phone"]))
    rows["exch"][idx], rows["line"][idx] = E.phone_numbers(rng, len(idx))
    if rates["email_changed"]:
        idx = note("email_changed", pick(rng, all_rows, rates["email_changed"]))
        local = np.array([e.partition("@")[0] for e in rows["email"][idx]], dtype=object)
        dom = E.DOMAIN[rng.integers(0, len(E.DOMAIN), len(idx))]
        rows["email"][idx] = cat(
            local, rng.integers(1, 1000, len(idx)).astype(str).astype(object), "@", dom
        )
    idx = note("email_missing", pick(rng, all_rows, rates["email_missing"]))
    rows["email"][idx] = ""
    idx = note("phone_missing", pick(rng, all_rows, rates["phone_missing"]))
    rows["has_phone"][idx] = False


# --- formatting ---------------------------------------------------------------


def street_line(rows: dict[str, np.ndarray], long_form: np.ndarray | None = None) -> np.ndarray:
    """ "123 N Main St" (or "123 North Main Street" where long_form)."""
    d, s = E.DIRECTION[rows["street_dir"]], E.SUFFIX[rows["suffix"]]
    if long_form is not None:
        d = where(long_form, E.DIRECTION_LONG[rows["street_dir"]], d)
        s = where(long_form, E.SUFFIX_LONG[rows["suffix"]], s)
    d = where(rows["street_dir"] > 0, cat(" ", d), "")
    return cat(num(rows["street_no"]), d, " ", E.STREET[rows["street"]], " ", s)


def unit_text(rows: dict[str, np.ndarray]) -> np.ndarray:
    """ "Apt 4B", "#12", "Ste 210" or ""."""
    k = rows["unit_kind"]
    sep = where(k == 3, "", " ")
    text = cat(E.UNIT_KIND[k], sep, num(rows["unit_no"]), E.UNIT_LETTER[rows["unit_letter"]])
    return where(k > 0, text, "")


def zip_code(rows: dict[str, np.ndarray], plus4: np.ndarray | None = None) -> np.ndarray:
    z = cat(E.ZIP3[rows["city"]], padded(2)[rows["zip2"]])
    if plus4 is not None:
        z = where(plus4, cat(z, "-", padded(4)[rows["zip4"]]), z)
    return z


def phone_parts(rows: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return E.AREA[rows["phone_city"]], num(rows["exch"]), padded(4)[rows["line"]]


def blank(values: np.ndarray, missing: np.ndarray, empty: object = "") -> np.ndarray:
    out = values.copy()
    out[missing] = empty
    return out


def frame(columns: dict[str, np.ndarray], *, null: bool = False) -> pd.DataFrame:
    """A DataFrame of text columns; "" becomes None when ``null`` (for Parquet)."""
    data = {}
    for name, values in columns.items():
        values = np.asarray(values, dtype=object)
        if null:
            values = np.where(values == "", None, values)
        data[name] = values
    return pd.DataFrame(data, dtype=object)


def ordered_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random order of n rows: exports list records in id order, ids in creation order."""
    return rng.permutation(n)


# --- the four systems -------------------------------------------------------------


def crm(rng, ents, ent, in_billing, counts) -> Export:
    ent = ent[ordered_ids(rng, len(ent))]
    rows = rows_for(ents, ent)
    drift(rng, rows, "crm", counts)
    n = len(ent)
    bill = in_billing[ent]
    r = rng.random(n)
    status = np.where(
        bill,
        np.where(r < 0.88, "Active", "Inactive"),
        np.where(r < 0.55, "Prospect", np.where(r < 0.8, "Active", "Inactive")),
    )
    area, exch, line = phone_parts(rows)
    day = np.minimum(EXPORT_DAY - 1, rows["since"] + rng.integers(0, 900, n))
    cols = {
        "ContactID": cat("CT", num(np.arange(1, n + 1), 7)),
        "First Name": rows["first_s"],
        "Last Name": rows["last_s"],
        "Company": rows["company"],
        "Email": rows["email"],
        "Phone": blank(cat("(", area, ") ", exch, "-", line), ~rows["has_phone"]),
        "Street": street_line(rows, rng.random(n) < 0.12),
        "Unit": unit_text(rows),
        "City": E.CITY[rows["city"]],
        "State": E.STATE[rows["city"]],
        "Zip": zip_code(rows, rng.random(n) < 0.2),
        "Status": status.astype(object),
        "Branch": E.BRANCH[rows["city"]],
        "LastModified": iso_timestamps(day, rng.integers(0, 86400, n)),
    }
    df = frame(cols)
    # A sync that ran amok one night: hundreds of copies with new ids, all created on one day.
    burst = pick(rng, np.arange(n), 0.05)
    burst = burst[rng.permutation(len(burst))]
    dup = df.iloc[burst].copy()
    dup["ContactID"] = cat("CT", num(np.arange(n + 1, n + len(burst) + 1), 7))
    burst_day = np.full(len(burst), (pd.Timestamp("2024-03-14") - pd.Timestamp("2019-01-01")).days)
    dup["LastModified"] = iso_timestamps(burst_day, np.sort(rng.integers(7200, 9600, len(burst))))
    counts["crm_sync_burst_duplicates"] = len(burst)
    df = pd.concat([df, dup], ignore_index=True)
    return Export(
        "crm", "customer", "crm/contacts.csv", "ContactID", df, np.concatenate([ent, ent[burst]])
    )


def with_duplicates(rng, ent: np.ndarray, rate: float) -> tuple[np.ndarray, int]:
    """The system's rows: one per entity plus re-keyed duplicates of some, in creation order."""
    dups = pick(rng, ent, rate)
    all_ = np.concatenate([ent, dups])
    return all_[ordered_ids(rng, len(all_))], len(dups)


def dispatch(rng, ents, ent, counts) -> Export:
    ent, counts["dispatch_duplicates"] = with_duplicates(rng, ent, 0.025)
    rows = rows_for(ents, ent)
    drift(rng, rows, "dispatch", counts)
    n = len(ent)
    area, exch, line = phone_parts(rows)
    ext = where(
        rng.random(n) < 0.08, cat(" x", rng.integers(10, 400, n).astype(str).astype(object)), ""
    )
    ext = where(rows["is_biz"], ext, "")
    unit = unit_text(rows)
    address = cat(
        street_line(rows),
        where(unit != "", cat(" ", unit), ""),
        ", ",
        E.CITY[rows["city"]],
        ", ",
        E.STATE[rows["city"]],
        " ",
        zip_code(rows),
    )
    day = np.minimum(EXPORT_DAY - 1, rows["since"] + rng.integers(0, 700, n))
    cols = {
        "CustomerNo": num(np.arange(10001, 10001 + n)),
        "Customer Name": cat(rows["last_s"], ", ", rows["first_s"]),
        "Company": rows["company"],
        "Service Address": address,
        "Phone": blank(cat(area, ".", exch, ".", line, ext), ~rows["has_phone"]),
        "Email": rows["email"],
        "Branch": E.BRANCH[rows["city"]],
        "Active": np.where(rng.random(n) < 0.9, "Y", "N").astype(object),
        "Last Service": dates(day, "%m/%d/%Y"),
    }
    return Export("dispatch", "customer", "dispatch/customers.csv", "CustomerNo", frame(cols), ent)


def billing(rng, ents, ent, counts) -> Export:
    ent, counts["billing_duplicates"] = with_duplicates(rng, ent, 0.015)
    rows = rows_for(ents, ent)
    drift(rng, rows, "billing", counts)
    n = len(ent)
    area, exch, line = phone_parts(rows)
    day = np.minimum(EXPORT_DAY - 1, rows["since"] + rng.integers(0, 900, n))
    cols = {
        "ACCT_NO": cat("B", num(np.arange(1, n + 1), 6)),
        "CUST_NAME": upper(cat(rows["first_s"], " ", rows["last_s"])),
        "COMPANY": upper(rows["company"]),
        "ADDR1": upper(street_line(rows)),
        "ADDR2": upper(unit_text(rows)),
        "CITY": upper(E.CITY[rows["city"]]),
        "ST": E.STATE[rows["city"]],
        "ZIP": zip_code(rows, rng.random(n) < 0.1),
        "PHONE": blank(cat(area, exch, line), ~rows["has_phone"]),
        "EMAIL": upper(rows["email"]),
        "STATUS": np.where(rng.random(n) < 0.9, "A", "I").astype(object),
        "BRANCH": E.BRANCH[rows["city"]],
        "LAST_UPDATED": dates(day, "%m/%d/%Y"),
    }
    return Export("billing", "customer", "billing/customers.csv", "ACCT_NO", frame(cols), ent)


def ledger(rng, ents, ent, counts) -> Export:
    """Ledger customers, in the order their first invoice was posted (``ent`` is ordered)."""
    rows = rows_for(ents, ent)
    drift(rng, rows, "ledger", counts)
    n = len(ent)
    area, exch, line = phone_parts(rows)
    unit = unit_text(rows)
    address = cat(
        street_line(rows),
        where(unit != "", cat(", ", unit), ""),
        ", ",
        E.CITY[rows["city"]],
        " ",
        E.STATE[rows["city"]],
        " ",
        zip_code(rows),
    )
    day = np.minimum(EXPORT_DAY - 1, rows["since"] + rng.integers(0, 900, n))
    cols = {
        "customer_id": cat("CUS-", num(np.arange(1, n + 1), 6)),
        "customer_name": where(
            rows["is_biz"], rows["company"], cat(rows["first_s"], " ", rows["last_s"])
        ),
        "billing_address": address,
        "phone": blank(cat("+1 ", area, "-", exch, "-", line), ~rows["has_phone"]),
        "email": rows["email"],
        "status": np.where(rng.random(n) < 0.95, "Active", "Inactive").astype(object),
        "last_modified": dates(day, "%d-%b-%y"),
    }
    return Export(
        "ledger", "customer", "ledger/customers.parquet", "customer_id", frame(cols, null=True), ent
    )
