"""The run clock: the system clock, or a given start advancing with it."""

from __future__ import annotations

from datetime import datetime

import pytest

from resolver.clock import Clock, parse_as_of, utc_now


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2025-02-01", datetime(2025, 2, 1)),
        ("2025-02-01T02:00", datetime(2025, 2, 1, 2, 0)),
        ("2025-02-01T03:30:00+01:00", datetime(2025, 2, 1, 2, 30)),
    ],
)
def test_as_of_reads_a_date_or_a_time_as_naive_utc(text: str, want: datetime) -> None:
    assert parse_as_of(text) == want


def test_a_bad_as_of_says_what_to_write() -> None:
    with pytest.raises(ValueError, match="2025-02-01T02:00"):
        parse_as_of("last tuesday")


def test_a_clock_with_a_start_advances_from_it() -> None:
    start = datetime(2025, 2, 1, 2, 0)
    clock = Clock(start)
    first, second = clock.now(), clock.now()
    assert start <= first <= second
    assert clock.today().isoformat() == "2025-02-01"


def test_a_clock_without_a_start_is_the_system_clock_in_utc() -> None:
    before = utc_now()
    now = Clock().now()
    assert before <= now <= utc_now() and now.tzinfo is None
