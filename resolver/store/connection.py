"""Open the store file, create its schema, and publish staged tables atomically."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from resolver.errors import StoreError
from resolver.store import schema
from resolver.store.journal import BUILDING_SUFFIX
from resolver.store.resources import duckdb_config

STAGE_PREFIX = "stage_"

_BASE_TABLES: dict[str, dict[str, str]] = {
    "customers": schema.CUSTOMER_COLUMNS,
    "invoices": schema.INVOICE_COLUMNS,
    "rejects": schema.REJECT_COLUMNS,
    "source_loads": schema.SOURCE_LOAD_COLUMNS,
}


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    create: bool = False,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the store's DuckDB file; ``create`` makes it (and its schema) if missing.

    Spills go to ``<file>.tmp/`` beside the store, capped, never to the working directory.
    """
    path = Path(path)
    if not path.exists() and not create:
        raise StoreError(
            f"store {path} does not exist; run `resolver ingest` or `resolver run` first"
        )
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, str] = {}
    if not read_only:
        config = duckdb_config(path.with_name(path.name + ".tmp"))
    if memory_limit:
        config["memory_limit"] = memory_limit
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        raise StoreError(f"cannot open store {path}: {exc}") from exc
    if not read_only:
        ensure_schema(con)
    else:
        _check_version(con, path)
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the base tables if missing and record the schema version."""
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    version = meta_value(con, "schema_version")
    if version is None:
        set_meta(con, "schema_version", str(schema.SCHEMA_VERSION))
    elif int(version) != schema.SCHEMA_VERSION:
        raise StoreError(
            f"store has schema version {version}, this resolver writes "
            f"{schema.SCHEMA_VERSION}; run with a new --db file"
        )
    for name, columns in _BASE_TABLES.items():
        con.execute(schema.create_table_sql(name, columns))


def meta_value(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """One value of the store's meta table (None if unset)."""
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Set one value of the store's meta table."""
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def _check_version(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        version = meta_value(con, "schema_version")
    except duckdb.CatalogException as exc:
        raise StoreError(f"{path} is not a resolver store") from exc
    if version is None or int(version) != schema.SCHEMA_VERSION:
        raise StoreError(f"{path} has an unknown schema version")


def create_stage(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str]) -> str:
    """(Re)create the staging copy of table ``name`` and return its name."""
    stage = STAGE_PREFIX + name
    con.execute(f"DROP TABLE IF EXISTS {stage}")
    con.execute(schema.create_table_sql(stage, columns))
    return stage


