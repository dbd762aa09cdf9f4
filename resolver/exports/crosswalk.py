"""The crosswalk: which entity each source record belongs to, for other systems."""

from __future__ import annotations

from pathlib import Path

from resolver import store
from resolver.errors import ResolverError
from resolver.store.records import write_crosswalk


def export_crosswalk(db_path: Path | str, *, obj: str, out: Path) -> int:
    """Write (system, source_id, entity_id) for every loaded record; CSV or Parquet by suffix."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ResolverError(f"{out}: the output must end in .csv or .parquet")
    con = store.connect(db_path, read_only=True)
    try:
        if not store.table_exists(con, f"{obj}_members"):
            raise ResolverError(f"{db_path} holds no completed run; run `resolver run` first")
        out.parent.mkdir(parents=True, exist_ok=True)
        return write_crosswalk(con, obj, out, parquet=suffix == ".parquet")
    finally:
        con.close()
