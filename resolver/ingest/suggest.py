"""What an admin probably meant: the closest column of a file's header, or the closest
canonical field, to a name a contract gives that does not exist.

Names are compared without case, spaces or punctuation (``E-mail`` is ``Email``), by
rapidfuzz's normalised Indel similarity; a guess is offered only when it is close
enough that a person would call it a typo, never for a name unlike every choice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz, process

MIN_SIMILARITY = 75.0  # out of 100: one slip in a short name, two in a long one
_NOT_A_LETTER = re.compile(r"[\W_]+")


def _plain(name: str) -> str:
    return _NOT_A_LETTER.sub("", name).lower()


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice ``name`` most probably meant, or None when none is close."""
    options = [c for c in dict.fromkeys(choices) if c != name]
    if not options:
        return None
    hit = process.extractOne(
        _plain(name),
        [_plain(c) for c in options],
        scorer=fuzz.ratio,
        score_cutoff=MIN_SIMILARITY,
    )
    return options[hit[2]] if hit else None


def did_you_mean(name: str, choices: Iterable[str], *, quote: bool = True) -> str:
    """``"; did you mean 'X'?"`` for the closest choice, or ``""``."""
    hit = closest(name, choices)
    if hit is None:
        return ""
    return f"; did you mean {hit!r}?" if quote else f"; did you mean {hit}?"
