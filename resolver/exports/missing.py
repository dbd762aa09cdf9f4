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

from resolver.exports._common import VALUE_SQL, fix_id
from resolver.exports.reverse import column_of, to_source
from resolver.exports.style import NO_STYLE, learn_styles, one_line, person_name
from resolver.ingest.canonical import FIELDS
from resolver.ingest.contracts import Contract
from resolver.store import fix_lists

_LINE_PARTS = ("street", "unit", "city", "state", "postal_code")


def missing(
    con: duckdb.DuckDBPyConnection, contract: Contract, *, prefix: str = ""
) -> pd.DataFrame:
    """One row per record the system lacks, in its own column names."""
    obj, system = contract.object, contract.system
    fields = [f for f in FIELDS[obj] if column_of(contract, f) is not None]
    values = []
    for f in fields:
        kind = FIELDS[obj][f]
        sql = f"r.{f}_cents" if kind == "amount" else VALUE_SQL.get(f, f"r.{f}")
        if f == "customer_ref":
            sql = fix_lists.customer_ref_sql(prefix)
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
    df = fix_lists.lacking_records(con, obj, system, values, params, prefix=prefix)
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
