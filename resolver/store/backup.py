"""A consistent copy of a store and its journal, taken while servers and runs go on.

The store file is never written in place: a run builds ``<file>.building`` and renames
it over the live file. So the bytes read through one open descriptor are one complete
run, even if a run publishes meanwhile (the descriptor keeps reading the file it
opened). The journal is SQLite in WAL mode: its newest decisions may sit in
``<journal>-wal`` until a checkpoint, and a copy of the main file alone loses them.
It is copied with SQLite's online backup, which reads through the WAL.

The store is copied first, then the journal, so the copy's journal is never older
than its store: a decision made while the backup runs is in it, and a restored store
applies it at its next run as any decision made after a run.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from resolver.errors import ResolverError
from resolver.store.connection import fsync
from resolver.store.journal import journal_path

_PART = ".part"  # a file being written: renamed into place once complete


@dataclass(frozen=True)
class Backup:
    """What a backup wrote: the two files, their sizes, and what the journal holds."""

    store: Path
    store_bytes: int
    journal: Path | None
    journal_bytes: int
    decisions: int
    runs: int

    def format(self) -> str:
        lines = [f"store    {self.store} ({_size(self.store_bytes)})"]
        if self.journal is None:
            lines.append("journal  none beside the store: no decisions or run log to copy")
        else:
            lines.append(
                f"journal  {self.journal} ({_size(self.journal_bytes)}; "
                f"{_count(self.decisions, 'decision')}, {_count(self.runs, 'run')} logged)"
            )
        return "\n".join(lines)


def back_up(db: Path | str, out: Path | str) -> Backup:
    """Copy the store ``db`` and its journal into the folder ``out`` (made if missing),
    under their own names. Refuses to overwrite a file already there."""
    db, out = Path(db), Path(out)
    if not db.is_file():
        raise ResolverError(f"{db}: no store file to back up")
    journal = journal_path(db)
    targets = [out / db.name] + ([out / journal.name] if journal.is_file() else [])
    if out.resolve() == db.parent.resolve():
        raise ResolverError(f"{out}: back up into another folder than the store's own")
    for target in targets:
        if target.exists():
            raise ResolverError(f"{target} exists: back up into an empty folder")
    out.mkdir(parents=True, exist_ok=True)

    store_copy = targets[0]
    with open(db, "rb") as src:  # one descriptor: one complete run, whatever is renamed
        _write_atomically(store_copy, lambda dst: shutil.copyfileobj(src, dst, 1 << 20))
    if len(targets) == 1:
        return Backup(store_copy, store_copy.stat().st_size, None, 0, 0, 0)

    journal_copy = targets[1]
    part = journal_copy.with_name(journal_copy.name + _PART)
    part.unlink(missing_ok=True)
    source = sqlite3.connect(journal, timeout=30)
    try:
        target = sqlite3.connect(part)
        try:
            source.backup(target)  # reads through the WAL: the newest decisions included
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            decisions, runs = _counts(target)
        finally:
            target.close()
    finally:
        source.close()
    fsync(part)
    os.replace(part, journal_copy)
    return Backup(
        store_copy,
        store_copy.stat().st_size,
        journal_copy,
        journal_copy.stat().st_size,
        decisions,
        runs,
    )


def _write_atomically(path: Path, write) -> None:
    part = path.with_name(path.name + _PART)
    try:
        with open(part, "wb") as dst:
            write(dst)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _counts(db: sqlite3.Connection) -> tuple[int, int]:
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    decisions = (
        db.execute("SELECT count(*) FROM decisions").fetchone()[0] if "decisions" in tables else 0
    )
    runs = db.execute("SELECT count(*) FROM run_log").fetchone()[0] if "run_log" in tables else 0
    return int(decisions), int(runs)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n} B"


__all__ = ["Backup", "back_up"]


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}" + ("" if n == 1 else "s")
