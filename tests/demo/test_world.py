"""The demo world's exports agree with its truth, and every injected pattern is real."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from resolver.demo import vocab
from resolver.ingest.canonical import FIELDS, STATUSES
from resolver.normalize.email import normalize_email

if TYPE_CHECKING:
    from tests.demo.conftest import World

_AMOUNT = re.compile(r"^-?\$?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")  # 1,234.50 / $1,234.50 / 1234.5


def parses_as_date(value: str, fmt: str) -> bool:
    try:
        if fmt == "iso":
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:
            dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def test_contracts_describe_the_files(world: World) -> None:
    assert len(world.sources) == 6
    for src in world.sources.values():
        c = src.contract
        fields = FIELDS[c["object"]]
        assert set(c["fields"]) <= set(fields), c["file"]
        columns = set(src.frame.columns)
        assert {c["id"], *c["fields"].values()} <= columns, c["file"]
        for field, mapping in c["enums"].items():
            assert set(mapping.values()) <= set(STATUSES[c["object"]])
            values = set(src.ok[src.col(field)]) - {""}
            assert values <= set(mapping), (c["file"], values - set(mapping))


def test_accepted_rows_are_valid_under_their_contract(world: World) -> None:
    for src in world.sources.values():
        c, ok = src.contract, src.ok
        assert (ok[c["id"]] != "").all(), c["file"]
        assert ok[c["id"]].is_unique, c["file"]
        for field in c["required"]:
            assert (ok[src.col(field)] != "").all(), (c["file"], field)
        fmt = c["parse"]["date_format"]
        for field, kind in FIELDS[c["object"]].items():
            if field not in c["fields"]:
                continue
            values = ok[src.col(field)]
            values = values[values != ""]
            if kind == "date":
                assert all(parses_as_date(v, fmt) for v in values), (c["file"], field)
            if kind == "amount":
                assert all(_AMOUNT.match(v) for v in values), (c["file"], field)


def test_rejected_rows_really_are_bad(world: World) -> None:
    rejects = world.truth("rejects.csv")
    assert set(rejects["reason_kind"]) == {
        "missing_required",
        "duplicate_id",
        "bad_date",
        "bad_amount",
        "bad_enum",
    }
    by_file = {src.contract["file"]: src for src in world.sources.values()}
    for r in rejects.itertuples():
        src = by_file[r.file]
        assert (r.system, r.object) == src.key
        row = int(r.row)
        value = src.frame.iloc[row - 1][r.column]
        if r.reason_kind == "missing_required":
            assert value == ""
            assert r.column == src.contract["id"] or r.column in src.contract["fields"].values()
        elif r.reason_kind == "duplicate_id":
            assert r.column == src.contract["id"]
            assert value in set(src.frame[r.column].iloc[: row - 1])
        elif r.reason_kind == "bad_date":
            assert not parses_as_date(value, src.contract["parse"]["date_format"])
        elif r.reason_kind == "bad_amount":
            assert not _AMOUNT.match(value)
        elif r.reason_kind == "bad_enum":
            assert value not in src.contract["enums"]["status"]


@pytest.mark.parametrize(
    "name,object_", [("customers.csv", "customer"), ("invoices.csv", "invoice")]
)
def test_truth_and_exports_agree_both_ways(world: World, name: str, object_: str) -> None:
    truth = world.truth(name)
    assert list(truth.columns) == ["system", "source_id", "entity_id"]
    systems = {system for system, obj in world.sources if obj == object_}
    assert set(truth["system"]) == systems
    for system in sorted(systems):
        src = world.sources[(system, object_)]
        # Every accepted export row is in the truth, in file order, and nothing else is.
        assert list(truth[truth["system"] == system]["source_id"]) == list(
            src.ok[src.contract["id"]]
        )
    prefix = "C" if object_ == "customer" else "I"
    assert truth["entity_id"].str.match(rf"^{prefix}\d+$").all()


def test_summary_matches_files(world: World) -> None:
    s = world.summary
    for src in world.sources.values():
        assert s.rows[src.contract["file"]] == len(src.frame)
    assert 2.0 * s.customers <= s.customer_rows <= 2.7 * s.customers
    assert json.loads((world.root / "truth" / "patterns.json").read_text()) == s.patterns
    assert "customer rows" in s.format()
    assert s.as_dict()["customer_rows"] == s.customer_rows


EXPECTED_PATTERNS = [
    "crm_sync_burst_duplicates",
    "dispatch_duplicates",
    "billing_duplicates",
    "nickname",
    "typo_first",
    "typo_last",
    "moved_address",
    "second_phone",
    "email_changed",
    "email_missing",
    "phone_missing",
    "household_members",
    "common_name_groups",
    "franchise_groups",
    "recurring_invoice_series",
    "recurring_invoices",
    "invoice_sync_duplicates",
    "invoice_tax_added_in_ledger",
    "invoice_amount_rounded_in_ledger",
    "invoice_missing_in_ledger",
    "invoice_unknown_customer",
    "billing_customer_not_in_crm",
    "orphans.invoice_in_ledger",
    "orphans.invoice_customer_exists",
    "orphans.billing_customer_in_crm",
    "rejects.missing_required",
    "rejects.duplicate_id",
    "rejects.bad_date",
    "rejects.bad_amount",
]


def test_every_pattern_is_present(world: World) -> None:
    patterns = world.summary.patterns
    missing = [p for p in EXPECTED_PATTERNS if patterns.get(p, 0) <= 0]
    assert not missing
    assert all(v > 0 for v in patterns.values())


def _customer_rows(world: World, system: str) -> pd.DataFrame:
    """A system's accepted customer rows with their truth entity."""
    src = world.sources[(system, "customer")]
    truth = world.truth("customers.csv")
    truth = truth[truth["system"] == system]
    rows = src.ok.reset_index(drop=True)
    assert list(rows[src.contract["id"]]) == list(truth["source_id"])
    return rows.assign(entity_id=truth["entity_id"].to_numpy())


