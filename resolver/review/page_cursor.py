"""The cursor of a paged list (proposals, orphans sorted by money): the offset of the
next page, as the decimal text a previous page returned."""

from __future__ import annotations

import re

from resolver.errors import InvalidDecision

# ASCII digits only ("²" is a digit to str.isdigit, not to int), at most 18 of them
# (an offset beyond any store, that still fits DuckDB's BIGINT)
_CURSOR = re.compile(r"[0-9]{1,18}")


def page_offset(cursor: str | None) -> int:
    """The offset ``cursor`` stands for (0 without one); InvalidDecision (a 422) for
    any text a previous page could not have returned."""
    if cursor is None:
        return 0
    if not _CURSOR.fullmatch(cursor):
        raise InvalidDecision("cursor must be the next_cursor a previous page returned")
    return int(cursor)
