"""Missing: records a system should have and lacks — the open counterpart orphans whose
counterpart system it is, and the customers of the invoices it lacks that it has no
record of (an invoice cannot be added before its customer) — with every field its
contract maps, in its own columns.

The id column is left empty (the system assigns its ids). Values are written the
system's way, as corrections are (:mod:`resolver.exports.style`): its letter case,
phone layout, name order and address layout. An invoice's customer
reference is translated into this system's own customer id: the customer of the same
customer entity in this system (empty when it has none yet: export and apply its
missing customers first).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from resolver.exports._common import VALUE_SQL, fix_id, frame
from resolver.exports.reverse import column_of, to_source
from resolver.exports.style import NO_STYLE, learn_styles, one_line, person_name
from resolver.ingest.canonical import FIELDS, TABLES
from resolver.ingest.contracts import Contract

_LINE_PARTS = ("street", "unit", "city", "state", "postal_code")


def _wanted_sql(obj: str, prefix: str) -> str:
    """(orphan_id, record_key) of each record the system lacks: its open counterpart
    orphans and, for customers, the customer of each invoice it lacks whose customer
    entity it has no record of (one record per entity: the one the invoice names)."""
    orphans = (
        f"SELECT orphan_id, record_key FROM {prefix}orphans "
        "WHERE kind = 'counterpart' AND object = ? AND target_system = ? AND resolution = 'open'"
    )
    if obj != "customer":
        return orphans
    return f"""{orphans}
        UNION ALL
        SELECT 'customer of ' || arg_min(c.system || ' ' || c.source_id, c.source_id),
               arg_min(c.record_key, c.source_id)
        FROM {prefix}orphans o
        JOIN {prefix}invoices i ON i.record_key = o.record_key
        JOIN {prefix}customers c ON c.system = i.system AND c.source_id = i.customer_ref
        JOIN {prefix}customer_members cm ON cm.record_key = c.record_key
        WHERE o.kind = 'counterpart' AND o.object = 'invoice' AND o.target_system = ?
          AND o.resolution = 'open'
          AND NOT EXISTS (
              SELECT 1 FROM {prefix}customer_members sm
              JOIN {prefix}customers sc ON sc.record_key = sm.record_key
              WHERE sm.entity_id = cm.entity_id AND sc.system = ?)
          AND NOT EXISTS (
              SELECT 1 FROM {prefix}orphans oc
              JOIN {prefix}customer_members om ON om.record_key = oc.record_key
              WHERE oc.kind = 'counterpart' AND oc.object = 'customer'
                AND oc.target_system = ? AND oc.resolution = 'open'
                AND om.entity_id = cm.entity_id)
        GROUP BY cm.entity_id"""


def _wanted_params(obj: str, system: str) -> list[str]:
    return [obj, system] + ([system, system, system] if obj == "customer" else [])


def missing(
    con: duckdb.DuckDBPyConnection, contract: Contract, *, prefix: str = ""
) -> pd.DataFrame:
    """One row per record the system lacks, in its own column names."""
    obj, system = contract.object, contract.system
    table = TABLES[obj]
    fields = [f for f in FIELDS[obj] if column_of(contract, f) is not None]
    values = []
    for f in fields:
        kind = FIELDS[obj][f]
        sql = f"r.{f}_cents" if kind == "amount" else VALUE_SQL.get(f, f"r.{f}")
        if f == "customer_ref":
            sql = (
                f"(SELECT min(sc.source_id) FROM {prefix}customers c "
                f"JOIN {prefix}customer_members cm ON cm.record_key = c.record_key "
                f"JOIN {prefix}customer_members sm ON sm.entity_id = cm.entity_id "
                f"JOIN {prefix}customers sc ON sc.record_key = sm.record_key AND sc.system = ? "
                f"WHERE c.system = r.system AND c.source_id = r.customer_ref)"
            )
        values.append(f'{sql} AS "v_{f}"')
    if "name" in fields:  # for a system writing "Last, First"
        values += [f'{VALUE_SQL[p]} AS "p_{p}"' for p in ("first_name", "last_name")]
    if "phone" in fields:
        values += ['r.phone_e164 AS "p_e164"', 'r.phone_ext AS "p_ext"']
    if "invoice_number" in fields:
        values += ['r.invoice_number_norm AS "p_number"']
    if "address" in fields:  # laid out as this system's line
        values += [f'{VALUE_SQL[p]} AS "p_{p}"' for p in _LINE_PARTS]
    params = [system] if "customer_ref" in fields else []
    df = frame(
        con,
        f"""SELECT o.orphan_id, m.entity_id, r.system AS from_system, r.source_id AS from_id,
                   {", ".join(values) if values else "NULL AS _none"}
            FROM ({_wanted_sql(obj, prefix)}) o
            JOIN {prefix}{table} r ON r.record_key = o.record_key
            LEFT JOIN {prefix}{obj}_members m ON m.record_key = r.record_key
            ORDER BY r.system, r.source_id""",
        [*params, *_wanted_params(obj, system)],
    )
    out = pd.DataFrame(
        {
            "fix_id": [fix_id("missing", system, oid) for oid in df["orphan_id"]],
            "object": obj,
            "entity_id": df["entity_id"],
            "from_system": df["from_system"],
            "from_id": df["from_id"],
            contract.id_column: None,
        }
    )
    styles = learn_styles(con, contract, prefix=prefix)
    for f in fields:
        column = column_of(contract, f)
        if column in out.columns:
            continue
        style = styles.get(f, NO_STYLE)
        rows = df.to_dict("records")
        if f == "name":
            values = [
                person_name(style, r["p_first_name"], r["p_last_name"], r["v_name"]) for r in rows
            ]
        elif f == "address":
            values = [one_line(style, *(r[f"p_{p}"] for p in _LINE_PARTS)) for r in rows]
        elif f == "phone":
            values = [style.render(r["v_phone"], e164=r["p_e164"], ext=r["p_ext"]) for r in rows]
        elif f == "invoice_number":
            values = [style.render(r["v_invoice_number"], number=r["p_number"]) for r in rows]
        elif f in styles:
            values = [style.render(r[f"v_{f}"]) for r in rows]
        else:
            values = list(df[f"v_{f}"])
        out[column] = [to_source(contract, f, v) for v in values]
    return out.reset_index(drop=True)
