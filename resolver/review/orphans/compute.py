"""Computing a run's orphans: the expectations and the decisions in force, handed to
the store, which builds the table (``resolver.store.orphans``)."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from resolver.ingest.canonical import OBJECTS
from resolver.review.decisions import effective
from resolver.review.orphans.rules import RESOLUTION_OF, OrphanRules
from resolver.store.orphans import DATE_COLUMN, ORPHAN_COLUMNS, stage_orphans_table

__all__ = ["DATE_COLUMN", "ORPHAN_COLUMNS", "orphan_decisions", "stage_orphans"]


def stage_orphans(
    con: duckdb.DuckDBPyConnection,
    rules: OrphanRules,
    *,
    prefix: str = "stage_",
    run_id: int,
    as_of: date,
) -> int:
    """Create ``{prefix}orphans`` from ``{prefix}`` records, members and pairs; return its rows.

    Orphans whose record has an effective ``expected`` decision for the expectation
    are kept with resolution ``expected``; an effective ``link`` decision satisfies
    the expectation (resolution ``linked``) until the re-run's clustering links them.
    """
    return stage_orphans_table(
        con,
        rules.expectations.values(),
        orphan_decisions(con),
        prefix=prefix,
        run_id=run_id,
        as_of=as_of,
    )


def orphan_decisions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The effective link/expected decision per (record_key, expectation), latest winning,
    with the ``resolution`` it gives the orphan."""

    cols = ["record_key", "expectation", "action", "decision_id", "reviewer", "reason"]
    try:
        frames = [f for f in (effective(con, obj) for obj in OBJECTS) if not f.empty]
    except ValueError:  # not a store file: no journal, no decisions
        frames = []
    if not frames:
        return pd.DataFrame(
            {
                "record_key": pd.Series(dtype="str"),
                "expectation": pd.Series(dtype="str"),
                "action": pd.Series(dtype="str"),
                "decision_id": pd.Series(dtype="int64"),
                "reviewer": pd.Series(dtype="str"),
                "reason": pd.Series(dtype="str"),
                "resolution": pd.Series(dtype="str"),
            }
        )
    d = pd.concat(frames, ignore_index=True)
    d = d[d["action"].isin(["link", "expected"]) & d["expectation"].notna()]
    d = d.assign(record_key=d["record_keys"].map(list)).explode("record_key")
    d = d.sort_values("decision_id").drop_duplicates(["record_key", "expectation"], keep="last")
    out = d[cols].reset_index(drop=True)
    out["decision_id"] = out["decision_id"].astype("int64")
    out["resolution"] = out["action"].map(RESOLUTION_OF)
    for c in ("record_key", "expectation", "action", "reviewer", "reason", "resolution"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out