def publish(
    con: duckdb.DuckDBPyConnection,
    names: Sequence[str],
    *,
    extra_sql: Sequence[tuple[str, list]] = (),
) -> None:
    """Swap staged tables in for the live ones in one transaction.

    Readers see either every old table or every new one; ``extra_sql`` (statement,
    parameters) runs inside the same transaction (e.g. marking the run complete).
    """
    with transaction(con):
        for name in names:
            con.execute(f"DROP TABLE IF EXISTS {name}")
            con.execute(f"ALTER TABLE {STAGE_PREFIX}{name} RENAME TO {name}")
        for sql, params in extra_sql:
            con.execute(sql, params)
    con.execute("CHECKPOINT")


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return name in table_names(con)


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables (and views) :func:`table_exists` finds, in one query."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema='main'"
    ).fetchall()
    return {r[0] for r in rows}


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The column names of a store table, in order."""
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def dict_rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> list[dict[str, Any]]:
    """The rows of a query on the store as dicts keyed by column name."""
    cur = con.execute(sql, list(params or []))
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def sorted_reader(
    con: duckdb.DuckDBPyConnection,
    table: str | Sequence[str],
    key: str,
    columns: Sequence[str] | None = None,
    *,
    large_buffers: bool = False,
) -> pa.RecordBatchReader:
    """``columns`` (None: all) of a store table, or of several tables of one layout
    together, in ``key`` order, streamed as Arrow record batches (the connection is busy
    until the reader is drained). ``large_buffers``: Arrow's large types, no 2 GB limit
    per column (for a column of many long values; the setting stays on the connection)."""
    if large_buffers:
        con.execute("SET arrow_large_buffer_size = true")
    tables = [table] if isinstance(table, str) else list(table)
    cols = "*" if columns is None else ", ".join(columns)
    source = tables[0]
    if len(tables) > 1:
        inner = "*" if columns is None else ", ".join(dict.fromkeys([key, *columns]))
        source = "(" + " UNION ALL ".join(f"SELECT {inner} FROM {t}" for t in tables) + ")"
    return con.sql(f"SELECT {cols} FROM {source} ORDER BY {key}").to_arrow_reader()


# -- building a new store file -------------------------------------------------------
# A run never writes the live file: it builds "<file>.building" beside it, carrying
# over what must outlive runs, and renames it over the live file when complete.
# Readers (any number of read-only processes) are never locked out, and a killed run
# leaves the live file untouched.

HISTORY_TABLES = ("runs", "entity_events", "reports")
MEMBER_TABLES = ("customer_members", "invoice_members")
PREVIOUS_PREFIX = "previous_"


def building_path(path: Path | str, suffix: str = BUILDING_SUFFIX) -> Path:
    """The work file beside ``path``: the next run's (``.building``) or training's."""
    path = Path(path)
    return path.with_name(path.name + suffix)


def _remove_file_and_sidecars(path: Path) -> None:

    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(path.with_name(path.name + ".tmp"), ignore_errors=True)


def start_building(
    path: Path | str, *, keep_all: bool = False, suffix: str = BUILDING_SUFFIX
) -> duckdb.DuckDBPyConnection:
    """Open a fresh building file for ``path``, carrying over the live file's history.

    History tables (runs, entity events, reports) and the meta table are copied;
    the last run's entity members are copied as ``previous_<table>`` (for stable
    ids). With ``keep_all`` every live table is copied (a partial update such as a
    stand-alone ingest replaces only some of them). ``suffix=TRAINING_SUFFIX`` opens
    training's scratch file instead, so training never touches a run's building file.
    """
    path = Path(path)
    building = building_path(path, suffix)
    _remove_file_and_sidecars(building)
    con = connect(building, create=True)
    if path.exists():
        try:
            con.execute(f"ATTACH '{_sql_path(path)}' AS live (READ_ONLY)")
        except duckdb.Error as exc:
            abandon_building(con, path, suffix=suffix)
            raise StoreError(_unusable(path, f"it cannot be opened ({exc})")) from exc
        try:
            live = {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_catalog = 'live' AND table_schema = 'main'"
                ).fetchall()
            }
            if "meta" not in live:
                con.execute("DETACH live")
                abandon_building(con, path, suffix=suffix)
                raise StoreError(_unusable(path, f"it holds {len(live)} resolver table(s)"))
            con.execute("DELETE FROM meta")
            con.execute("INSERT INTO meta SELECT * FROM live.meta")
            for name in sorted(live - {"meta"}):
                if keep_all or name in HISTORY_TABLES:
                    con.execute(f"DROP TABLE IF EXISTS {name}")
                    con.execute(f"CREATE TABLE {name} AS SELECT * FROM live.{name}")
                if name in MEMBER_TABLES:
                    con.execute(
                        f"CREATE TABLE {PREVIOUS_PREFIX}{name} AS SELECT * FROM live.{name}"
                    )
        finally:
            with contextlib.suppress(duckdb.Error):
                con.execute("DETACH live")
    return con


def _unusable(path: Path, why: str) -> str:
    return (
        f"store {path} is unusable: {why}. The journal beside it keeps every decision and "
        f"the run log; move {path.name} aside and run again to rebuild the store"
    )


PUBLISHABLE_TABLES = ("meta", *_BASE_TABLES)


def check_publishable(path: Path | str, required: Sequence[str] = PUBLISHABLE_TABLES) -> None:
    """Raise StoreError unless the closed file at ``path`` opens as a store holding
    every ``required`` table: a half-written or empty file is never put in place."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise StoreError(f"refusing to publish {path}: it cannot be opened ({exc})") from exc
    try:
        have = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        missing = [t for t in required if t not in have]
        if missing:
            raise StoreError(f"refusing to publish {path}: tables {', '.join(missing)} missing")
    finally:
        con.close()


# point lookups the review API makes: an index turns a scan of a million rows into
# a few milliseconds (created last: DuckDB cannot rename a table that has an index).
# The proposals tables have none: they are only ever read whole, in proposal-id order
# (the review view's index is built from them), which an index does not serve.
LOOKUP_INDEXES = (
    ("customers", ("record_key",)),
    ("customers", ("system", "source_id")),
    ("invoices", ("record_key",)),
    ("invoices", ("system", "source_id")),
    ("customer_members", ("record_key",)),
    ("customer_members", ("entity_id",)),
    ("invoice_members", ("record_key",)),
    ("invoice_members", ("entity_id",)),
    ("customer_golden", ("entity_id",)),
    ("invoice_golden", ("entity_id",)),
    ("orphans", ("orphan_id",)),
    ("entity_events", ("entity_id",)),
)


def create_lookup_indexes(con: duckdb.DuckDBPyConnection) -> None:
    have = table_names(con)
    for table, cols in LOOKUP_INDEXES:
        if table in have:
            name = f"idx_{table}_{'_'.join(cols)}"
            con.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(cols)})")


def finish_building(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    *,
    required: Sequence[str] = PUBLISHABLE_TABLES,
    beside: Callable[[duckdb.DuckDBPyConnection, Path], object] | None = None,
) -> None:
    """Index, close the building file, check it holds every ``required`` table, and put
    it in place of the live one, atomically. ``beside(con, path)`` first writes what
    readers need beside the store file (the review view), so it is in place before
    the file is."""
    if beside is not None:
        beside(con, Path(path))

    for name in MEMBER_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {PREVIOUS_PREFIX}{name}")
    create_lookup_indexes(con)
    con.execute("CHECKPOINT")
    con.close()
    building = building_path(path)
    check_publishable(building, required)
    fsync(building)
    os.replace(building, path)
    _remove_file_and_sidecars(building)


def fsync(path: Path | str) -> None:
    """Put what was written to a file, or to a folder's entries, on the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def abandon_building(
    con: duckdb.DuckDBPyConnection | None, path: Path | str, *, suffix: str = BUILDING_SUFFIX
) -> None:
    """Drop a failed run's building file (or training's scratch); the live file is untouched."""
    if con is not None:
        with contextlib.suppress(duckdb.Error):
            con.close()
    _remove_file_and_sidecars(building_path(path, suffix))


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
