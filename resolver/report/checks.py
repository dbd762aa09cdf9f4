"""The checks of the integration health report, each one DuckDB query over a run's tables.

Every check is a dict with a stable ``id`` (so runs can be compared), a category,
the object, the system (or ``a~b`` system pair) it concerns, a count, the total it
is counted out of, a severity and up to three examples.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import yaml

from resolver.ingest.canonical import FIELDS, TABLES, stored_column
from resolver.store.connection import table_exists

SEVERITIES = ("critical", "high", "medium", "low")  # findings; "info" checks are context
MAX_EXAMPLES = 3
MAX_ENTITY_SIZE = 50  # entities larger than this are left out of pairwise checks

# completeness: fields whose absence costs money or blocks linking
_COMPLETENESS_SEVERITY = {
    ("invoice", "amount_cents"): "critical",
    ("invoice", "invoice_date"): "critical",
    ("invoice", "customer_ref"): "critical",
    ("invoice", "tax_cents"): "critical",
    ("invoice", "invoice_number"): "critical",
    ("customer", "email"): "high",
    ("customer", "phone"): "high",
    ("customer", "address"): "high",
    ("customer", "street"): "high",
    ("customer", "postal_code"): "high",
}
# completeness also counts values present but unusable (an invalid phone links
# nothing): the fields read, the reason column that flags them, the check's key
_UNUSABLE = {
    "customer": (
        (("email",), "email_reason", "email_unusable"),
        (("phone",), "phone_reason", "phone_unusable"),
        (("address", "street", "postal_code"), "address_reason", "address_unusable"),
        (("birth_date",), "birth_year", "birth_date_unusable"),
    ),
}
# a flag column that is no reason itself: the SQL giving the reason of a flagged record
_REASON_SQL = {
    # a partial birth date ('1987', '05/1987'): birth_date empty, birth_year kept
    "birth_year": "CASE WHEN birth_date IS NULL AND birth_year IS NOT NULL THEN 'partial' END",
}
# what "missing" means for a field whose unusable values leave it empty
_MISSING_SQL = {"birth_date": ("birth_date IS NULL AND birth_year IS NULL", "birth_year")}
# field agreement across linked records: column -> severity
AGREEMENT_FIELDS = {
    "customer": {
        "email_norm": "high",
        "phone_e164": "high",
        "address_line": "high",
        "status": "medium",
    },
    "invoice": {"status": "high"},
}
STALE_FIELDS = ("email_norm", "phone_e164", "address_line", "status")
# the record columns the checks over linked pairs read (agreement, amounts, branch, stale)
_PAIR_CHECK_COLUMNS = {
    "customer": tuple(dict.fromkeys([*AGREEMENT_FIELDS["customer"], *STALE_FIELDS, "updated_at"])),
    "invoice": tuple(
        dict.fromkeys([*AGREEMENT_FIELDS["invoice"], "amount_cents", "tax_cents", "branch"])
    ),
}


def check(
    *,
    category: str,
    key: str,
    title: str,
    obj: str,
    system: str,
    count: int,
    total: int,
    severity: str,
    examples: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": f"{category}.{obj}.{system}.{key}",
        "category": category,
        "title": title,
        "object": obj,
        "system": system,
        "count": int(count),
        "total": int(total),
        "rate": round(count / total, 4) if total else 0.0,
        "severity": severity,
        "examples": (examples or [])[:MAX_EXAMPLES],
        **extra,
    }


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, str | int | float | bool):
        return v
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return str(v)


def _examples(rows: list[dict]) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in r.items()} for r in rows[:MAX_EXAMPLES]]


# ---------------------------------------------------------------- completeness


def _mapped_fields(contract_path: str, obj: str, columns: set[str]) -> list[str]:
    """Canonical columns the contract maps (all present columns if the file is unreadable)."""
    try:
        doc = yaml.safe_load(Path(contract_path).read_text(encoding="utf-8")) or {}
        names = list((doc.get("fields") or {}).keys())
    except (OSError, yaml.YAMLError, AttributeError):
        names = list(FIELDS[obj])
    out = []
    for name in names:
        col = stored_column(obj, name)
        if col in columns:
            out.append(col)
    return out


def completeness(con: duckdb.DuckDBPyConnection, p: str) -> list[dict[str, Any]]:
    out = []
    loads = _rows(
        con, f"SELECT DISTINCT system, object, contract FROM {p}source_loads ORDER BY ALL"
    )
    for load in loads:
        obj, system = load["object"], load["system"]
        table = f"{p}{TABLES[obj]}"
        columns = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        fields = _mapped_fields(load["contract"], obj, columns)
        if not fields:
            continue
        counts = ", ".join(f"count(*) FILTER ({_missing_sql(f, columns)})" for f in fields)
        row = con.execute(
            f"SELECT count(*), {counts} FROM {table} WHERE system = ?", [system]
        ).fetchall()[0]
        total = int(row[0])
        for field, missing in zip(fields, row[1:], strict=True):
            out.append(
                _completeness_check(
                    con,
                    table,
                    obj,
                    system,
                    field,
                    key=field,
                    title=f"{field} missing",
                    flagged=f"{field} IS NULL",
                    shown="record_key",
                    count=missing,
                    total=total,
                )
            )
        out += _unusable(con, table, obj, system, fields, total, columns)
    return out


def _completeness_check(
    con: duckdb.DuckDBPyConnection,
    table: str,
    obj: str,
    system: str,
    field: str,
    *,
    key: str,
    title: str,
    flagged: str,
    shown: str,
    count: int,
    total: int,
    **extra: Any,
) -> dict[str, Any]:
    """One completeness check on ``field``: ``count`` of the system's ``total`` rows match
    the SQL condition ``flagged``; the first of them (columns ``shown``) are the examples."""
    examples = []
    if count:
        examples = _examples(
            _rows(
                con,
                f"SELECT {shown} FROM {table} WHERE system = ? AND {flagged} "
                f"ORDER BY record_key LIMIT {MAX_EXAMPLES}",
                [system],
            )
        )
    return check(
        category="completeness",
        key=key,
        title=title,
        obj=obj,
        system=system,
        count=count,
        total=total,
        severity=_COMPLETENESS_SEVERITY.get((obj, field), "medium"),
        examples=examples,
        field=field,
        **extra,
    )


def _missing_sql(field: str, columns: set[str]) -> str:
    sql, needs = _MISSING_SQL.get(field, (None, None))
    return sql if sql and needs in columns else f"{field} IS NULL"


def _unusable(
    con: duckdb.DuckDBPyConnection,
    table: str,
    obj: str,
    system: str,
    fields: list[str],
    total: int,
    columns: set[str],
) -> list[dict[str, Any]]:
    """Values present but unusable count as not complete: one check per flagged field."""
    out = []
    for raw_fields, reason, key in _UNUSABLE.get(obj, ()):
        mapped = [f for f in raw_fields if f in fields]
        if not mapped or reason not in columns:
            continue
        reason_sql = _REASON_SQL.get(reason, reason)
        flagged = f"({reason_sql}) IS NOT NULL"
        kinds = dict(
            con.execute(
                f"SELECT {reason_sql}, count(*) FROM {table} WHERE system = ? AND {flagged} "
                "GROUP BY ALL ORDER BY ALL",
                [system],
            ).fetchall()
        )
        out.append(
            _completeness_check(
                con,
                table,
                obj,
                system,
                mapped[0],
                key=key,
                title=f"{mapped[0]} present but unusable (not complete)",
                flagged=flagged,
                shown=f"record_key, {reason_sql} AS {reason}",
                count=sum(kinds.values()),
                total=total,
                kinds={str(k): int(v) for k, v in kinds.items()},
            )
        )
    return out


# ---------------------------------------------------------------- linked pairs


def _cross_pairs_sql(con: duckdb.DuckDBPyConnection, p: str, obj: str) -> str:
    """Every pair of records of one entity in two systems, system a < system b.

    Columns: entity_id, sys_a, sys_b, key_a, key_b, then each column the pair checks
    read (``_PAIR_CHECK_COLUMNS``) of a as is and of b prefixed ``b_``.
    """
    table = f"{p}{TABLES[obj]}"
    present = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    cols = [c for c in _PAIR_CHECK_COLUMNS[obj] if c in present]
    a_cols = ", ".join(f"a.{c}" for c in cols)
    b_cols = ", ".join(f"b.{c} AS b_{c}" for c in cols)
    return f"""
        WITH m AS (
            SELECT record_key, entity_id FROM {p}{obj}_members
            QUALIFY count(*) OVER (PARTITION BY entity_id) BETWEEN 2 AND {MAX_ENTITY_SIZE}
        )
        SELECT m1.entity_id, a.system AS sys_a, b.system AS sys_b, a.record_key AS key_a,
               b.record_key AS key_b, {a_cols}, {b_cols}
        FROM m m1 JOIN m m2 ON m1.entity_id = m2.entity_id
        JOIN {table} a ON a.record_key = m1.record_key
        JOIN {table} b ON b.record_key = m2.record_key
        WHERE a.system < b.system"""


def _pair_totals(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    rows = con.execute("SELECT sys_a, sys_b, count(*) FROM _xp GROUP BY ALL").fetchall()
    return {(a, b): int(n) for a, b, n in rows}


def agreement(con: duckdb.DuckDBPyConnection, p: str) -> list[dict[str, Any]]:
    out = []
    for obj in ("customer", "invoice"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE _xp AS {_cross_pairs_sql(con, p, obj)}")
        try:
            totals = _pair_totals(con)
            for field, severity in AGREEMENT_FIELDS[obj].items():
                out += _disagreements(con, obj, field, severity, totals)
            if obj == "invoice":
                out += _amounts(con, totals)
                out += _branch_dropped(con, totals)
            else:
                out += _stale(con, totals, table=f"{p}{TABLES[obj]}")
        finally:
            con.execute("DROP TABLE IF EXISTS _xp")
    return out


def _disagreements(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    field: str,
    severity: str,
    totals: dict[tuple[str, str], int],
) -> list[dict[str, Any]]:
    out = []
    left, right = _comparable(field), _comparable(f"b_{field}")
    differs = f"{field} IS NOT NULL AND b_{field} IS NOT NULL AND {left} <> {right}"
    for (a, b), total in sorted(totals.items()):
        n = con.execute(
            f"SELECT count(*) FILTER ({differs}) FROM _xp WHERE sys_a = ? AND sys_b = ?", [a, b]
        ).fetchall()[0][0]
        ex = _rows(
            con,
            f"SELECT key_a, {field} AS value_a, key_b, b_{field} AS value_b FROM _xp "
            f"WHERE sys_a = ? AND sys_b = ? AND {differs} ORDER BY key_a, key_b "
            f"LIMIT {MAX_EXAMPLES}",
            [a, b],
        )
        pairs = {}
        if field == "status":  # which value of one system meets which of the other
            pairs = {
                f"{va} / {vb}": int(k)
                for va, vb, k in con.execute(
                    f"SELECT {field}, b_{field}, count(*) FROM _xp WHERE sys_a = ? "
                    f"AND sys_b = ? AND {differs} GROUP BY ALL ORDER BY 3 DESC, 1, 2",
                    [a, b],
                ).fetchall()
            }
        out.append(
            check(
                category="agreement",
                key=field,
                title=f"{field} disagrees between linked records",
                obj=obj,
                system=f"{a}~{b}",
                count=n,
                total=total,
                severity=severity,
                examples=_examples(ex),
                field=field,
                **({"value_pairs": pairs} if pairs else {}),
            )
        )
    return out


# a unit designator and its number, however written: "APT 21", "# 21", "UNIT 21",
# "STE 21", "SUITE 21" and "APT #21" all read "#21"
_UNIT_DESIGNATOR = r"\b(?:APT|APARTMENT|UNIT|STE|SUITE|RM|ROOM|NO)[.\s#]+|#\s*"


def unit_canonical(address: str) -> str:
    """An address line with its unit designator written one way (the Python twin of
    the SQL the agreement check compares with): '12 MAIN ST APT 21' -> '12 MAIN ST #21'."""

    return re.sub(_UNIT_DESIGNATOR, "#", address.upper())


def _comparable(column: str) -> str:
    """SQL for a column's value as agreement compares it: addresses with their unit
    designator canonical, so formatting is never a disagreement."""
    if column.removeprefix("b_") == "address_line":
        return f"regexp_replace(upper({column}), '{_UNIT_DESIGNATOR}', '#', 'g')"
    return column


# an amount difference is tax added when the higher side's total is the other's plus its tax
_AMOUNT_KIND = """
    CASE WHEN amount_cents = b_amount_cents THEN NULL
         WHEN b_amount_cents - amount_cents = b_tax_cents AND b_tax_cents > 0 THEN 'tax_added'
         WHEN amount_cents - b_amount_cents = tax_cents AND tax_cents > 0 THEN 'tax_added'
         WHEN abs(amount_cents - b_amount_cents) < 100 THEN 'rounding'
         ELSE 'other' END"""


def _amounts(
    con: duckdb.DuckDBPyConnection, totals: dict[tuple[str, str], int]
) -> list[dict[str, Any]]:
    out = []
    for (a, b), total in sorted(totals.items()):
        rows = con.execute(
            f"SELECT kind, count(*) FROM (SELECT {_AMOUNT_KIND} AS kind FROM _xp "
            f"WHERE sys_a = ? AND sys_b = ? AND amount_cents IS NOT NULL "
            f"AND b_amount_cents IS NOT NULL) WHERE kind IS NOT NULL GROUP BY ALL",
            [a, b],
        ).fetchall()
        kinds = {"tax_added": 0, "rounding": 0, "other": 0} | {k: int(n) for k, n in rows}
        money = con.execute(
            f"SELECT coalesce(sum(abs(amount_cents - b_amount_cents)), 0) FROM _xp "
            f"WHERE sys_a = ? AND sys_b = ? AND ({_AMOUNT_KIND}) = 'other'",
            [a, b],
        ).fetchall()[0][0]
        ex = _rows(
            con,
            f"SELECT key_a, amount_cents AS value_a, key_b, b_amount_cents AS value_b, "
            f"{_AMOUNT_KIND} AS kind FROM _xp WHERE sys_a = ? AND sys_b = ? "
            f"AND amount_cents <> b_amount_cents ORDER BY key_a, key_b LIMIT {MAX_EXAMPLES}",
            [a, b],
        )
        out.append(
            check(
                category="agreement",
                key="amount_cents",
                title="amount differs between linked invoices",
                obj="invoice",
                system=f"{a}~{b}",
                count=sum(kinds.values()),
                total=total,
                severity="critical",
                examples=_examples(ex),
                field="amount_cents",
                breakdown=kinds,
                money_cents=int(money),
            )
        )
    return out


def _branch_dropped(
    con: duckdb.DuckDBPyConnection, totals: dict[tuple[str, str], int]
) -> list[dict[str, Any]]:
    out = []
    dropped = "(branch IS NULL) <> (b_branch IS NULL)"
    for (a, b), total in sorted(totals.items()):
        n = con.execute(
            f"SELECT count(*) FILTER ({dropped}) FROM _xp WHERE sys_a = ? AND sys_b = ?", [a, b]
        ).fetchall()[0][0]
        ex = _rows(
            con,
            f"SELECT key_a, branch AS value_a, key_b, b_branch AS value_b FROM _xp "
            f"WHERE sys_a = ? AND sys_b = ? AND {dropped} ORDER BY key_a, key_b LIMIT {MAX_EXAMPLES}",
            [a, b],
        )
        out.append(
            check(
                category="agreement",
                key="branch_dropped",
                title="branch code dropped on one side",
                obj="invoice",
                system=f"{a}~{b}",
                count=n,
                total=total,
                severity="medium",
                examples=_examples(ex),
                field="branch",
            )
        )
    return out


def _stale(
    con: duckdb.DuckDBPyConnection, totals: dict[tuple[str, str], int], *, table: str
) -> list[dict[str, Any]]:
    """Linked customers where the older record (updated_at) holds a different value.

    Only updates made before the older system's export was taken count (its newest
    ``updated_at``): a system cannot hold what happened after its export, and an
    export that stopped early is the timing check's stale export, not this check's."""
    differs = " OR ".join(
        f"({f} IS NOT NULL AND b_{f} IS NOT NULL AND {f} <> b_{f})" for f in STALE_FIELDS
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _stale AS
        WITH taken AS (SELECT system, max(updated_at) AS newest FROM {table} GROUP BY ALL),
        sides AS (
            SELECT CASE WHEN updated_at < b_updated_at THEN sys_a ELSE sys_b END AS older,
                   CASE WHEN updated_at < b_updated_at THEN sys_b ELSE sys_a END AS newer,
                   CASE WHEN updated_at < b_updated_at THEN key_a ELSE key_b END AS older_key,
                   CASE WHEN updated_at < b_updated_at THEN key_b ELSE key_a END AS newer_key,
                   greatest(updated_at, b_updated_at) AS updated, sys_a, sys_b
            FROM _xp
            WHERE updated_at IS NOT NULL AND b_updated_at IS NOT NULL
              AND updated_at <> b_updated_at AND ({differs}))
        SELECT s.* EXCLUDE (updated) FROM sides s JOIN taken t ON t.system = s.older
        WHERE s.updated <= t.newest"""
    )
    out = []
    try:
        for (a, b), total in sorted(totals.items()):
            for older, newer in ((a, b), (b, a)):
                n = con.execute(
                    "SELECT count(*) FROM _stale WHERE older = ? AND newer = ?", [older, newer]
                ).fetchall()[0][0]
                ex = _rows(
                    con,
                    "SELECT older_key, newer_key FROM _stale WHERE older = ? AND newer = ? "
                    f"ORDER BY older_key, newer_key LIMIT {MAX_EXAMPLES}",
                    [older, newer],
                )
                out.append(
                    check(
                        category="updates",
                        key=f"older_than_{newer}",
                        title=f"{older} holds an older value than {newer}",
                        obj="customer",
                        system=older,
                        count=n,
                        total=total,
                        severity="high",
                        examples=_examples(ex),
                        newer_system=newer,
                    )
                )
    finally:
        con.execute("DROP TABLE IF EXISTS _stale")
    return out


