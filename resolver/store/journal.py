"""The journal: reviewer decisions and the run log, in a SQLite file beside the store.

Why a second file: a batch run replaces the store file whole (build a new file,
then rename it over the old one), so that readers — the review API among them —
always see one complete run and are never locked out while a run works. Decisions
must outlive every such replacement and be writable while a run is building, from
any process: SQLite does exactly that (WAL, one writer at a time across
processes, readers never blocked). The journal is append-only; nothing in it is
ever updated except a run's own log line.

``<store>.duckdb`` -> ``<store>.journal.sqlite``
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from resolver.clock import utc_now
from resolver.errors import Conflict
from resolver.store.disk_full import disk_full, is_disk_full
from resolver.store.fair_lock import FairLock

BUILDING_SUFFIX = ".building"  # the next run's file, renamed over the store when done
TRAINING_SUFFIX = ".training"  # training's scratch file, never published
# the error a run stopped from outside (a kill, Ctrl-C) is logged with
INTERRUPTED = "interrupted"
WORK_SUFFIXES = (BUILDING_SUFFIX, TRAINING_SUFFIX)

DECISION_COLUMNS = (
    "decision_id",
    "object",
    "action",
    "record_keys",
    "groups",
    "record_hashes",
    "record_values",
    "undoes",
    "expectation",
    "proposal_id",
    "proposal_version",
    "reviewer",
    "reason",
    "decided_at",
    "batch_id",
    "golden",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
  decision_id INTEGER PRIMARY KEY AUTOINCREMENT,
  object TEXT NOT NULL,            -- customer | invoice
  action TEXT NOT NULL,            -- accept | reject | split | undo | link | expected
  record_keys TEXT NOT NULL,       -- JSON list: every record the decision concerns
  groups TEXT,                     -- split: JSON list of record-key lists (a partition)
  record_hashes TEXT NOT NULL,     -- JSON {record_key: row_hash} when decided
  record_values TEXT,              -- JSON {record_key: {field: value}} when decided
  undoes INTEGER,                  -- undo: the decision it reverses
  expectation TEXT,                -- orphan resolutions: the expectation concerned
  proposal_id TEXT,
  proposal_version TEXT,
  reviewer TEXT NOT NULL,
  reason TEXT,
  decided_at TEXT NOT NULL,
  batch_id TEXT,                   -- decisions made together in one step (a bulk accept)
  golden TEXT                      -- accept: JSON {golden field: record_key} a reviewer picked
);
CREATE INDEX IF NOT EXISTS decisions_proposal ON decisions (proposal_id);
CREATE TABLE IF NOT EXISTS run_log (
  run_id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL,            -- running | complete | failed
  summary TEXT
);
"""

# after the columns exist (a journal older than them gains them first)
_DECIDED_AT_INDEX = "CREATE INDEX IF NOT EXISTS decisions_day ON decisions (decided_at)"

_LOCK = FairLock()  # this process's writers, in turn


def journal_path(store_path: Path | str) -> Path:
    """The journal beside a store (a run's building file and training's scratch file
    share their store's journal)."""
    p = Path(store_path)
    name = p.name
    for suffix in WORK_SUFFIXES:
        name = name.removesuffix(suffix)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return p.with_name(f"{stem}.journal.sqlite")


def _now() -> str:
    return _stamp(None)


def _stamp(at: datetime | None) -> str:
    """A time as the journal keeps it (naive UTC, to the microsecond); None: now."""
    at = at or utc_now()
    return at.isoformat(sep=" ", timespec="microseconds")


