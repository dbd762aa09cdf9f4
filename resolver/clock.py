"""The time a run reads: one clock for its run log, its report and its orphans' ages.

A run reads the system clock (UTC) unless it is given a start (``resolver run --as-of``):
then it reads that instant, advancing with the real clock, so replays and tests can run
one world night after night and the report compares each run with the one before.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta


def utc_now() -> datetime:
    """The system clock in UTC, without a time zone (how the store keeps times)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Clock:
    """``now()`` is ``start`` plus the time elapsed since the clock was made, or the
    system clock when there is no start."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start
        self._made = time.monotonic()

    def now(self) -> datetime:
        if self.start is None:
            return utc_now()
        return self.start + timedelta(seconds=time.monotonic() - self._made)

    def today(self) -> date:
        return self.now().date()


def parse_as_of(text: str) -> datetime:
    """'2025-02-01' (midnight) or '2025-02-01T02:00[:00][+01:00]' as naive UTC.
    Raises ValueError saying what is expected."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date or time; write 2025-02-01 or 2025-02-01T02:00"
        ) from None
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at
