"""Progress reporting for long stages: silent in the library, tqdm bars in the CLI."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator

from tqdm import tqdm

Advance = Callable[[int], None]


class Progress:
    """Silent progress: the library default. Subclasses draw bars or log."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.notes: list[str] = []

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


class BarProgress(Progress):
    """A tqdm bar per stage on stderr (hidden when stderr is not a terminal, unless forced)."""

    def __init__(self, *, force: bool = False) -> None:
        super().__init__()
        self._bar = None
        self._disable = not (force or sys.stderr.isatty())

    def _open(self, name: str, total: int | None, unit: str) -> Advance:

        self._bar = tqdm(
            total=total,
            desc=f"{name:<12}",
            unit=f" {unit}",
            unit_scale=True,
            leave=True,
            disable=self._disable,
            file=sys.stderr,
            dynamic_ncols=True,
        )
        return self._bar.update

    def note(self, message: str) -> None:
        super().note(message)

        tqdm.write(message, file=sys.stderr)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class LineProgress(Progress):
    """One line per stage start and end on stderr: for cron logs and pipes."""

    def note(self, message: str) -> None:
        super().note(message)
        print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)

    def _open(self, name: str, total: int | None, unit: str) -> Advance:
        self._name, self._started = name, time.perf_counter()
        size = f" ({total:,} {unit})" if total else ""
        print(f"{time.strftime('%H:%M:%S')} {name} started{size}", file=sys.stderr, flush=True)
        return lambda n=1: None

    def _close(self) -> None:
        took = time.perf_counter() - self._started
        print(
            f"{time.strftime('%H:%M:%S')} {self._name} done in {took:.1f}s",
            file=sys.stderr,
            flush=True,
        )


def cli_progress() -> Progress:
    """Bars on a terminal, lines otherwise."""
    return BarProgress() if sys.stderr.isatty() else LineProgress()