class Journal:
    """Decisions and the run log of one store."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._cache: tuple[Any, pd.DataFrame] | None = None
        self._readers = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)
            have = {r[1] for r in db.execute("PRAGMA table_info(decisions)").fetchall()}
            if "batch_id" not in have:  # a journal written before bulk decisions
                db.execute("ALTER TABLE decisions ADD COLUMN batch_id TEXT")
            if "golden" not in have:  # a journal written before golden-record picks
                db.execute("ALTER TABLE decisions ADD COLUMN golden TEXT")
            db.execute(_DECIDED_AT_INDEX)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            yield db
        except (sqlite3.Error, OSError) as exc:
            if is_disk_full(exc):  # the transaction rolled back: nothing was written
                raise disk_full(exc, writing=f"the journal {self.path}") from exc
            raise
        finally:
            db.close()

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """Writers of every process, one at a time, woken in turn by the kernel
        (``flock`` on ``<journal>.lock``). SQLite would serialize them too, but a
        writer that finds the file locked sleeps and retries on a growing backoff,
        which under load leaves decisions waiting for hundreds of milliseconds."""
        try:
            import fcntl
        except ImportError:  # not POSIX: SQLite's own locking alone
            yield
            return
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _reader(self) -> sqlite3.Connection:
        """This thread's own read connection, kept open (WAL: readers see every commit,
        of any process, made before their statement starts)."""
        db = getattr(self._readers, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._readers.db = db
        return db

    # -- decisions ---------------------------------------------------------------
    def last_decision_id(self) -> int:
        """The newest decision's id (0 with none): decisions are numbered in order."""
        row = self._reader().execute("SELECT max(decision_id) FROM decisions").fetchone()
        return int(row[0] or 0)

    def decided_since(self, start: str) -> list[tuple[str, int]]:
        """(proposal id, decision id) of every decision on a proposal taken at or after
        ``start`` (a ``decided_at`` prefix such as "2026-03-01"): one indexed query."""
        cur = self._reader().execute(
            "SELECT proposal_id, decision_id FROM decisions "
            "WHERE decided_at >= ? AND proposal_id IS NOT NULL",
            [start],
        )
        return [(str(p), int(d)) for p, d in cur.fetchall()]

    def decision_rows(self, *, after: int = 0) -> list[dict[str, Any]]:
        """Decisions numbered above ``after``, oldest first, as stored (JSON text)."""
        cur = self._reader().execute(
            f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions WHERE decision_id > ? "
            "ORDER BY decision_id",
            [after],
        )
        return [dict(zip(DECISION_COLUMNS, r, strict=True)) for r in cur.fetchall()]

    def append_decision(
        self,
        row: dict[str, Any],
        *,
        expect: tuple[str, int] | None = None,
        expect_last_on: tuple[str, str, int] | None = None,
    ) -> int:
        """Append one decision; with ``expect=(proposal_id, n)`` only if that proposal
        still has exactly n decisions (optimistic concurrency), else Conflict. With
        ``expect_last_on=(expectation, record_key, decision_id)`` only if the newest
        decision on that orphan is still ``decision_id`` (0: none), else Conflict."""
        if expect_last_on is None:
            return self.append_decisions([row], expects=[expect])[0]
        return self._append(
            [row], [expect], check=lambda db: self._check_last_on(db, *expect_last_on)
        )[0]

    def last_decision_on(self, expectation: str, record_key: str) -> int:
        """The newest decision (a resolution or its undo) on the orphan of ``record_key``
        under ``expectation``; 0 with none."""
        return self._last_on(self._reader(), expectation, record_key)

    @staticmethod
    def _last_on(db: sqlite3.Connection, expectation: str, record_key: str) -> int:
        row = db.execute(
            "SELECT max(decision_id) FROM decisions WHERE expectation = ? "
            "AND EXISTS (SELECT 1 FROM json_each(decisions.record_keys) WHERE value = ?)",
            [expectation, record_key],
        ).fetchone()
        return int(row[0] or 0)

    def _check_last_on(
        self, db: sqlite3.Connection, expectation: str, record_key: str, seen: int
    ) -> None:
        if self._last_on(db, expectation, record_key) != seen:
            raise Conflict(
                f"the orphan of {record_key} under {expectation} was resolved or undone meanwhile"
            )

    def append_decisions(
        self,
        rows: list[dict[str, Any]],
        *,
        expects: list[tuple[str, int] | None] | None = None,
    ) -> list[int]:
        """Append several decisions in one transaction: all of them or none. Each
        ``expects[i]`` is checked as in :meth:`append_decision`."""
        expects = expects if expects is not None else [None] * len(rows)
        if len(expects) != len(rows):
            raise ValueError("expects must have one entry per row")
        return self._append(rows, expects)

    def _append(
        self,
        rows: list[dict[str, Any]],
        expects: list[tuple[str, int] | None],
        *,
        check: Callable[[sqlite3.Connection], None] | None = None,
    ) -> list[int]:
        cols = [c for c in DECISION_COLUMNS if c != "decision_id"]
        prepared = [_row_values(row) for row in rows]
        ids: list[int] = []
        with _LOCK, self._writer_turn(), self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # one writer across processes from here
            try:
                if check is not None:
                    check(db)
                for values, expect in zip(prepared, expects, strict=True):
                    if expect is not None:
                        n = db.execute(
                            "SELECT count(*) FROM decisions WHERE proposal_id = ?", [expect[0]]
                        ).fetchone()[0]
                        if n != expect[1]:
                            raise Conflict(f"proposal {expect[0]} was decided meanwhile")
                    cur = db.execute(
                        f"INSERT INTO decisions ({', '.join(cols)}) VALUES "
                        f"({', '.join('?' for _ in cols)})",
                        [values[c] for c in cols],
                    )
                    ids.append(int(cur.lastrowid))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return ids

    def decisions(self, obj: str | None = None) -> pd.DataFrame:
        """Decisions (of one object, or all), oldest first; lists decoded.

        The whole table is cached until a decision is appended (by any process): the
        journal is append-only, so the newest id tells whether anything changed.
        """
        db = self._reader()
        stamp = self.last_decision_id()
        if self._cache is None or self._cache[0] != stamp:
            df = pd.read_sql_query(
                f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions ORDER BY decision_id", db
            )
            self._cache = (stamp, _decode(df))
        df = self._cache[1]
        return df[df["object"] == obj].reset_index(drop=True) if obj else df.copy()

    # -- run log -----------------------------------------------------------------
    def start_run(
        self,
        *,
        after: int = 0,
        published: dict[int, dict[str, Any]] | None = None,
        at: datetime | None = None,
    ) -> int:
        """Log a new run as running (numbered after ``after`` and every logged run),
        started ``at`` (default: now, UTC).

        ``published`` is the store's own word on its runs (run id -> its ``runs`` row):
        a run it holds as complete is logged complete — one killed between putting its
        file in place and logging that — and runs a killed job left running become failed.
        """
        with _LOCK, self._writer_turn(), self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            _reconcile(db, published or {})
            db.execute(
                "UPDATE run_log SET status = 'failed', summary = ? WHERE status = 'running'",
                [json.dumps({"error": INTERRUPTED})],
            )
            last = db.execute("SELECT coalesce(max(run_id), 0) FROM run_log").fetchone()[0]
            run_id = max(int(last), int(after)) + 1
            db.execute(
                "INSERT INTO run_log (run_id, started_at, status) VALUES (?, ?, 'running')",
                [run_id, _stamp(at)],
            )
            db.execute("COMMIT")
            return int(run_id)

    def end_run(self, run_id: int, status: str, summary: dict[str, Any]) -> None:
        with _LOCK, self._writer_turn(), self._connect() as db:
            db.execute(
                "UPDATE run_log SET status = ?, finished_at = ?, summary = ? WHERE run_id = ?",
                [status, _now(), json.dumps(summary, default=str, sort_keys=True), run_id],
            )

    def runs(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT run_id, started_at, finished_at, status, summary FROM run_log "
                "ORDER BY run_id DESC"
            ).fetchall()
        return [
            {
                "run_id": r[0],
                "started_at": r[1],
                "finished_at": r[2],
                "status": r[3],
                "summary": json.loads(r[4] or "{}"),
            }
            for r in rows
        ]


