"""A list's cursor is the decimal offset a previous page returned; anything else is a
422 (InvalidDecision), never a 500 — "²" is a digit to str.isdigit, not to int, and
an offset past BIGINT is no offset (both found by `make fuzz`)."""

from __future__ import annotations

import pytest

from resolver.errors import InvalidDecision
from resolver.review.page_cursor import page_offset


@pytest.mark.parametrize("cursor", ["²", "٣", "1e3", "-1", " 5", "", "9" * 19])
def test_text_no_page_returned_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidDecision, match="next_cursor a previous page returned"):
        page_offset(cursor)


def test_offsets_read_back() -> None:
    assert page_offset(None) == 0 and page_offset("0") == 0 and page_offset("50") == 50