# ---------------------------------------------------------------- rejects, duplicates


def rejects(con: duckdb.DuckDBPyConnection, p: str) -> list[dict[str, Any]]:
    """Rejected rows per system, object and kind: a row's first ``[kind]``, as ingest's
    summary counts it."""
    out = []
    reads = {
        (s, o): int(n)
        for s, o, n in con.execute(
            f"SELECT system, object, sum(rows_read) FROM {p}source_loads GROUP BY ALL"
        ).fetchall()
    }
    rows = _rows(
        con,
        f"SELECT system, object, coalesce(regexp_extract(reason, '\\[(\\w+)\\]', 1), "
        f"'other') AS kind, count(*) AS n FROM {p}rejects GROUP BY ALL ORDER BY ALL",
    )
    for r in rows:
        kind = r["kind"] or "other"
        ex = _rows(
            con,
            f"SELECT source_file, source_row, source_id, column_name, reason FROM {p}rejects "
            "WHERE system = ? AND object = ? AND regexp_extract(reason, '\\[(\\w+)\\]', 1) "
            f"= ? ORDER BY source_row LIMIT {MAX_EXAMPLES}",
            [r["system"], r["object"], r["kind"]],
        )
        out.append(
            check(
                category="rejects",
                key=kind,
                title=f"rows rejected: {kind}",
                obj=r["object"],
                system=r["system"],
                count=r["n"],
                total=reads.get((r["system"], r["object"]), 0),
                severity="critical" if r["object"] == "invoice" else "high",
                examples=_examples(ex),
                reason_kind=kind,
            )
        )
    return out


