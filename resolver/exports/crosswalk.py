"""The crosswalk: which entity each source record belongs to, for other systems."""

from __future__ import annotations

from pathlib import Path

from resolver import store
from resolver.errors import ResolverError

_TABLES = {"customer": "customers", "invoice": "invoices"}


def crosswalk_sql(obj: str) -> str:
    return (
        f"SELECT r.system, r.source_id, m.entity_id FROM {_TABLES[obj]} r "
        f"JOIN {obj}_members m USING (record_key) ORDER BY r.system, r.source_id"
    )


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
        fmt = "(FORMAT parquet)" if suffix == ".parquet" else "(HEADER, DELIMITER ',')"
        con.execute(f"COPY ({crosswalk_sql(obj)}) TO '{_quote(out)}' {fmt}")
        return con.execute(f"SELECT count(*) FROM {obj}_members").fetchall()[0][0]
    finally:
        con.close()


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")