def test_within_system_duplicates_share_an_entity(world: World) -> None:
    for system in ("crm", "dispatch", "billing"):
        rows = _customer_rows(world, system)
        assert rows["entity_id"].duplicated().any(), system
    crm = _customer_rows(world, "crm")
    burst = crm[crm["LastModified"].str.startswith("2024-03-14T0")]
    assert len(burst) >= world.summary.patterns["crm_sync_burst_duplicates"]
    assert burst["entity_id"].isin(crm.drop(burst.index)["entity_id"]).mean() > 0.9


_SHORT = {long: short for short, long in (*vocab.STREET_SUFFIXES, *vocab.DIRECTIONS) if long}


def _street(row: pd.Series) -> str:
    """ "190 West Fox Run Street" -> "190 W Fox Run St"."""
    return " ".join(_SHORT.get(w, w) for w in row["Street"].split())


def test_no_two_customers_share_a_mailbox(world: World) -> None:
    """Two different people cannot hold one mailbox: gmail ignores dots, so
    "john.smith@gmail.com" and "johnsmith@gmail.com" are one address (resolver's
    ``email_key``), and the world never gives them to two entities."""
    systems = [system for system, obj in world.sources if obj == "customer"]
    rows = pd.concat(
        _customer_rows(world, s)
        .rename(columns={world.sources[(s, "customer")].col("email"): "_email"})
        .loc[:, ["_email", "entity_id"]]
        for s in systems
    )
    rows["key"] = [normalize_email(e).email_key for e in rows["_email"]]
    rows = rows[rows["key"].notna()]
    owners = rows.groupby("key")["entity_id"].nunique()
    assert (owners == 1).all(), owners[owners > 1].head().to_dict()


def test_households_share_address_and_phone_not_entity(world: World) -> None:
    hn = world.truth("hard_negatives.csv")
    crm = _customer_rows(world, "crm").drop_duplicates("entity_id").set_index("entity_id")
    pairs = 0
    same_phone = 0
    for _, group in hn[hn["kind"] == "household"].groupby("group_id"):
        members = [e for e in group["entity_id"] if e in crm.index]
        assert len(set(group["entity_id"])) == 2
        if len(members) < 2:
            continue
        a, b = crm.loc[members[0]], crm.loc[members[1]]
        pairs += 1
        # The CRM never moves an address, so a household's always agrees.
        assert [_street(a), a["Unit"], a["City"], a["Zip"][:5]] == [
            _street(b),
            b["Unit"],
            b["City"],
            b["Zip"][:5],
        ]
        assert a["First Name"] != b["First Name"]
        same_phone += a["Phone"] == b["Phone"]
    assert pairs >= 10
    assert same_phone / pairs >= 0.8


