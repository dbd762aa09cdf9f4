"""FairLock: one holder at a time, and waiters served in the order they came."""

from __future__ import annotations

import threading
import time

import pytest

from resolver.store.fair_lock import FairLock


def test_waiters_are_served_in_arrival_order() -> None:
    lock = FairLock()
    order: list[int] = []
    lock.acquire()
    threads = []
    for i in range(8):
        t = threading.Thread(target=lambda i=i: (lock.acquire(), order.append(i), lock.release()))
        t.start()
        threads.append(t)
        time.sleep(0.02)  # each is queued before the next arrives
    lock.release()
    for t in threads:
        t.join(timeout=10)
    assert order == list(range(8))


def test_mutual_exclusion_under_contention() -> None:
    lock, inside, worst = FairLock(), [0], [0]

    def work() -> None:
        for _ in range(200):
            with lock:
                inside[0] += 1
                worst[0] = max(worst[0], inside[0])
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert worst[0] == 1


def test_releasing_an_unheld_lock_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        FairLock().release()
