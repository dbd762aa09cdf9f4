"""Golden records: each field from the member the survivorship rules put first."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pandas as pd
import pytest

from resolver.entities.golden import (
    GOLDEN_FIELDS,
    PICKABLE,
    Survivorship,
    check_picks,
    golden_sql,
)

SYSTEMS = ("crm", "billing", "dispatch", "ledger", "shop")  # "shop" is in no order
RULES = Survivorship(
    prefer={"customer": ("crm", "billing", "dispatch", "ledger")},
    fields={"customer": {"phone": ("dispatch", "crm"), "status": ("billing",)}},
)
VALUE_COLUMNS = (
    "first_name_norm",
    "middle_name_norm",
    "last_name_norm",
    "company_norm",
    "email_norm",
    "phone_e164",
    "address_line",
    "city_norm",
    "state_norm",
    "zip5",
    "status",
    "branch",
)


def _members(seed: int, n: int = 400) -> pd.DataFrame:
    """Random members: few entities, many ties in updated_at, many missing values."""
    rnd = random.Random(seed)
    days = [None, dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2023, 6, 30)]
    rows = []
    for i in range(n):
        row = {
            "record_key": f"{rnd.choice(SYSTEMS)}:{i:04d}",
            "entity_id": f"E{rnd.randrange(n // 6)}",
            "updated_at": rnd.choice(days),
        }
        row["system"] = row["record_key"].split(":")[0]
        for col in VALUE_COLUMNS:
            row[col] = rnd.choice([None, None, f"{col[:3]} {rnd.randrange(3)}"])
        rows.append(row)
    rnd.shuffle(rows)  # row order must not matter
    return pd.DataFrame(rows)


def _expected(con: duckdb.DuckDBPyConnection, picks: pd.DataFrame | None = None) -> pd.DataFrame:
    """The documented rule, applied member by member in Python: system rank in the
    field's order (unlisted systems last), then most recent, then most complete, then
    the smallest record key; only members that have a value. A reviewer's pick comes
    first: the newest pick of the entity's field, if its record has a value."""
    fields = GOLDEN_FIELDS["customer"]
    values = con.execute(
        "SELECT m.record_key, m.system, m.entity_id, m.updated_at, "
        + ", ".join(f"{expr} AS {field}" for field, expr in fields.items())
        + " FROM members m"
    ).df()
    values["complete"] = values[list(fields)].notna().sum(axis=1)
    out = []
    for entity_id, group in values.groupby("entity_id"):
        row = {"entity_id": entity_id, "member_count": len(group)}
        for field in fields:
            order = RULES.order("customer", field)
            have = group[group[field].notna()]
            if have.empty:
                row[field] = row[f"{field}_source"] = None
                continue
            mine = (
                picks[(picks["field"] == field) & picks["record_key"].isin(group["record_key"])]
                if picks is not None
                else pd.DataFrame()
            )
            if not mine.empty:
                newest = mine.sort_values("decision_id").iloc[-1]["record_key"]
                chosen = have[have["record_key"] == newest]
                if not chosen.empty:
                    row[field] = chosen.iloc[0][field]
                    row[f"{field}_source"] = newest
                    continue
            best = min(
                have.itertuples(),
                key=lambda r, order=order: (
                    order.index(r.system) if r.system in order else len(order),
                    -(pd.Timestamp(r.updated_at).timestamp() if pd.notna(r.updated_at) else 0),
                    -r.complete,
                    r.record_key,
                ),
            )
            row[field], row[f"{field}_source"] = getattr(best, field), best.record_key
        out.append(row)
    return pd.DataFrame(out).sort_values("entity_id").reset_index(drop=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_golden_record_follows_the_survivorship_rules(seed: int) -> None:
    con = duckdb.connect()
    con.register("members_frame", _members(seed))
    con.execute("CREATE TABLE members AS SELECT * FROM members_frame")
    got = con.execute(
        f"SELECT * FROM ({golden_sql('customer', 'SELECT * FROM members', RULES)}) "
        "ORDER BY entity_id"
    ).df()
    want = _expected(con)
    assert got["systems"].map(list).tolist() == [
        sorted(set(s))
        for s in con.execute(
            "SELECT list(system) FROM members GROUP BY entity_id ORDER BY entity_id"
        )
        .df()
        .iloc[:, 0]
    ]
    cols = list(want.columns)
    pd.testing.assert_frame_equal(
        got[cols].astype(object).where(got[cols].notna(), None),
        want[cols].astype(object).where(want[cols].notna(), None),
        check_dtype=False,
    )


@pytest.mark.parametrize("seed", [4, 5])
def test_a_reviewers_pick_comes_first_and_the_newest_pick_wins(seed: int) -> None:
    members = _members(seed)
    rnd = random.Random(seed)
    pickable = [f for f in GOLDEN_FIELDS["customer"] if f in PICKABLE["customer"]]
    picks = pd.DataFrame(
        [
            (rnd.choice(members["record_key"].tolist()), rnd.choice(pickable), n)
            for n in rnd.sample(range(1, 1000), 150)
        ],
        columns=["record_key", "field", "decision_id"],
    ).drop_duplicates(["record_key", "field"])
    con = duckdb.connect()
    con.register("members_frame", members)
    con.register("picks_frame", picks)
    con.execute("CREATE TABLE members AS SELECT * FROM members_frame")
    con.execute("CREATE TABLE picks AS SELECT * FROM picks_frame")
    sql = golden_sql("customer", "SELECT * FROM members", RULES, "picks")
    got = con.execute(f"SELECT * FROM ({sql}) ORDER BY entity_id").df()
    want = _expected(con, picks)
    plain = _expected(con)
    cols = list(want.columns)
    pd.testing.assert_frame_equal(
        got[cols].astype(object).where(got[cols].notna(), None),
        want[cols].astype(object).where(want[cols].notna(), None),
        check_dtype=False,
    )
    assert not want.equals(plain)  # the picks changed something


def test_picks_are_checked() -> None:
    keys = ["crm:1", "billing:2"]
    assert check_picks("customer", {"phone": "billing:2", "email": "crm:1"}, keys) == {
        "email": "crm:1",
        "phone": "billing:2",
    }
    with pytest.raises(ValueError, match="'shoe_size' is not a golden field"):
        check_picks("customer", {"shoe_size": "crm:1"}, keys)
    with pytest.raises(ValueError, match="not a record of this proposal"):
        check_picks("customer", {"email": "ledger:9"}, keys)
    with pytest.raises(ValueError, match="not a golden field"):
        check_picks("invoice", {"customer_entity_id": "crm:1"}, keys)