def duplicates(con: duckdb.DuckDBPyConnection, p: str) -> list[dict[str, Any]]:
    """Within-system duplicates (records sharing an entity with a record of their system)."""
    out = []
    for obj in ("customer", "invoice"):
        table = f"{p}{TABLES[obj]}"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _dup AS
            SELECT r.system, m.entity_id, list(r.record_key ORDER BY r.record_key) AS keys
            FROM {table} r JOIN {p}{obj}_members m USING (record_key)
            GROUP BY ALL HAVING count(*) > 1"""
        )
        totals = dict(con.execute(f"SELECT system, count(*) FROM {table} GROUP BY ALL").fetchall())
        stats = {
            s: (int(g), int(n))
            for s, g, n in con.execute(
                "SELECT system, count(*), sum(len(keys)) FROM _dup GROUP BY ALL"
            ).fetchall()
        }
        money: dict[str, int] = {}
        if obj == "invoice":  # the amounts of the copies beyond one per group
            money = {
                s: int(m or 0)
                for s, m in con.execute(
                    f"""SELECT system, sum(amount_cents) FROM (
                        SELECT r.system, r.amount_cents, row_number() OVER (
                            PARTITION BY r.system, m.entity_id ORDER BY r.record_key) AS k
                        FROM {table} r JOIN {p}{obj}_members m USING (record_key))
                    WHERE k > 1 GROUP BY ALL"""
                ).fetchall()
            }
        for system in sorted(totals):
            groups, records = stats.get(system, (0, 0))
            ex = _rows(
                con,
                "SELECT entity_id, keys FROM _dup WHERE system = ? ORDER BY entity_id "
                f"LIMIT {MAX_EXAMPLES}",
                [system],
            )
            out.append(
                check(
                    category="duplicates",
                    key="within_system",
                    title="records sharing an entity within one system",
                    obj=obj,
                    system=system,
                    count=records,
                    total=int(totals[system]),
                    severity="critical" if obj == "invoice" else "high",
                    examples=_examples(ex),
                    groups=groups,
                    excess=records - groups,
                    **({"money_cents": money.get(system, 0)} if obj == "invoice" else {}),
                )
            )
        con.execute("DROP TABLE IF EXISTS _dup")
        out += _spanning(con, p, obj)
    return out


def _spanning(con: duckdb.DuckDBPyConnection, p: str, obj: str) -> list[dict[str, Any]]:
    rows = con.execute(
        f"""WITH es AS (
            SELECT DISTINCT m.entity_id, r.system FROM {p}{TABLES[obj]} r
            JOIN {p}{obj}_members m USING (record_key))
        SELECT a.system, b.system, count(*) FROM es a JOIN es b
          ON a.entity_id = b.entity_id AND a.system < b.system
        GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    entities = con.execute(f"SELECT count(DISTINCT entity_id) FROM {p}{obj}_members").fetchall()[0][
        0
    ]
    return [
        check(
            category="coverage",
            key="entities_spanning",
            title=f"entities with records in both {a} and {b}",
            obj=obj,
            system=f"{a}~{b}",
            count=n,
            total=int(entities),
            severity="info",
        )
        for a, b, n in rows
    ]


