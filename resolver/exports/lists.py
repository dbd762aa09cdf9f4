"""One entry point for the three fix lists, over the last run (or the run being built)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from resolver import store
from resolver.errors import ResolverError
from resolver.exports.corrections import corrections
from resolver.exports.log import log_export
from resolver.exports.merges import merges
from resolver.exports.missing import missing
from resolver.exports.reverse import system_contracts
from resolver.exports.writers import write_table
from resolver.ingest.canonical import OBJECTS
from resolver.ingest.contracts import Contract
from resolver.store.reports import latest_complete_run_id

KINDS = ("merges", "corrections", "missing")


def fix_list(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    contracts: dict[str, Contract],
    *,
    obj: str | None = None,
    include_suggested: bool = False,
    prefix: str = "",
) -> pd.DataFrame:
    """The fix list of one kind for one system (``contracts``: its contract per object)
    and one object (None: every object, customers first, for comparing fix ids).
    Raises ResolverError for an unknown kind or object, or a store with no run."""
    if kind not in KINDS:
        raise ResolverError(f"unknown fix list {kind!r}; one of {', '.join(KINDS)}")
    if obj is not None and obj not in contracts:
        have = ", ".join(sorted(contracts)) or "none"
        raise ResolverError(f"the system has no {obj} contract (it has: {have})")
    if not store.table_exists(con, f"{prefix}customer_members"):
        raise ResolverError("the store holds no completed run; run `resolver run` first")
    parts = []
    for o in OBJECTS if obj is None else (obj,):
        contract = contracts.get(o)
        if contract is None or not store.table_exists(con, f"{prefix}{o}_members"):
            continue
        if kind == "merges":
            df = merges(con, contract, include_suggested=include_suggested, prefix=prefix)
        elif kind == "corrections":
            df = corrections(con, contract, prefix=prefix)
        else:
            if not store.table_exists(con, f"{prefix}orphans"):
                continue
            df = missing(con, contract, prefix=prefix)
        parts.append(df)
    nonempty = [p for p in parts if len(p)]
    if not nonempty:
        return parts[0].iloc[0:0] if parts else pd.DataFrame(columns=["fix_id", "object"])
    out = pd.concat(nonempty, ignore_index=True) if len(nonempty) > 1 else nonempty[0]
    return out.astype(object).where(out.notna(), None)


def export_fix_list(
    db_path: Path | str,
    *,
    kind: str,
    system: str,
    rules_dir: Path | str,
    out: Path,
    obj: str = "customer",
    include_suggested: bool = False,
) -> int:
    """Write one system's fix list to ``out`` (CSV, Parquet or XLSX by extension), log
    its fixes (see :mod:`resolver.exports.log`) and return its rows."""

    contracts = system_contracts(rules_dir, system)
    con = store.connect(db_path, read_only=True)
    try:
        df = fix_list(con, kind, contracts, obj=obj, include_suggested=include_suggested)
        run_id = last_run(con)
    finally:
        con.close()
    write_table(df, Path(out), sheet=f"{system} {obj} {kind}")
    log_export(db_path, kind=kind, system=system, run_id=run_id, fix_ids=list(df["fix_id"]))
    return len(df)


def last_run(con: duckdb.DuckDBPyConnection) -> int:
    """The last complete run's id (0: none), which a fix list is exported from."""
    return latest_complete_run_id(con) or 0
