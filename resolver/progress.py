"""Progress reporting for long stages: silent in the library; in the CLI one live line
on a terminal, dated lines (or JSON lines) with the run id under cron."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TextIO

Advance = Callable[[int], None]


class Progress:
    """Silent progress: the library default. Subclasses draw bars or log."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.notes: list[str] = []
        self.run_id: int | None = None  # set by the batch job once its run has an id

    @contextlib.contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "rows") -> Iterator[Advance]:
        """Time a stage; yields ``advance(n)`` to report n more units done."""
        started = time.perf_counter()
        try:
            yield self._open(name, total, unit)
        finally:
            self._close()
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

    def note(self, message: str) -> None:
        """A one-line remark about the work (a column with no comparison, a skipped
        training pass): kept in ``notes``; printed by the CLI's subclasses."""
        self.notes.append(message)

    def _open(self, name: str, total: int | None, unit: str) -> Advance:
        return lambda n=1: None

    def _close(self) -> None:
        pass

    def finish(self) -> None:
        """The work is over (a live display clears its line)."""


class LiveProgress(Progress):
    """One live line on a terminal, redrawn in place: stage n of N, rows, elapsed, time
    left. Notes print above it; the line is cleared when the work ends.

    ``expected_stages`` and ``expected_seconds`` come from the last run (None: unknown,
    then N grows as stages start and time left is the current stage's)."""

    def __init__(
        self,
        *,
        stream: TextIO | None = None,
        expected_stages: int | None = None,
        expected_seconds: float | None = None,
    ) -> None:
        super().__init__()
        self._out = stream or sys.stderr
        self._started = time.perf_counter()
        self._expected_stages = expected_stages
        self._expected_seconds = expected_seconds
        self._n = 0
        self._name, self._total, self._done, self._unit = "", None, 0, "rows"
        self._stage_started = self._started
        self._last_draw = 0.0

    def note(self, message: str) -> None:
        super().note(message)
        self._out.write("\r\x1b[K" + message + "\n")
        self._draw(force=True)

    def _open(self, name: str, total: int | None, unit: str) -> Advance:
        self._n += 1
        self._name, self._total, self._done, self._unit = name, total, 0, unit
        self._stage_started = time.perf_counter()
        self._draw(force=True)

        def advance(n: int = 1) -> None:
            self._done += n
            self._draw()

        return advance

    def _close(self) -> None:
        self._draw(force=True)

    def finish(self) -> None:
        """Clear the live line (the summary follows on a clean terminal)."""
        self._out.write("\r\x1b[K")
        self._out.flush()

    def line(self) -> str:
        now = time.perf_counter()
        elapsed = now - self._started
        n_of = max(self._expected_stages or 0, self._n)
        size = ""
        if self._total:
            size = f"  {self._done:,}/{self._total:,} {self._unit}"
        elif self._done:
            size = f"  {self._done:,} {self._unit}"
        left = ""
        if self._expected_seconds:
            left = f"  ~{max(self._expected_seconds - elapsed, 0):.0f}s left"
        elif self._total and self._done:
            rate = self._done / max(now - self._stage_started, 1e-6)
            left = f"  ~{(self._total - self._done) / rate:.0f}s left in stage"
        return f"[{self._n}/{n_of}] {self._name}{size}  {elapsed:.0f}s elapsed{left}"

    def _draw(self, *, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        self._out.write("\r\x1b[K" + self.line()[:200])
        self._out.flush()


class LineProgress(Progress):
    """One dated line per stage start and end, with the run id: for cron logs and pipes.
    ``fmt="json"`` writes each as one JSON object instead."""

    def __init__(self, *, stream: TextIO | None = None, fmt: str = "text") -> None:
        super().__init__()
        self._out = stream
        self._fmt = fmt
        self._open_stages: list[tuple[str, float]] = []

    def _emit(self, event: str, message: str, **extra: object) -> None:
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        out = self._out or sys.stderr
        if self._fmt == "json":
            doc = {"time": stamp, "run_id": self.run_id, "event": event, "message": message}
            print(json.dumps(doc | extra, default=str), file=out, flush=True)
        else:
            run = f"run {self.run_id} " if self.run_id is not None else ""
            print(f"{stamp} {run}{message}", file=out, flush=True)

    def note(self, message: str) -> None:
        super().note(message)
        self._emit("note", message)

    def _open(self, name: str, total: int | None, unit: str) -> Advance:
        self._open_stages.append((name, time.perf_counter()))
        size = f" ({total:,} {unit})" if total else ""
        self._emit("stage_start", f"{name} started{size}", stage=name, total=total)
        return lambda n=1: None

    def _close(self) -> None:
        name, started = self._open_stages.pop()
        took = time.perf_counter() - started
        self._emit("stage_end", f"{name} done in {took:.1f}s", stage=name, seconds=round(took, 2))


def cli_progress(
    log_format: str = "auto",
    *,
    expected_stages: int | None = None,
    expected_seconds: float | None = None,
) -> Progress:
    """A live line on a terminal, dated lines otherwise; ``log_format`` "json" (one JSON
    object per line) or "text" (dated lines) whatever the terminal."""
    if log_format == "json":
        return LineProgress(fmt="json")
    if log_format == "auto" and sys.stderr.isatty():
        return LiveProgress(expected_stages=expected_stages, expected_seconds=expected_seconds)
    return LineProgress()
