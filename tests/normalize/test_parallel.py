"""The fast paths: worker processes, combined-key distinct values, plain-text shortcuts.

Each must give exactly what the plain serial, per-value path gives.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolver.normalize import (
    CUSTOMER_OUTPUT_COLUMNS,
    _distinct,
    address,
    email,
    name,
    normalize_address,
    normalize_customer_frame,
    normalize_line_address_columns,
    normalize_split_address_columns,
)
from resolver.normalize._distinct import (
    WorkerPool,
    fixpoint,
    over_distinct,
    over_distinct_rows,
    resolve_workers,
)

FIRST = ["John", "BOB", "Mary-Kate", "José", None, "Dr. Jane", "  "]
LAST = ["Smith Jr.", "o'brien", "Mc Donald", None, "ACME PLUMBING", "van Beethoven"]
NAMES = ["Smith, John", "Jane Q. Doe", "Joe's Heating and Air", "DR:JR", None, "x"]
COMPANIES = ["The Smith Plumbing Co.", "ACME, L.L.C.", None, "", "Jones & Sons"]
STREETS = ["123 N Main St", "9 Elm Drive Apt 2", "PO Box 12", "One Main Street", None, ":"]
CITIES = ["Springfield", "St. Louis", "CHICAGO", None]
STATES = ["IL", "Ill.", "MO", "ZZ", None]
ZIPS = ["62704", "62704-1234", "2108", "abc", None]
LINES = [
    "123 North Main Street Apt 4B, Springfield, IL 62704-1234",
    "55 W Monroe Suite 200 Chicago IL 60603",
    "10 Downing Street, London, SW1A 2AA, United Kingdom",
    "garbage!!",
    None,
]
PHONES = ["(312) 555-1234 x12", "312.555.0134", "+44 20 7946 0958", "000-000-0000", None]
EMAILS = ["Jane.Doe+crm@GMIAL.com", "mailto: x@y.org", "n/a", "bad@", None]


def _frame(n: int) -> pd.DataFrame:
    """n rows cycling through the lists above, with a counter so most values are distinct."""
    rows = []
    for i in range(n):
        k = i * 7919 % 10_007
        rows.append(
            {
                "name": NAMES[i % len(NAMES)] if i % 3 else None,
                "first_name": FIRST[i % len(FIRST)] if i % 3 == 0 else None,
                "last_name": LAST[i % len(LAST)] if i % 3 == 0 else None,
                "company": COMPANIES[i % len(COMPANIES)],
                "email": f"user{k}.{EMAILS[i % len(EMAILS)]}" if i % 4 else EMAILS[i % 5],
                "phone": f"(312) 555-{k % 10000:04d}" if i % 2 else PHONES[i % len(PHONES)],
                "address": f"{k} {LINES[i % len(LINES)]}" if i % 2 else None,
                "street": f"{k} {STREETS[i % len(STREETS)]}" if i % 2 == 0 else None,
                "unit": "Apt 3" if i % 7 == 0 else None,
                "city": CITIES[i % len(CITIES)] if i % 2 == 0 else None,
                "state": STATES[i % len(STATES)] if i % 2 == 0 else None,
                "postal_code": ZIPS[i % len(ZIPS)] if i % 2 == 0 else None,
                "country": "US" if i % 5 == 0 else None,
            }
        )
    return pd.DataFrame(rows, index=pd.RangeIndex(100, 100 + n))


@pytest.fixture
def low_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every kind to the workers, however few its distinct values."""
    monkeypatch.setattr(_distinct, "MIN_PARALLEL", 1)


def _in_a_fresh_process(check: str) -> None:
    """Run ``check`` (a function of this module) in an interpreter of its own, as the CLI
    runs: the workers are forked, and this test process holds other tests' threads
    (servers, browsers, Splink's scorer), which a forked child must not inherit."""
    if not WorkerPool(2).parallel:
        pytest.skip("no fork or a single CPU here")
    here = Path(__file__).resolve()
    code = f"import sys; sys.path.insert(0, {str(here.parent)!r}); import {here.stem} as t; t.{check}()"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=here.parents[2],
        env={**os.environ, "PYTHONPATH": str(here.parents[2])},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def check_parallel_frame_equals_serial() -> None:
    _distinct.MIN_PARALLEL = 1  # every kind goes to the workers, however few its values
    df = _frame(400)
    serial = normalize_customer_frame(df, workers=1)
    parallel = normalize_customer_frame(df, workers=2)
    assert list(parallel.columns) == list(CUSTOMER_OUTPUT_COLUMNS)
    pd.testing.assert_frame_equal(parallel, serial)
    for col in serial.columns:  # None stays None (assert_frame_equal lets NaN match None)
        assert list(map(type, parallel[col])) == list(map(type, serial[col])), col


def check_parallel_pool_really_uses_workers() -> None:
    _distinct.MIN_PARALLEL = 1
    values = [f"({i % 900 + 100}) 555-{i:04d}" for i in range(2000)]
    with WorkerPool(2) as pool:
        assert pool.parallel
        results = pool.submit_map(_tag_with_pid, values, 1)()  # module-level: it pickles
    tagged = list(results[0][:-1])
    assert [t.rsplit("|", 1)[0] for t in tagged] == [v.upper() for v in values]
    pids = {t.rsplit("|", 1)[1] for t in tagged}
    assert pids and str(os.getpid()) not in pids  # every value went to a worker process


def test_parallel_frame_equals_serial() -> None:
    _in_a_fresh_process("check_parallel_frame_equals_serial")


