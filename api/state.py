"""What the app holds for its lifetime: the store handle and the matcher."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from api.settings import Settings
from resolver import store
from resolver.errors import NotFound, StoreError
from resolver.matching import Matcher
from resolver.review import ReviewView
from resolver.review.view_file import open_view
from resolver.store import runs as store_runs

log = logging.getLogger("resolver.api")


class StoreHandle:
    """A read-only connection to the store file, reopened when a run replaces the file.

    A batch run builds a new file and renames it over the live one; the handle
    notices (inode / mtime / size change) on the next request and reopens. Each
    request reads through its own ``cursor()`` (DuckDB cursors are thread-safe to
    use one per thread), or through the :class:`ReviewView` of the file: the files
    written beside it at publish, memory-mapped (every worker process shares their
    pages), or read into memory once per file when there are none. Decisions go to the journal beside the file (SQLite).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._marker: tuple | None = None
        self._retry = 0.0
        self._view: ReviewView | None = None
        self.generation = 0

    def _current_stamp(self) -> tuple[int, int, int]:
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise StoreError(f"store {self.path} is not readable: {exc}") from exc
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def stale(self) -> bool:
        """Has the file been replaced since it was opened (or was it never opened)?"""
        return self._con is None or self._current_stamp() != self._stamp

    def connection(self) -> duckdb.DuckDBPyConnection:
        stamp = self._current_stamp()
        if self._con is not None and stamp == self._stamp:
            return self._con
        with self._lock:
            if self._con is not None and (stamp == self._stamp or time.monotonic() < self._retry):
                return self._con
            # Drop our reference without closing (requests in flight keep their cursors);
            # DuckDB frees the old file's instance once its last cursor is gone, and only
            # then does a new connect see the new file. (The view holds no connection.)
            self._con = None
            gc.collect()
            con = store.connect(self.path, read_only=True)
            marker = store_runs.marker(con)
            if self._stamp is not None and marker == self._marker:
                self._retry = time.monotonic() + 1.0  # still the old instance: retry soon
            else:
                self._stamp, self._marker = stamp, marker
                self.generation += 1
                log.info("opened store %s (generation %d)", self.path, self.generation)
                self._view = None
                mapped = open_view(con, self.path)  # written at publish: shared, no copy
                if mapped is None:
                    log.warning("no review view beside %s: reading it into memory", self.path)
                self._view = ReviewView(con, mapped)
            self._con = con
            return con

    def view(self) -> ReviewView:
        """The review view of the current file (the review functions bring it up to
        date with the journal as they read)."""
        self.connection()
        view = self._view
        if view is None:
            raise StoreError(f"store {self.path} could not be read; retry")
        return view

    def cursor(self) -> duckdb.DuckDBPyConnection:
        con = self.connection()
        try:
            return con.cursor()
        except duckdb.Error as exc:  # closed under us by a reopen
            raise StoreError(f"store {self.path} was replaced during the request: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con, self._view = None, None


@dataclass
class AppState:
    settings: Settings
    store: StoreHandle
    matcher: Matcher | None = None
    matcher_error: str | None = None
    matcher_generation: int = -1  # the store generation the matcher was built from
    _matcher_lock: threading.Lock = field(default_factory=threading.Lock)
    _rebuilding: bool = False

    def build_matcher(self) -> None:
        """Load the matcher from the store (at start-up, and after a run replaced it).

        Whether it succeeds or not, it is then the attempt for the store generation it
        read: a failed one is not retried on every request, and a run replacing the
        file meanwhile starts another attempt."""
        cur = self.store.cursor()  # may reopen the file: read the generation after it
        generation = self.store.generation
        try:
            matcher = Matcher.from_store(
                cur,
                rules_dir=self.settings.rules_dir,
                models_dir=self.settings.models_dir,
                objects=self.settings.match_objects,
            )
            self.matcher, self.matcher_error = matcher, None
            self.matcher_generation = generation
        except Exception as exc:  # the API still serves everything else; /match says why
            log.exception("matcher could not be built")
            self.matcher_error = f"{type(exc).__name__}: {exc}"
            self.matcher, self.matcher_generation = None, generation
        finally:
            cur.close()

    def get_matcher(self) -> Matcher:
        """The matcher; when a run has replaced the store, a new one is built in the
        background and this one answers (from the run before) until it is ready."""
        if self.settings.match and self.store.generation != self.matcher_generation:
            self._rebuild_in_background()
        if self.matcher is None:
            raise NotFound(
                "matching is not available on this server"
                + (f": {self.matcher_error}" if self.matcher_error else "")
            )
        return self.matcher

    def _rebuild_in_background(self) -> None:
        with self._matcher_lock:
            if self._rebuilding:
                return
            self._rebuilding = True

        def rebuild() -> None:
            try:
                self.build_matcher()
            finally:
                self._rebuilding = False

        threading.Thread(target=rebuild, name="matcher-rebuild", daemon=True).start()
