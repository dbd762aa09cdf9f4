"""Corrections: the fields where a system disagrees with the golden value, when that
value came from a record of another system (the field's system of record by the
survivorship rules), with the current value, the correct one and where it came from.

Values are compared as the golden record compares them (normalized: a phone as
E.164, an email in lower case), so a difference of formatting is no correction.
The correct value is the owning record's own value, written the way this system
writes it (its enum codes, date format, amount locale), so that once applied the
system agrees and the next run lists nothing for it.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from resolver.entities.golden import GOLDEN_FIELDS
from resolver.exports._common import fix_id, frame, members_sql
from resolver.exports.reverse import column_of, to_source
from resolver.ingest.canonical import TABLES
from resolver.ingest.contracts import Contract

# golden field -> (canonical field written, SQL of that field's value on a record ``r``)
WRITABLE: dict[str, dict[str, tuple[str, str]]] = {
    "customer": {
        "name": (
            "name",
            "coalesce(r.name, nullif(trim(concat_ws(' ', r.first_name, r.last_name)), ''))",
        ),
        "company": ("company", "r.company"),
        "email": ("email", "r.email"),
        "phone": ("phone", "r.phone"),
        "city": ("city", "r.city"),
        "state": ("state", "r.state"),
        "postal_code": ("postal_code", "r.postal_code"),
        "status": ("status", "r.status"),
        "branch": ("branch", "r.branch"),
    },
    "invoice": {
        "invoice_number": ("invoice_number", "r.invoice_number"),
        "amount_cents": ("amount", "r.amount_cents"),
        "tax_cents": ("tax", "r.tax_cents"),
        "currency": ("currency", "r.currency"),
        "invoice_date": ("invoice_date", "r.invoice_date"),
        "due_date": ("due_date", "r.due_date"),
        "status": ("status", "r.status"),
        "branch": ("branch", "r.branch"),
    },
}
_COMPARE = {"invoice_number": "invoice_number_norm"}
COLUMNS = [
    "fix_id",
    "object",
    "entity_id",
    "id",
    "column",
    "current_value",
    "correct_value",
    "from_system",
    "from_id",
    "field",
]


def corrections(
    con: duckdb.DuckDBPyConnection, contract: Contract, *, prefix: str = ""
) -> pd.DataFrame:
    """One row per field of one record to correct (the system's id and column names)."""
    obj, system = contract.object, contract.system
    parts = []
    for golden_field, (field, value_sql) in WRITABLE[obj].items():
        column = column_of(contract, field)
        if column is None:
            continue
        # compared as normalized where the golden value is kept as written
        compare = _COMPARE.get(golden_field, golden_field)
        expr = GOLDEN_FIELDS[obj][compare]
        df = frame(
            con,
            f"""SELECT m.entity_id, m.source_id, src.system AS from_system,
                       src.source_id AS from_id,
                       {value_sql.replace("r.", "m.")} AS current_value,
                       {value_sql.replace("r.", "src.")} AS correct_value
                FROM ({members_sql(obj, prefix)}) m
                JOIN {prefix}{obj}_golden g USING (entity_id)
                JOIN {prefix}{TABLES[obj]} src ON src.record_key = g.{golden_field}_source
                WHERE m.system = ? AND src.system <> ?
                  AND {expr} IS NOT NULL AND {expr} IS DISTINCT FROM g.{compare}
                ORDER BY m.source_id""",
            [system, system],
        )
        if df.empty:
            continue
        df["column"], df["field"] = column, field
        df["current_value"] = [to_source(contract, field, v) for v in df["current_value"]]
        df["correct_value"] = [to_source(contract, field, v) for v in df["correct_value"]]
        parts.append(df)
    if not parts:
        return pd.DataFrame(columns=_named(COLUMNS, contract))
    out = pd.concat(parts, ignore_index=True)
    out = out[out["correct_value"].notna()]
    out["object"] = obj
    out["id"] = out["source_id"]
    out["fix_id"] = [
        fix_id("correct", system, obj, r.source_id, r.column, r.correct_value)
        for r in out.itertuples()
    ]
    out = out.sort_values(["id", "column"], kind="stable")[COLUMNS]
    out.columns = _named(COLUMNS, contract)
    return out.reset_index(drop=True)


def _named(columns: list[str], contract: Contract) -> list[str]:
    return [contract.id_column if c == "id" else c for c in columns]