def test_parallel_pool_really_uses_workers() -> None:
    _in_a_fresh_process("check_parallel_pool_really_uses_workers")


def _upper(value: str) -> tuple[str]:
    return (value.upper(),)


def _tag_with_pid(value: str) -> tuple[str]:
    return (f"{value.upper()}|{os.getpid()}",)


def test_serial_pool_starts_no_process() -> None:
    with WorkerPool(1) as pool:
        assert list(pool.submit_map(_upper, ["a", "b"] * 60_000, 1)()[0][:2]) == ["A", "B"]
        assert pool._executor is None


def test_resolve_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESOLVER_WORKERS", "1")
    assert resolve_workers() == 1
    assert resolve_workers(1) == 1
    monkeypatch.setenv("RESOLVER_WORKERS", "nonsense")
    assert resolve_workers() == 1
    monkeypatch.delenv("RESOLVER_WORKERS")
    assert 1 <= resolve_workers() <= 64
    assert resolve_workers(0) == 1
    assert resolve_workers(10_000) >= 1


def test_env_switch_keeps_frame_serial(
    monkeypatch: pytest.MonkeyPatch, low_threshold: None
) -> None:
    monkeypatch.setenv("RESOLVER_WORKERS", "1")
    started = []
    monkeypatch.setattr(WorkerPool, "executor", lambda self: started.append(1))
    normalize_customer_frame(_frame(50))
    assert started == []


def test_over_distinct_rows_equals_tuple_keys() -> None:
    a = pd.Series(["x", None, "x", "y", np.nan, "y", "x"], index=list("abcdefg"), dtype=object)
    b = pd.Series(["1", "1", "1", None, None, "2", "1"], index=a.index, dtype=object)
    out = over_distinct_rows([a, b], lambda k: (k[0], k[1], f"{k}"), ("a", "b", "k"))
    assert list(out.index) == list(a.index)
    expected = [(x if isinstance(x, str) else None, y) for x, y in zip(a, b, strict=True)]
    assert list(zip(out["a"], out["b"], strict=True)) == expected
    empty = over_distinct_rows([a[:0], b[:0]], lambda k: (1,), ("one",))
    assert len(empty) == 0 and list(empty.columns) == ["one"]


def test_over_distinct_keeps_missing_and_types() -> None:
    s = pd.Series(["a", None, np.nan, "a", "b"], dtype=object)
    out = over_distinct(s, lambda v: (v is None, v), ("missing", "v"))
    assert out["missing"].tolist() == [False, True, True, False, False]
    assert out["v"].tolist()[:2] == ["a", None]
    assert over_distinct(s[:0], lambda v: (v,), ("v",)).empty


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from([x for x in LINES if x]), st.text(max_size=12)),
            st.one_of(st.none(), st.sampled_from(["Apt 3", "#4", "Unit"])),
            st.one_of(st.none(), st.sampled_from(["US", "Canada", "UK"])),
        ),
        max_size=15,
    )
)
def test_line_address_columns_equal_scalar(keys):
    cols = [pd.Series([k[i] for k in keys], dtype=object) for i in range(3)]
    out = normalize_line_address_columns(*cols, default_country="US")
    assert [tuple(r) for r in out.itertuples(index=False)] == [
        tuple(normalize_address(a, unit=u, country=c)) for a, u, c in keys
    ]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.sampled_from(STREETS), st.text(max_size=10)),
            st.sampled_from(["Apt 3", None, "#"]),
            st.sampled_from(CITIES),
            st.one_of(st.sampled_from(STATES), st.text(max_size=3)),
            st.one_of(st.sampled_from(ZIPS), st.text(max_size=6)),
            st.sampled_from([None, "US", "Canada", "Germany", "ZZ"]),
        ),
        max_size=15,
    )
)
def test_split_address_columns_equal_scalar(rows):
    cols = [pd.Series([r[i] for r in rows], dtype=object) for i in range(6)]
    for default in ("US", "CA"):
        out = normalize_split_address_columns(*cols, default_country=default)
        assert [tuple(r) for r in out.itertuples(index=False)] == [
            tuple(
                normalize_address(
                    street=s,
                    unit=u,
                    city=c,
                    state=t,
                    postal_code=z,
                    country=k,
                    default_country=default,
                )
            )
            for s, u, c, t, z, k in rows
        ]


TEXT = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="abcXYZ019 ,.-'#@+_", max_size=20),
    st.from_regex(r"[A-Za-z0-9]{1,6}(,? [A-Za-z0-9]{1,6}){0,3}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9._+-]{1,8}@[A-Za-z0-9.-]{0,8}[A-Za-z]", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_plain_text_shortcuts_equal_full_cleaning(text):
    # the regex substitutions the shortcuts skip, applied in full
    full_address = address._SPACES.sub(
        " ",
        address._COMMAS.sub(
            ", ",
            address._OTHER.sub(
                " ",
                address._HASH.sub(
                    "# ", address._DROP.sub("", _distinct.fold_accents(text).upper())
                ),
            ),
        ),
    ).strip(" ,")
    assert address._clean(text) == full_address
    assert name._clean(text) == fixpoint(name._clean_once, text)
    if text.strip():
        stripped = text.strip()
        full_email = email._MAILTO.sub("", stripped)
        angle = email._ANGLE.search(full_email)
        if angle:
            full_email = angle.group(1)
        full_email = email._SPACES.sub(
            "", email._WRAP.sub("", email._MAILTO.sub("", full_email))
        ).lower()
        assert email._clean(stripped) == full_email
