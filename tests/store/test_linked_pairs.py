"""The health report's checks over linked pairs read every system pair at once, one query
per field grouped by the pair: each grouped read must give what the same read made once
per (system a, system b) gave (the form the checks ran before, kept here as the oracle).

The store is built by hand: four customer systems (``dunning`` linked to none), entities
spanning three systems, values missing on one side, an amount missing, and more
disagreeing pairs in one system pair than the examples' limit."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from resolver.report.checks import _AMOUNT_KIND, MAX_ENTITY_SIZE, STALE_FIELDS
from resolver.store import linked_pairs
from resolver.store.connection import dict_rows

LIMIT = 2  # below the disagreeing pairs of crm~erp, so the limit is applied per pair

# record_key, system, entity, email_norm, status, updated_at (day of January)
CUSTOMERS = [
    # an entity in three systems: every field differs somewhere, one email missing
    ("crm:1", "crm", "E1", "a@x.com", "active", 3),
    ("erp:1", "erp", "E1", "b@x.com", "ACTIVE", 5),
    ("shop:1", "shop", "E1", None, "active", 4),
    # two systems, two records each: four crm~erp pairs
    ("crm:2", "crm", "E2", "c@x.com", "active", 1),
    ("crm:3", "crm", "E2", "d@x.com", "closed", 2),
    ("erp:2", "erp", "E2", "e@x.com", "active", 6),
    ("erp:3", "erp", "E2", None, None, None),
    # agreeing pair: counted in the totals, never as a disagreement
    ("crm:4", "crm", "E3", "f@x.com", "active", 2),
    ("shop:4", "shop", "E3", "f@x.com", "active", 2),
    # erp and shop disagree on status, both with values
    ("erp:5", "erp", "E4", "g@x.com", "active", 2),
    ("shop:5", "shop", "E4", "g@x.com", "closed", 7),
    # within one system only: no cross pair
    ("crm:6", "crm", "E5", "h@x.com", "active", 1),
    ("crm:7", "crm", "E5", "i@x.com", "active", 2),
    # dunning's records link to nothing in another system
    ("dunning:1", "dunning", "E6", "j@x.com", "active", 1),
    ("dunning:2", "dunning", "E7", "k@x.com", "closed", 1),
    ("dunning:3", "dunning", "E7", "l@x.com", "closed", 2),
    ("crm:8", "crm", "E8", "m@x.com", "active", 9),
]
# record_key, system, entity, status, amount_cents, tax_cents, branch
INVOICES = [
    ("bill:1", "bill", "I1", "open", 10000, 1900, "B1"),
    ("ledger:1", "ledger", "I1", "OPEN", 11900, 1900, None),
    ("bank:1", "bank", "I1", "open", 10050, None, "B1"),
    ("bill:2", "bill", "I2", "paid", 5000, 0, None),
    ("ledger:2", "ledger", "I2", "paid", None, 0, None),
    ("bill:3", "bill", "I3", "paid", 7000, 0, "B2"),
    ("ledger:3", "ledger", "I3", "void", 2000, 0, "B2"),
    ("bank:3", "bank", "I3", None, 7000, 0, None),
    ("ledger:4", "ledger", "I4", "open", 100, 0, None),
]


def _store() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE customers (record_key VARCHAR, system VARCHAR, email_norm VARCHAR, "
        "status VARCHAR, updated_at TIMESTAMP)"
    )
    con.execute("CREATE TABLE customer_members (record_key VARCHAR, entity_id VARCHAR)")
    for key, system, entity, email, status, day in CUSTOMERS:
        at = None if day is None else f"2026-01-{day:02d}"
        con.execute(
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?)", [key, system, email, status, at]
        )
        con.execute("INSERT INTO customer_members VALUES (?, ?)", [key, entity])
    con.execute(
        "CREATE TABLE invoices (record_key VARCHAR, system VARCHAR, status VARCHAR, "
        "amount_cents BIGINT, tax_cents BIGINT, branch VARCHAR)"
    )
    con.execute("CREATE TABLE invoice_members (record_key VARCHAR, entity_id VARCHAR)")
    for key, system, entity, *values in INVOICES:
        con.execute("INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?)", [key, system, *values])
        con.execute("INSERT INTO invoice_members VALUES (?, ?)", [key, entity])
    return con


# ---------------------------------------------------------------- the per-pair oracle


def _count(con: duckdb.DuckDBPyConnection, a: str, b: str, condition: str) -> int:
    return con.execute(
        f"SELECT count(*) FILTER ({condition}) FROM _xp WHERE sys_a = ? AND sys_b = ?", [a, b]
    ).fetchall()[0][0]


def _examples(con, a: str, b: str, select: str, condition: str) -> list[dict[str, Any]]:
    return dict_rows(
        con,
        f"SELECT {select} FROM _xp WHERE sys_a = ? AND sys_b = ? AND {condition} "
        f"ORDER BY key_a, key_b LIMIT {LIMIT}",
        [a, b],
    )


def _values(con, a: str, b: str, field: str, condition: str) -> list[tuple]:
    return con.execute(
        f"SELECT {field}, b_{field}, count(*) FROM _xp WHERE sys_a = ? AND sys_b = ? "
        f"AND {condition} GROUP BY ALL ORDER BY 3 DESC, 1, 2",
        [a, b],
    ).fetchall()


def _amounts(con, a: str, b: str) -> dict[str, tuple[int, int]]:
    return {
        k: (n, cents)
        for k, n, cents in con.execute(
            f"SELECT kind, count(*), coalesce(sum(diff), 0) FROM (SELECT {_AMOUNT_KIND} AS "
            f"kind, abs(amount_cents - b_amount_cents) AS diff FROM _xp WHERE sys_a = ? "
            f"AND sys_b = ? AND amount_cents IS NOT NULL AND b_amount_cents IS NOT NULL) "
            f"WHERE kind IS NOT NULL GROUP BY ALL",
            [a, b],
        ).fetchall()
    }


# the stale pairs as the checks held them before, in a table read once per direction
_STALE_TABLE = """CREATE OR REPLACE TEMP TABLE _stale AS
    WITH taken AS (SELECT system, max(updated_at) AS newest FROM customers GROUP BY ALL),
    sides AS (
        SELECT CASE WHEN updated_at < b_updated_at THEN sys_a ELSE sys_b END AS older,
               CASE WHEN updated_at < b_updated_at THEN sys_b ELSE sys_a END AS newer,
               CASE WHEN updated_at < b_updated_at THEN key_a ELSE key_b END AS older_key,
               CASE WHEN updated_at < b_updated_at THEN key_b ELSE key_a END AS newer_key,
               greatest(updated_at, b_updated_at) AS updated
        FROM _xp
        WHERE updated_at IS NOT NULL AND b_updated_at IS NOT NULL
          AND updated_at <> b_updated_at AND ({differs}))
    SELECT s.* EXCLUDE (updated) FROM sides s JOIN taken t ON t.system = s.older
    WHERE s.updated <= t.newest"""


def _stale(con, older: str, newer: str) -> tuple[int, list[dict[str, Any]]]:
    n = con.execute(
        "SELECT count(*) FROM _stale WHERE older = ? AND newer = ?", [older, newer]
    ).fetchall()[0][0]
    ex = dict_rows(
        con,
        "SELECT older_key, newer_key FROM _stale WHERE older = ? AND newer = ? "
        f"ORDER BY older_key, newer_key LIMIT {LIMIT}",
        [older, newer],
    )
    return n, ex


def _differs(field: str) -> str:
    return f"{field} IS NOT NULL AND b_{field} IS NOT NULL AND {field} <> b_{field}"


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize(
    ("obj", "columns", "conditions"),
    [
        (
            "customer",
            ("email_norm", "status", "updated_at"),
            [_differs("email_norm"), _differs("status"), "true", "false"],
        ),
        (
            "invoice",
            ("status", "amount_cents", "tax_cents", "branch"),
            [
                _differs("status"),
                "(branch IS NULL) <> (b_branch IS NULL)",
                "amount_cents <> b_amount_cents",
            ],
        ),
    ],
)
def test_grouped_counts_examples_and_values_are_the_per_pair_ones(
    obj: str, columns: tuple[str, ...], conditions: list[str]
) -> None:
    con = _store()
    with linked_pairs.cross_pairs(con, obj, columns, prefix="", max_entity_size=MAX_ENTITY_SIZE):
        totals = linked_pairs.pair_totals(con)
        shown = {"key_a": "key_a", "value_a": "status", "key_b": "key_b", "value_b": "b_status"}
        select = "key_a, status AS value_a, key_b, b_status AS value_b"
        for condition in conditions:
            found = linked_pairs.pairs_meeting(con, condition, shown, limit=LIMIT)
            values = linked_pairs.value_pairs(con, "status", condition)
            assert set(found) == set(totals)
            for a, b in totals:
                n, examples = found[(a, b)]
                assert n == _count(con, a, b, condition), (a, b, condition)
                assert examples == _examples(con, a, b, select, condition), (a, b, condition)
                assert values.get((a, b), []) == _values(con, a, b, "status", condition)
            # nothing is listed for a pair of systems with no linked pairs
            assert set(values) <= set(totals)
        if obj == "customer":  # the store holds what the grouped reads must get right
            assert set(totals) == {("crm", "erp"), ("crm", "shop"), ("erp", "shop")}
            assert totals[("crm", "erp")] == 5  # E1's one pair and E2's four
            email = linked_pairs.pairs_meeting(con, _differs("email_norm"), shown, limit=LIMIT)
            assert email[("crm", "erp")][0] > LIMIT  # E2's pairs beyond the examples' limit
            assert email[("crm", "shop")] == (0, [])  # shop:1's email is missing, E3's agree
        else:
            assert set(totals) == {("bank", "bill"), ("bank", "ledger"), ("bill", "ledger")}


def test_grouped_amount_kinds_are_the_per_pair_ones() -> None:
    con = _store()
    columns = ("amount_cents", "tax_cents")
    with linked_pairs.cross_pairs(
        con, "invoice", columns, prefix="", max_entity_size=MAX_ENTITY_SIZE
    ):
        totals = linked_pairs.pair_totals(con)
        kinds = linked_pairs.amount_kinds(con, _AMOUNT_KIND)
        for a, b in totals:
            assert kinds.get((a, b), {}) == _amounts(con, a, b), (a, b)
        # tax added (bill~ledger), rounding (bank~bill), other, and a missing amount
        assert kinds[("bill", "ledger")] == {"tax_added": (1, 1900), "other": (1, 5000)}
        assert kinds[("bank", "bill")] == {"rounding": (1, 50)}


def test_grouped_stale_counts_and_examples_are_the_per_pair_ones() -> None:
    con = _store()
    columns = ("email_norm", "status", "updated_at")
    differs = " OR ".join(f"({_differs(f)})" for f in STALE_FIELDS if f in columns)
    with linked_pairs.cross_pairs(
        con, "customer", columns, prefix="", max_entity_size=MAX_ENTITY_SIZE
    ):
        totals = linked_pairs.pair_totals(con)
        found = linked_pairs.stale_by_direction(con, "customer", differs, prefix="", limit=LIMIT)
        con.execute(_STALE_TABLE.format(differs=differs))
        seen = 0
        for a, b in totals:
            for older, newer in ((a, b), (b, a)):
                assert found.get((older, newer), (0, [])) == _stale(con, older, newer)
                seen += found.get((older, newer), (0, []))[0]
        assert seen == sum(n for n, _ in found.values()) > 0
        assert any(len(ex) == LIMIT for _, ex in found.values())