def test_common_names_and_franchises_are_distinct_entities(world: World) -> None:
    hn = world.truth("hard_negatives.csv")
    crm = _customer_rows(world, "crm").drop_duplicates("entity_id").set_index("entity_id")
    clashes = 0
    for _, group in hn[hn["kind"] == "common_name"].groupby("group_id"):
        rows = crm.loc[[e for e in group["entity_id"] if e in crm.index]]
        key = rows[["First Name", "Last Name", "City"]].drop_duplicates()
        clashes += len(rows) >= 2 and len(key) < len(rows)
    assert clashes >= 1
    franchises = 0
    for _, group in hn[hn["kind"] == "franchise"].groupby("group_id"):
        rows = crm.loc[[e for e in group["entity_id"] if e in crm.index]]
        if len(rows) < 2:
            continue  # a franchise with one location in the CRM says nothing
        franchises += 1
        stems = rows["Company"].str.replace(r" - \w+$", "", regex=True)
        assert stems.nunique() == 1 and rows["Company"].is_unique
    assert franchises >= 1


def test_recurring_invoices_are_separate_entities(world: World) -> None:
    src = world.sources[("billing", "invoice")]
    truth = world.truth("invoices.csv")
    bill = src.ok.assign(entity_id=truth[truth["system"] == "billing"]["entity_id"].to_numpy())
    hn = world.truth("hard_negatives.csv")
    series = hn[hn["kind"] == "recurring_invoice"]
    rows = bill.merge(series, on="entity_id")
    per = rows.groupby("group_id").agg(
        n=("entity_id", "nunique"), refs=("ACCT_NO", "nunique"), amounts=("AMOUNT", "nunique")
    )
    assert (per["n"] >= 2).any()
    assert (per.loc[per["n"] >= 2, "amounts"] == 1).all()


def test_invoice_copies_and_duplicates(world: World) -> None:
    truth = world.truth("invoices.csv")
    b = world.sources[("billing", "invoice")].ok
    led = world.sources[("ledger", "invoice")].ok
    b = b.assign(entity_id=truth[truth["system"] == "billing"]["entity_id"].to_numpy())
    led = led.assign(entity_id=truth[truth["system"] == "ledger"]["entity_id"].to_numpy())
    # A sync duplicate repeats its original's invoice number under a new id.
    dup = b[b["entity_id"].duplicated(keep=False)]
    assert len(dup) and (dup.groupby("entity_id")["INV_NO"].nunique() == 1).all()
    # A ledger copy carries the billing number without prefix or padding.
    both = b.drop_duplicates("entity_id").merge(led, on="entity_id")
    assert (both["INV_NO"].str[4:].astype(int) == both["invoice_no"].astype(int)).all()
    cents_b = both["AMOUNT"].str.replace(r"[$,]", "", regex=True).astype(float)
    assert ((cents_b - both["total"].astype(float)).abs() > 0.005).sum() > 0


def test_orphans_break_their_expectation(world: World) -> None:
    orphans = world.truth("orphans.csv")
    got = {
        e: set(zip(g["system"], g["source_id"], strict=True))
        for e, g in orphans.groupby("expectation")
    }
    bill = world.sources[("billing", "invoice")].ok
    led = world.sources[("ledger", "invoice")].ok
    posted = set(led["invoice_no"].astype(int))
    number = bill["INV_NO"].str[4:].astype(int)
    expect = bill[~bill["STATUS"].isin(["V", "D"]) & ~number.isin(posted)]
    assert got["invoice_in_ledger"] == {("billing", i) for i in expect["INVOICE_ID"]}

    dangling = set()
    for system, id_col in (("billing", "ACCT_NO"), ("ledger", "customer_id")):
        inv = world.sources[(system, "invoice")].ok
        cust = world.sources[(system, "customer")]
        known = set(cust.ok[cust.contract["id"]])
        ref = inv[id_col]
        ids = inv[world.sources[(system, "invoice")].contract["id"]]
        dangling |= {(system, i) for i in ids[~ref.isin(known)]}
    assert got["invoice_customer_exists"] == dangling

    crm_entities = set(_customer_rows(world, "crm")["entity_id"])
    billing = _customer_rows(world, "billing")
    no_crm = billing[~billing["entity_id"].isin(crm_entities)]
    assert got["billing_customer_in_crm"] == {("billing", i) for i in no_crm["ACCT_NO"]}
