"""The review view as files beside the store: written at publish, memory-mapped by servers.

``<store>.review/<key>/<table>.arrow`` holds the tables of :func:`view_sources`
as uncompressed Arrow IPC files, so a server process maps them instead of reading
them into its own memory, and every worker shares the same pages through the OS
page cache (at a million customers the view is some GB: one copy per machine, not
per process). ``<key>`` names the store file the view was written from (a fresh
name each publish, kept in the file's meta table), so a server finds the view of
exactly the file it opened.

A run writes its view while its store file is still the building one: into a work
folder, each file synced, then renamed into place — before the store file is. A
server that sees the new store file therefore always finds its view complete; one
still on the old file keeps the old view (the last one before is kept, and a file
already mapped stays readable after it is deleted).
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa

from resolver.review.view import view_sources
from resolver.store import meta_value, set_meta
from resolver.store.connection import fsync

log = logging.getLogger("resolver.review")

VIEW_KEY = "review_view"  # the meta key naming the store file's view
VIEW_SUFFIX = ".review"  # <store>.review/: the views of the store file's runs
_WORK = ".building"  # a view being written


def view_root(db: Path | str) -> Path:
    """The folder of the views beside the store file ``db``."""
    db = Path(db)
    return db.with_name(db.name + VIEW_SUFFIX)


def view_key(con: duckdb.DuckDBPyConnection) -> str | None:
    """The name of the view of the store file ``con`` has open (None: none written)."""
    return meta_value(con, VIEW_KEY)


def write_view(con: duckdb.DuckDBPyConnection, db: Path | str) -> Path:
    """Write the view of the store ``con`` has open (the building file of ``db``)
    beside ``db``, whole, and return its folder. Older views are removed except the
    newest (the live file's, which servers may still be reading)."""
    root = view_root(db)
    root.mkdir(parents=True, exist_ok=True)
    _prune(root)
    key = uuid.uuid4().hex  # one per published file: in its meta, so readers find it
    set_meta(con, VIEW_KEY, key)
    work = root / (key + _WORK)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    for name, source in view_sources(con).items():
        path = work / f"{name}.arrow"
        reader = source()
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, reader.schema) as out:
            for batch in reader:
                out.write_batch(batch)
        fsync(path)
    fsync(work)
    final = root / key
    shutil.rmtree(final, ignore_errors=True)  # the same file published again
    os.replace(work, final)
    fsync(root)
    return final


def open_view(con: duckdb.DuckDBPyConnection, db: Path | str) -> dict[str, pa.Table] | None:
    """The tables of the view of the store file ``con`` has open, memory-mapped
    (nothing is read until a request touches it); None when no view was written
    for that file (a store published before views, or by a stand-alone ingest)."""
    key = view_key(con)
    folder = view_root(db) / (key or "-")
    if key is None or not folder.is_dir():
        return None
    try:
        return {
            p.stem: pa.ipc.open_file(pa.memory_map(str(p))).read_all()
            for p in sorted(folder.glob("*.arrow"))
        }
    except (OSError, pa.ArrowInvalid) as exc:  # removed meanwhile, or damaged
        log.warning("review view %s could not be mapped (%s); reading the store", folder, exc)
        return None


def _prune(root: Path) -> None:
    """Remove unfinished views and every complete one but the newest."""
    done = []
    for p in root.iterdir():
        if p.name.endswith(_WORK) or not p.is_dir():
            _remove(p)
        else:
            done.append(p)
    done.sort(key=lambda p: p.stat().st_mtime_ns)
    for p in done[:-1]:
        _remove(p)


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)
