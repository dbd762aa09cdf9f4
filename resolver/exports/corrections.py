"""Corrections: the fields where a system disagrees with the golden value, when that
value came from a record of another system (the field's system of record by the
survivorship rules), with the current value, the correct one and where it came from.

Values are compared as the golden record compares them (normalized: a phone as
E.164, an email in lower case, an address as its standardized line), so a difference
of formatting is no correction. The correct value is the owning record's own value,
written the way this system writes it: its enum codes, date format and amount locale
(its contract), and the letter case, phone layout and name order of the values it
holds (:mod:`resolver.exports.style`). Once applied, the system agrees and the next
run lists nothing for it.

A name goes to a system's one name column, or to its first and last name columns. An
address is corrected whole, from the address's system of record: its one-line column,
or each of street, unit, city, state and postal code that differs (an emptied unit is
written empty). City, state and postal code are corrected alone (each from its own
system of record) only in a system that keeps no street address, so that a street and
its city always come from the same record.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from resolver.entities.golden import GOLDEN_FIELDS
from resolver.exports._common import VALUE_SQL, fix_id
from resolver.exports.reverse import column_of, to_source
from resolver.exports.style import NO_STYLE, ColumnStyle, learn_styles, one_line, person_name
from resolver.ingest.contracts import Contract
from resolver.store import fix_lists

# golden field -> the canonical fields written for it, in the order tried: the first
# group whose fields the contract maps is written (name: one column, else first + last)
WRITABLE: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "customer": {
        "name": (("name",), ("first_name", "last_name")),
        "company": (("company",),),
        "email": (("email",),),
        "phone": (("phone",),),
        "address": (("address",), ("street", "unit", "city", "state", "postal_code")),
        "city": (("city",),),
        "state": (("state",),),
        "postal_code": (("postal_code",),),
        "status": (("status",),),
        "branch": (("branch",),),
    },
    "invoice": {
        "invoice_number": (("invoice_number",),),
        "amount_cents": (("amount",),),
        "tax_cents": (("tax",),),
        "currency": (("currency",),),
        "invoice_date": (("invoice_date",),),
        "due_date": (("due_date",),),
        "status": (("status",),),
        "branch": (("branch",),),
    },
}
_VALUE = {"amount": "r.amount_cents", "tax": "r.tax_cents"}
_COMPARE = {"invoice_number": "invoice_number_norm"}
# corrected with the address wherever the system keeps a street address
_ADDRESS_PARTS = ("city", "state", "postal_code")
_LINE_PARTS = ("street", "unit", "city", "state", "postal_code")
# a part of a name or an address, compared normalized: written only where it differs
_PART_KEY = {
    "first_name": "r.first_name_norm",
    "last_name": "r.last_name_norm",
    "street": "nullif(trim(concat_ws(' ', r.addr_house_number, r.addr_street)), '')",
    "unit": "r.addr_unit",
    "city": "r.city_norm",
    "state": "r.state_norm",
    "postal_code": "coalesce(r.zip5, r.postal_norm)",
}
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
    obj = contract.object
    styles = learn_styles(con, contract, prefix=prefix)
    keeps_street = any(column_of(contract, f) for f in ("address", "street"))
    parts = []
    for golden_field, groups in WRITABLE[obj].items():
        if keeps_street and golden_field in _ADDRESS_PARTS:
            continue
        fields = next((g for g in groups if all(column_of(contract, f) for f in g[:1])), None)
        if fields is None:
            continue
        fields = tuple(f for f in fields if column_of(contract, f))
        df = _disagreeing(con, contract, golden_field, fields, prefix)
        if df.empty:
            continue
        parts.extend(_rows(df, contract, golden_field, fields, styles))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=_named(COLUMNS, contract))
    out = pd.concat(parts, ignore_index=True)
    out = out[out["correct_value"].notna()]
    out["object"] = obj
    out["id"] = out["source_id"]
    out["fix_id"] = [
        fix_id("correct", contract.system, obj, r.source_id, r.column, r.correct_value)
        for r in out.itertuples()
    ]
    out = out.sort_values(["id", "column"], kind="stable")[COLUMNS]
    out.columns = _named(COLUMNS, contract)
    return out.reset_index(drop=True)


def _disagreeing(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    golden_field: str,
    fields: tuple[str, ...],
    prefix: str,
) -> pd.DataFrame:
    """The system's records whose ``golden_field`` differs from the golden value owned
    by another system: the record's and the owner's value of each written field."""
    obj = contract.object
    compare = _COMPARE.get(golden_field, golden_field)
    expr = GOLDEN_FIELDS[obj][compare]
    values = []
    for f in fields:
        sql = _VALUE.get(f) or VALUE_SQL.get(f, f"r.{f}")
        values.append(f'{sql.replace("r.", "m.")} AS "cur_{f}"')
        values.append(f'{sql.replace("r.", "src.")} AS "new_{f}"')
        if len(fields) > 1:
            key = _PART_KEY[f]
            values.append(
                f"({key.replace('r.', 'm.')}) IS DISTINCT FROM "
                f'({key.replace("r.", "src.")}) AS "differs_{f}"'
            )
    if "name" in fields:  # the owner's parts, for a system writing "Last, First"
        values += [
            f"{VALUE_SQL[p].replace('r.', 'src.')} AS {p}" for p in ("first_name", "last_name")
        ]
    if "phone" in fields:
        values += ["src.phone_e164 AS e164", "src.phone_ext AS ext"]
    if "invoice_number" in fields:
        values += ["src.invoice_number_norm AS number"]
    if "address" in fields:  # the owner's parts, laid out as this system's line
        values += [f"{VALUE_SQL[p].replace('r.', 'src.')} AS p_{p}" for p in _LINE_PARTS]
    return fix_lists.golden_disagreements(
        con,
        obj,
        contract.system,
        values,
        golden_field=golden_field,
        expr=expr,
        compare=compare,
        prefix=prefix,
    )


def _rows(
    df: pd.DataFrame,
    contract: Contract,
    golden_field: str,
    fields: tuple[str, ...],
    styles: dict[str, ColumnStyle],
) -> list[pd.DataFrame]:
    """One frame of correction rows per written field (a part of several only where
    it differs; an emptied part of an address is written empty)."""
    out = []
    for f in fields:
        style = styles.get(f, NO_STYLE)
        if f == "name":
            new = [
                person_name(style, r.first_name, r.last_name, r.new_name)
                for r in df.itertuples(index=False)
            ]
        elif f == "address":
            new = [
                one_line(style, *(getattr(r, f"p_{p}") for p in _LINE_PARTS))
                for r in df.itertuples(index=False)
            ]
        elif f == "phone":
            new = [
                style.render(v, e164=e, ext=x)
                for v, e, x in zip(df["new_phone"], df["e164"], df["ext"], strict=True)
            ]
        elif f == "invoice_number":
            new = [
                style.render(v, number=n)
                for v, n in zip(df["new_invoice_number"], df["number"], strict=True)
            ]
        else:
            new = [style.render(v) if isinstance(v, str) else v for v in df[f"new_{f}"]]
        rows = df[["entity_id", "source_id", "from_system", "from_id"]].copy()
        rows["column"], rows["field"] = column_of(contract, f), f
        rows["current_value"] = [to_source(contract, f, v) for v in df[f"cur_{f}"]]
        rows["correct_value"] = [to_source(contract, f, v) for v in new]
        if len(fields) > 1:
            rows["correct_value"] = rows["correct_value"].fillna("")
            rows = rows[df[f"differs_{f}"].astype(bool).to_numpy()]
        out.append(rows)
    return out


def _named(columns: list[str], contract: Contract) -> list[str]:
    return [contract.id_column if c == "id" else c for c in columns]
