"""What a full disk looks like, whichever layer hit it, and the one error it becomes.

A full disk reaches resolver as an ``OSError`` (``ENOSPC``, or ``EDQUOT`` for a quota),
as SQLite's ``database or disk is full`` (the journal) or as DuckDB's ``IO Error: ...
No space left on device`` (the store). :func:`is_disk_full` recognises each, anywhere
in an exception's chain; :class:`~resolver.errors.DiskFull` is what callers see: the
CLI prints it as one line, the API answers 507.
"""

from __future__ import annotations

import errno
import sqlite3

import duckdb

from resolver.errors import DiskFull

_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_TEXTS = ("no space left on device", "database or disk is full", "disk quota exceeded")


def is_disk_full(exc: BaseException | None) -> bool:
    """True when ``exc``, or any exception it was raised from or during, is a full disk."""
    return _full_in_chain(exc) is not None


def disk_full(exc: BaseException, *, writing: str) -> DiskFull:
    """The DiskFull error for a full disk met while writing ``writing``."""
    found = _full_in_chain(exc) or exc
    if isinstance(found, DiskFull):
        return found
    first = str(found).splitlines()[0] if str(found) else type(found).__name__
    return DiskFull(f"the disk is full writing {writing} ({first}): free space and try again")


def _full_in_chain(exc: BaseException | None) -> BaseException | None:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFull):
            return exc
        if isinstance(exc, OSError) and exc.errno in _ERRNOS:
            return exc
        if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) == 13:
            return exc  # SQLITE_FULL
        if isinstance(exc, sqlite3.Error | duckdb.Error | OSError) and any(
            t in str(exc).lower() for t in _TEXTS
        ):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None
