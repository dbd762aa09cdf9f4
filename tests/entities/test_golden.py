"""Golden records: each field from the member the survivorship rules put first."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pandas as pd
import pytest

from resolver.entities.golden import GOLDEN_FIELDS, Survivorship, golden_sql

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


def _expected(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The documented rule, applied member by member in Python: system rank in the
    field's order (unlisted systems last), then most recent, then most complete, then
    the smallest record key; only members that have a value."""
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
