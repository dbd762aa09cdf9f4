"""Extra attributes: text made comparable, nothing more."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resolver.normalize.extra import normalize_extra, normalize_extra_column


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  North  West ", "north west"),
        ("Zoë", "zoe"),
        ("M0012345", "m0012345"),
        ("1987-05-01", "1987-05-01"),
        (62704.0, "62704"),  # a CSV reader's float
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_extra(value: object, expected: str | None) -> None:
    assert normalize_extra(value) == expected


@given(st.text())
def test_normalize_extra_is_idempotent_and_never_raises(text: str) -> None:
    once = normalize_extra(text)
    assert once is None or normalize_extra(once) == once


def test_the_column_form_agrees_and_keeps_nulls() -> None:
    values = pd.Series(["A  b", None, "A  b", ""])
    assert normalize_extra_column(values).tolist() == ["a b", None, "a b", None]