def _reconcile(db: sqlite3.Connection, published: dict[int, dict[str, Any]]) -> None:
    """Log every run the store holds as complete as complete (the store is the truth:
    its run was published; only the log line after it was lost, or the whole journal)."""
    if not published:
        return
    marks = ",".join("?" for _ in published)
    agree = {
        int(r[0])
        for r in db.execute(
            f"SELECT run_id FROM run_log WHERE status = 'complete' AND run_id IN ({marks})",
            list(published),
        ).fetchall()
    }
    for run_id in sorted(set(published) - agree):
        run = published[run_id]
        db.execute(
            "INSERT OR REPLACE INTO run_log (run_id, started_at, finished_at, status, summary) "
            "VALUES (?, ?, ?, 'complete', ?)",
            [
                run_id,
                str(run["started_at"]),
                str(run["finished_at"]),
                json.dumps(run["summary"], default=str, sort_keys=True),
            ],
        )


def members_key(hashes: dict[str, str]) -> str:
    """The hash of a set of records and their data: what a decision was taken on.

    Proposals carry the same hash (computed in SQL), so a decision applies to a
    proposal exactly while its members and their data are unchanged.
    """

    text = "|".join(f"{k}={hashes[k]}" for k in sorted(hashes))
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _row_values(row: dict[str, Any]) -> dict[str, Any]:
    """A decision as the journal stores it (lists and mappings as JSON text)."""
    values = {c: None for c in DECISION_COLUMNS} | row
    values.pop("decision_id", None)
    values["record_keys"] = json.dumps(list(values["record_keys"]))
    values["record_hashes"] = json.dumps(values.get("record_hashes") or {}, sort_keys=True)
    values["record_values"] = json.dumps(
        values.get("record_values") or {}, sort_keys=True, default=str
    )
    if values.get("groups") is not None and not isinstance(values["groups"], str):
        values["groups"] = json.dumps(values["groups"])
    if values.get("golden") is not None and not isinstance(values["golden"], str):
        values["golden"] = (
            json.dumps(values["golden"], sort_keys=True) if values["golden"] else None
        )
    values["decided_at"] = str(values.get("decided_at") or _now())
    return values


def _decode(df: pd.DataFrame) -> pd.DataFrame:
    """Lists decoded."""
    df["record_keys"] = [json.loads(v) for v in df["record_keys"]]
    df["undoes"] = df["undoes"].astype("Int64")
    return df
