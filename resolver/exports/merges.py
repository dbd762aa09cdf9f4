"""Merges: for each entity with several records in one system, which record survives
and which merge into it.

The survivor is chosen by the survivorship tie-break (all candidates are of one
system, so its rank is moot): the most recent ``updated_at``, then the most complete
record, then the smallest record key. By default only records a reviewer confirmed
are merged: records joined by accepted decisions (accept, link, split groups); with
``include_suggested`` every multi-record entity of the run is listed, each row saying
whether it was accepted or only suggested.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from resolver.entities.golden import GOLDEN_FIELDS
from resolver.exports._common import fix_id
from resolver.ingest.contracts import Contract
from resolver.review.decisions import pair_rules
from resolver.store import fix_lists


def merges(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    *,
    include_suggested: bool = False,
    prefix: str = "",
) -> pd.DataFrame:
    """One row per record to merge: its survivor, both in the system's own ids."""
    obj, system, id_col = contract.object, contract.system, contract.id_column
    complete = " + ".join(
        f"({expr.replace('m.', 'r.')} IS NOT NULL)::INT"
        for expr in GOLDEN_FIELDS[obj].values()
        if "customer_entity_id" not in expr
    )
    records = fix_lists.merge_candidates(con, obj, system, complete, prefix=prefix)
    columns = ["fix_id", "object", "entity_id", f"survivor {id_col}", f"merge {id_col}", "decision"]
    if records.empty:
        return pd.DataFrame(columns=columns)
    must = {k for k, (kind, _) in pair_rules(con, obj).items() if kind == "must"}
    rows = []
    for entity_id, group in records.groupby("entity_id", sort=True):
        keys = list(group["record_key"])  # in survivor order
        ids = dict(zip(group["record_key"], group["source_id"], strict=True))
        components = _components(keys, must)
        if include_suggested:
            groups = [(keys, "accepted" if len(components) == 1 else "suggested")]
        else:
            groups = [(c, "accepted") for c in components if len(c) > 1]
        for parts, decision in groups:
            survivor = parts[0]
            for key in parts[1:]:
                rows.append(
                    (
                        fix_id("merge", system, obj, ids[key], ids[survivor]),
                        obj,
                        entity_id,
                        ids[survivor],
                        ids[key],
                        decision,
                    )
                )
    out = pd.DataFrame(rows, columns=columns).drop_duplicates("fix_id")
    return out.reset_index(drop=True)


def _components(keys: list[str], must: set[tuple[str, str]]) -> list[list[str]]:
    """Groups of ``keys`` joined by must-link pairs, each in the order of ``keys``."""
    parent = {k: k for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if tuple(sorted((a, b))) in must:
                parent[find(b)] = find(a)
    groups: dict[str, list[str]] = {}
    for k in keys:
        groups.setdefault(find(k), []).append(k)
    return list(groups.values())
