"""One run at a time per store: an exclusive ``flock`` on ``<store>.lock``.

The lock is the kernel's: it is held exactly while the process holding it lives, so
a held lock always belongs to a live run and a dead run's lock is free the moment it
dies (no stale-lock guessing). The file's JSON text — pid, host, command, start
time — is only for the message a refused run prints; whoever takes the lock
rewrites it.

Training takes the same kind of lock on its own scratch file (``<store>.training.lock``):
it never writes the store or a run's building file, so it may work beside a run, but
two trainings would overwrite each other's scratch.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from resolver.errors import StoreBusy

LOCK_SUFFIX = ".lock"
_POLL_SECONDS = 0.2
_HELD: set[int] = set()  # lock descriptors this process holds


def _close_in_child() -> None:
    """A forked child (the normalizers' worker processes) must not keep the lock alive:
    a flock lasts while any descriptor of it is open, and a worker orphaned by a
    killed run could otherwise hold the store for ever."""
    for fd in list(_HELD):
        with suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


def lock_path(store_path: Path | str, suffix: str = "") -> Path:
    """``<store><suffix>.lock``: the run lock (``suffix=""``) or another work file's."""
    p = Path(store_path)
    return p.with_name(p.name + suffix + LOCK_SUFFIX)


def read_holder(path: Path) -> dict[str, Any]:
    """What the lock file says about its holder ({} if it says nothing readable)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def describe(holder: dict[str, Any]) -> str:
    if not holder:
        return "another process (its details are not written yet)"
    return (
        f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, "
        f"started {holder.get('started', '?')}"
    )


def holder_is_gone(store_path: Path | str) -> bool:
    """Whether no live process holds the store's run lock, judged without touching the
    lock (taking it, even briefly, could make a starting run refuse): the file names no
    holder (released), or names a process of this host that no longer exists (killed).
    A holder on another host cannot be checked: it counts as live."""
    holder = read_holder(lock_path(store_path))
    if not holder:
        return True
    if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
        return False
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@contextmanager
def hold(
    store_path: Path | str,
    *,
    wait: float = 0.0,
    command: str = "run",
    suffix: str = "",
) -> Iterator[dict[str, Any]]:
    """Hold the store's lock for the ``with`` block, or raise StoreBusy naming the
    holder — at once, or after waiting up to ``wait`` seconds for it."""

    path = lock_path(store_path, suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    waited = f" after waiting {wait:g}s" if wait > 0 else ""
                    holder = read_holder(path)
                    # the holder's command (a run refusing an ingest), else our own kind
                    held_by = holder.get("command") or command
                    raise StoreBusy(
                        f"store {store_path} is in use by another {held_by}{waited}: "
                        f"{describe(holder)}; lock {path}"
                        + ("" if wait > 0 else " (use --wait SECONDS to wait for it)")
                    ) from None
                time.sleep(_POLL_SECONDS)
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": command,
        }
        _HELD.add(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode("utf-8"), 0)
        try:
            yield holder
        finally:
            os.ftruncate(fd, 0)  # released: a reader finds no holder to name
    finally:
        _HELD.discard(fd)
        os.close(fd)  # closing the last descriptor releases the flock
