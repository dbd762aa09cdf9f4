"""The checks of the integration health report, each one DuckDB query over a run's tables.

Every check is a dict with a stable ``id`` (so runs can be compared), a category,
the object, the system (or ``a~b`` system pair) it concerns, a count, the total it
is counted out of, a severity and up to three examples.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import yaml

from resolver.ingest.canonical import FIELDS, TABLES, stored_column
from resolver.rulefiles import load_yaml
from resolver.store import linked_pairs, members, records, source_loads
from resolver.store import orphans as store_orphans
from resolver.store.connection import table_columns

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
        doc = load_yaml(contract_path) or {}
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
    for load in source_loads.loaded_contracts(con, prefix=p):
        obj, system = load["object"], load["system"]
        columns = set(table_columns(con, f"{p}{TABLES[obj]}"))
        fields = _mapped_fields(load["contract"], obj, columns)
        if not fields:
            continue
        total, missings = records.condition_counts(
            con, obj, system, [_missing_sql(f, columns) for f in fields], prefix=p
        )
        for field, missing in zip(fields, missings, strict=True):
            out.append(
                _completeness_check(
                    con,
                    p,
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
        out += _unusable(con, p, obj, system, fields, total, columns)
    return out


def _completeness_check(
    con: duckdb.DuckDBPyConnection,
    p: str,
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
            records.flagged_records(con, obj, system, shown, flagged, limit=MAX_EXAMPLES, prefix=p)
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
    p: str,
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
        kinds = records.value_counts(con, obj, system, reason_sql, flagged, prefix=p)
        out.append(
            _completeness_check(
                con,
                p,
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


def agreement(con: duckdb.DuckDBPyConnection, p: str) -> list[dict[str, Any]]:
    out = []
    for obj in ("customer", "invoice"):
        columns = _PAIR_CHECK_COLUMNS[obj]
        with linked_pairs.cross_pairs(con, obj, columns, prefix=p, max_entity_size=MAX_ENTITY_SIZE):
            totals = linked_pairs.pair_totals(con)
            for field, severity in AGREEMENT_FIELDS[obj].items():
                out += _disagreements(con, obj, field, severity, totals)
            if obj == "invoice":
                out += _amounts(con, totals)
                out += _branch_dropped(con, totals)
            else:
                out += _stale(con, totals, prefix=p)
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
    found = linked_pairs.pairs_meeting(con, differs, _sides(field), limit=MAX_EXAMPLES)
    # which value of one system meets which of the other
    values = linked_pairs.value_pairs(con, field, differs) if field == "status" else {}
    for (a, b), total in sorted(totals.items()):
        n, ex = found[(a, b)]
        pairs = {f"{va} / {vb}": int(k) for va, vb, k in values.get((a, b), [])}
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


def _sides(field: str) -> dict[str, str]:
    """A linked pair's example: each record's key and its value of ``field``."""
    return {"key_a": "key_a", "value_a": field, "key_b": "key_b", "value_b": f"b_{field}"}


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
    by_pair = linked_pairs.amount_kinds(con, _AMOUNT_KIND)
    shown = _sides("amount_cents") | {"kind": _AMOUNT_KIND}
    differs = linked_pairs.pairs_meeting(
        con, "amount_cents <> b_amount_cents", shown, limit=MAX_EXAMPLES
    )
    for (a, b), total in sorted(totals.items()):
        found = by_pair.get((a, b), {})
        kinds = {"tax_added": 0, "rounding": 0, "other": 0} | {k: n for k, (n, _) in found.items()}
        money = found.get("other", (0, 0))[1]
        ex = differs[(a, b)][1]
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
    found = linked_pairs.pairs_meeting(con, dropped, _sides("branch"), limit=MAX_EXAMPLES)
    for (a, b), total in sorted(totals.items()):
        n, ex = found[(a, b)]
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
    con: duckdb.DuckDBPyConnection, totals: dict[tuple[str, str], int], *, prefix: str
) -> list[dict[str, Any]]:
    """Linked customers where the older record (updated_at) holds a different value.

    Only updates made before the older system's export was taken count (its newest
    ``updated_at``): a system cannot hold what happened after its export, and an
    export that stopped early is the timing check's stale export, not this check's."""
    differs = " OR ".join(
        f"({f} IS NOT NULL AND b_{f} IS NOT NULL AND {f} <> b_{f})" for f in STALE_FIELDS
    )
    out = []
    found = linked_pairs.stale_by_direction(
        con, "customer", differs, prefix=prefix, limit=MAX_EXAMPLES
    )
    for (a, b), total in sorted(totals.items()):
        for older, newer in ((a, b), (b, a)):
            n, ex = found.get((older, newer), (0, []))
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
    return out


# ---------------------------------------------------------------- rejects, duplicates


def rejects(con: duckdb.DuckDBPyConnection, p: str) -> list[dict[str, Any]]:
    """Rejected rows per system, object and kind: a row's first ``[kind]``, as ingest's
    summary counts it."""
    out = []
    reads = source_loads.rows_read(con, prefix=p)
    for r in source_loads.reject_kinds(con, prefix=p):
        kind = r["kind"] or "other"
        ex = source_loads.reject_examples(
            con, r["system"], r["object"], r["kind"], limit=MAX_EXAMPLES, prefix=p
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
        totals = records.system_counts(con, obj, prefix=p)
        # the amounts of the copies beyond one per group
        money = members.excess_amounts(con, prefix=p) if obj == "invoice" else {}
        with members.duplicate_groups(con, obj, prefix=p) as stats:
            for system in sorted(totals):
                groups, in_groups = stats.get(system, (0, 0))
                ex = members.duplicate_examples(con, system, limit=MAX_EXAMPLES)
                out.append(
                    check(
                        category="duplicates",
                        key="within_system",
                        title="records sharing an entity within one system",
                        obj=obj,
                        system=system,
                        count=in_groups,
                        total=int(totals[system]),
                        severity="critical" if obj == "invoice" else "high",
                        examples=_examples(ex),
                        groups=groups,
                        excess=in_groups - groups,
                        **({"money_cents": money.get(system, 0)} if obj == "invoice" else {}),
                    )
                )
        out += _spanning(con, p, obj)
    return out


def _spanning(con: duckdb.DuckDBPyConnection, p: str, obj: str) -> list[dict[str, Any]]:
    entities = members.entity_count(con, obj, prefix=p)
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
        for a, b, n in members.systems_spanned(con, obj, prefix=p)
    ]


# ---------------------------------------------------------------- orphans


def orphans(con: duckdb.DuckDBPyConnection, p: str) -> list[dict[str, Any]]:
    out = []
    for r in store_orphans.expectation_summaries(con, prefix=p):
        ex = store_orphans.open_orphans(con, r["expectation"], limit=MAX_EXAMPLES, prefix=p)
        # the rate is of the records the expectation covers (its systems' records), not
        # of the orphans: 452 open of 452 listed read as "100%" of billing's invoices
        covered = records.count_in_systems(con, r["object"], r["systems"], prefix=p)
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