# ---------------------------------------------------------------- orphans


def orphans(con: duckdb.DuckDBPyConnection, p: str) -> list[dict[str, Any]]:
    if not table_exists(con, f"{p}orphans"):
        return []
    rows = _rows(
        con,
        f"""SELECT expectation, object, any_value(severity) AS severity,
                   any_value(description) AS description,
                   any_value(target_system) FILTER (kind = 'counterpart') AS target,
                   list(DISTINCT system ORDER BY system) AS systems,
                   count(*) FILTER (resolution = 'open') AS open,
                   count(*) FILTER (resolution <> 'open') AS resolved,
                   coalesce(sum(amount_cents) FILTER (resolution = 'open'), 0) AS amount_cents,
                   count(*) AS total
            FROM {p}orphans GROUP BY ALL ORDER BY expectation""",
    )
    out = []
    for r in rows:
        ex = _rows(
            con,
            f"SELECT orphan_id, record_key, amount_cents, age_days, candidate_record_key "
            f"FROM {p}orphans WHERE expectation = ? AND resolution = 'open' "
            f"ORDER BY orphan_id LIMIT {MAX_EXAMPLES}",
            [r["expectation"]],
        )
        # the rate is of the records the expectation covers (its systems' records), not
        # of the orphans: 452 open of 452 listed read as "100%" of billing's invoices
        table = f"{p}{TABLES[r['object']]}"
        marks = ", ".join("?" for _ in r["systems"])
        covered = con.execute(
            f"SELECT count(*) FROM {table} WHERE system IN ({marks})", list(r["systems"])
        ).fetchall()[0][0]
        out.append(
            check(
                category="orphans",
                key=r["expectation"],
                title=r["description"] or f"orphans: {r['expectation']}",
                obj=r["object"],
                system="~".join(r["systems"]),
                count=r["open"],
                total=max(int(covered), int(r["total"])),
                severity=r["severity"],
                examples=_examples(ex),
                expectation=r["expectation"],
                scope="~".join(sorted({*r["systems"], *([r["target"]] if r["target"] else [])})),
                resolved=int(r["resolved"]),
                amount_cents=int(r["amount_cents"]),
                target=r["target"],
            )
        )
    return out
