"""Missing: records a system should have and lacks — the open counterpart orphans whose
counterpart system it is — with every field its contract maps, in its own columns.

The id column is left empty (the system assigns its ids). An invoice's customer
reference is translated into this system's own customer id: the customer of the same
customer entity in this system (empty when it has none yet: export and apply its
missing customers first).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from resolver.entities.golden import _TITLE
from resolver.exports._common import fix_id, frame
from resolver.exports.reverse import column_of, to_source
from resolver.ingest.canonical import FIELDS, TABLES
from resolver.ingest.contracts import Contract

# canonical field -> SQL of its value on an orphan's record ``r`` (what to write when
# the record's own system keeps it in another shape)
_VALUE_SQL: dict[str, str] = {
    "name": "coalesce(r.name, nullif(trim(concat_ws(' ', r.first_name, r.last_name)), ''))",
    "first_name": "coalesce(r.first_name, " + _TITLE.format(x="r.first_name_norm") + ")",
    "last_name": "coalesce(r.last_name, " + _TITLE.format(x="r.last_name_norm") + ")",
    "address": "coalesce(r.address, nullif(concat_ws(', ', nullif(trim(concat_ws(' ', "
    "r.street, r.unit)), ''), r.city, r.state, r.postal_code), ''))",
    "street": "coalesce(r.street, nullif(trim(concat_ws(' ', r.addr_house_number, "
    "r.addr_street)), ''))",
    "unit": "coalesce(r.unit, r.addr_unit)",
    "city": "coalesce(r.city, r.city_norm)",
    "state": "coalesce(r.state, r.state_norm)",
    "postal_code": "coalesce(r.postal_code, r.zip5)",
}


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
        sql = f"r.{f}_cents" if kind == "amount" else _VALUE_SQL.get(f, f"r.{f}")
        if f == "customer_ref":
            sql = (
                f"(SELECT min(sc.source_id) FROM {prefix}customers c "
                f"JOIN {prefix}customer_members cm ON cm.record_key = c.record_key "
                f"JOIN {prefix}customer_members sm ON sm.entity_id = cm.entity_id "
                f"JOIN {prefix}customers sc ON sc.record_key = sm.record_key AND sc.system = ? "
                f"WHERE c.system = r.system AND c.source_id = r.customer_ref)"
            )
        values.append(f'{sql} AS "v_{f}"')
    params = [system] if "customer_ref" in fields else []
    df = frame(
        con,
        f"""SELECT o.orphan_id, m.entity_id, r.system AS from_system, r.source_id AS from_id,
                   {", ".join(values) if values else "NULL AS _none"}
            FROM {prefix}orphans o
            JOIN {prefix}{table} r ON r.record_key = o.record_key
            LEFT JOIN {prefix}{obj}_members m ON m.record_key = r.record_key
            WHERE o.kind = 'counterpart' AND o.object = ? AND o.target_system = ?
              AND o.resolution = 'open'
            ORDER BY r.system, r.source_id""",
        [*params, obj, system],
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
    for f in fields:
        column = column_of(contract, f)
        if column in out.columns:
            continue
        out[column] = [to_source(contract, f, v) for v in df[f"v_{f}"]]
    return out.reset_index(drop=True)
