"""Person names: split, clean, key.

``normalize_name(raw)`` parses a single-line name ("Smith, John Jr.",
"Dr. Jane A. Doe"); ``normalize_name_parts(first, last)`` cleans split fields.
Both return a ``NameResult`` with the fields of ``NAME_COLUMNS``.

Conventions:

* lower case, accents folded ("José" -> "jose"), apostrophes and periods
  removed ("O'Brien" -> "obrien"); other punctuation becomes a space.
* hyphenated surnames stay one token with the hyphen: "Smith-Jones" ->
  "smith-jones" (the phonetic key drops the hyphen).
* "Mc Donald" / "Mac Donald" -> "mcdonald" / "macdonald"; particles before the
  surname stay in it: "Ludwig van Beethoven" -> last "van beethoven".
* titles (mr, mrs, ms, miss, mx, dr, prof, rev, ...) go to ``name_title``;
  generational suffixes (jr, sr, ii, iii, iv) to ``name_suffix``; post-nominals
  (md, phd, esq, ...) are dropped.
* a single word is taken as the last name ("Smith" -> last "smith").
* ``first_name_key``: a nickname-aware canonical first name (bob, rob, robert
  -> robert), mapped only where unambiguous: two formal names are never joined
  (emily, amy and amelia stay apart; 'mat' is martha or mathew, so it stays);
  ``*_phonetic``: jellyfish metaphone of the name without spaces
  and hyphens.
* a value that reads as a company ("ACME PLUMBING LLC") gives
  ``name_is_company=True`` and no person fields.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import jellyfish
import pandas as pd

from resolver.normalize._distinct import (
    WorkerPool,
    as_text,
    fixpoint,
    fold_accents,
    over_distinct,
)
from resolver.normalize.company import looks_like_company
from resolver.normalize.first_name_key import first_name_key

NAME_COLUMNS = (
    "first_name_norm",
    "middle_name_norm",
    "last_name_norm",
    "name_title",
    "name_suffix",
    "full_name_norm",
    "first_name_key",
    "first_name_phonetic",
    "last_name_phonetic",
    "name_is_company",
)

_TITLES = {
    "mr": "mr",
    "mister": "mr",
    "mrs": "mrs",
    "missus": "mrs",
    "ms": "ms",
    "miss": "miss",
    "mx": "mx",
    "dr": "dr",
    "doctor": "dr",
    "prof": "prof",
    "professor": "prof",
    "rev": "rev",
    "reverend": "rev",
    "fr": "fr",
    "father": "fr",
    "sir": "sir",
    "dame": "dame",
    "hon": "hon",
    "sgt": "sgt",
    "capt": "capt",
    "col": "col",
    "lt": "lt",
    "gen": "gen",
    "pastor": "pastor",
}
_SUFFIXES = {
    "jr": "jr",
    "junior": "jr",
    "sr": "sr",
    "senior": "sr",
    "ii": "ii",
    "2nd": "ii",
    "iii": "iii",
    "3rd": "iii",
    "iv": "iv",
    "4th": "iv",
}
_POSTNOMINALS = frozenset(
    [
        "md",
        "phd",
        "esq",
        "dds",
        "dmd",
        "cpa",
        "rn",
        "do",
        "jd",
        "mba",
        "pe",
        "dvm",
        "od",
        "np",
        "pa",
    ]
)
_PARTICLES = frozenset(
    [
        "van",
        "von",
        "de",
        "der",
        "den",
        "del",
        "della",
        "di",
        "da",
        "du",
        "la",
        "le",
        "dos",
        "das",
        "st",
        "ter",
        "ten",
        "bin",
        "ibn",
        "al",
        "el",
    ]
)
# 'Mc Donald' -> 'mcdonald' ("O'Brien" -> 'obrien' by dropping the apostrophe; a lone
# 'O' stays a middle initial: 'John O Smith')
_JOIN_NEXT = frozenset(["mc", "mac"])

_APOS_DOT = re.compile(r"[.'’‘`´]")
# anything but letters, digits, hyphen and comma becomes a space
_OTHER = re.compile(r"[^\w,\-]|_")
_HYPHENS = re.compile(r"\s*-+\s*")
_EDGE_HYPHEN = re.compile(r"(?:^|(?<=[\s,]))-+|-+(?=[\s,]|$)")
_SPACES = re.compile(r"\s+")


class NameResult(NamedTuple):
    first_name_norm: str | None
    middle_name_norm: str | None
    last_name_norm: str | None
    name_title: str | None
    name_suffix: str | None
    full_name_norm: str | None
    first_name_key: str | None
    first_name_phonetic: str | None
    last_name_phonetic: str | None
    name_is_company: bool


_MISSING = NameResult(None, None, None, None, None, None, None, None, None, False)
_COMPANY = NameResult(None, None, None, None, None, None, None, None, None, True)


@lru_cache(maxsize=65536)  # first and last names repeat across many full names
def _phonetic(value: str | None) -> str | None:
    if not value:
        return None
    flat = value.replace(" ", "").replace("-", "")
    if not flat.isascii() or not flat.isalpha():
        flat = "".join(ch for ch in flat if ch.isascii() and ch.isalpha())
    return jellyfish.metaphone(flat) or None if flat else None


# words of a-z/0-9 split by single spaces, ', ' or '-': a fixed point of _clean_once
_SETTLED = re.compile(r"[a-z0-9]+(?:(?:,? |,|-)[a-z0-9]+)*", re.ASCII)


def _clean(text: str) -> str:
    lower = text.lower()
    if text.isascii() and _SETTLED.fullmatch(lower):
        # 'John Smith', 'SMITH, JOHN': _clean_once only lowers such a text (it leaves a
        # _SETTLED text as it is), so this is its answer without the substitutions
        return lower
    once = _clean_once(text)
    if once == text or _SETTLED.fullmatch(once):
        return once  # fixpoint would only confirm it with a second pass
    return fixpoint(_clean_once, once, limit=4)  # fixpoint(_clean_once, text) in all


def _clean_once(text: str) -> str:
    text = fold_accents(text).lower()
    text = _APOS_DOT.sub("", text)  # "O'Brien" -> 'obrien', 'Jr.' -> 'jr'
    text = _OTHER.sub(" ", text)
    text = _HYPHENS.sub("-", text)  # 'Smith - Jones' -> 'smith-jones'
    text = _EDGE_HYPHEN.sub(" ", text)
    return _SPACES.sub(" ", text).strip(" ,")


def _join_prefixes(tokens: list[str], *, surname_only: bool = False) -> list[str]:
    """'ronald mc donald' -> 'ronald mcdonald'; in a surname-only list 'mc donald' too."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if (
            tok in _JOIN_NEXT
            and i + 1 < len(tokens)
            and (surname_only or (i > 0 and len(tokens) > 2))
        ):
            out.append(tok + tokens[i + 1])  # 'ronald mc donald' -> 'ronald mcdonald'
            i += 2
            continue
        out.append(tok)
        i += 1
    return out


def _strip_affixes(tokens: list[str]) -> tuple[list[str], str | None, str | None]:
    title = suffix = None
    while len(tokens) > 1 and tokens[0] in _TITLES:
        title = title or _TITLES[tokens[0]]
        tokens = tokens[1:]
    while len(tokens) > 1 and (tokens[-1] in _SUFFIXES or tokens[-1] in _POSTNOMINALS):
        if tokens[-1] in _SUFFIXES:
            suffix = suffix or _SUFFIXES[tokens[-1]]
        tokens = tokens[:-1]
    return tokens, title, suffix


def _split_natural(tokens: list[str]) -> tuple[str | None, str | None, str | None]:
    """first, middle, last from 'first middle... last' tokens."""
    if not tokens:
        return None, None, None
    if len(tokens) == 1:
        return None, None, tokens[0]
    last_start = len(tokens) - 1
    # 'ludwig van beethoven' -> last 'van beethoven'
    while last_start > 1 and tokens[last_start - 1] in _PARTICLES:
        last_start -= 1
    first = tokens[0]
    middle = " ".join(tokens[1:last_start]) or None
    return first, middle, " ".join(tokens[last_start:])


def _result(first, middle, last, title, suffix) -> NameResult:
    if middle and last and middle.rsplit(" ", 1)[-1] in _JOIN_NEXT:
        # 'smith, john mc' would read back as 'john mcsmith': join now, so it is idempotent
        head, _, tok = middle.rpartition(" ")
        middle, last = head or None, tok + last
    full = " ".join(p for p in (first, middle, last) if p) or None
    if full is None:
        return _MISSING._replace(name_title=title, name_suffix=suffix)
    return NameResult(
        first,
        middle,
        last,
        title,
        suffix,
        full,
        first_name_key(first),
        _phonetic(first),
        _phonetic(last),
        False,
    )


def _parse(text: str) -> NameResult:
    cleaned = _clean(text)
    parts = [p.split() for p in cleaned.split(",")]
    parts = [p for p in parts if p]
    if not parts:
        return _MISSING
    title = suffix = None
    # 'smith, john, jr' / 'john smith, jr' / 'smith, dr john': affix-only parts
    kept = []
    for p in parts:
        if all(t in _SUFFIXES or t in _POSTNOMINALS for t in p):
            suffix = suffix or next((_SUFFIXES[t] for t in p if t in _SUFFIXES), None)
        elif all(t in _TITLES for t in p):
            title = title or _TITLES[p[0]]
        else:
            kept.append(p)
    if not kept:
        # nothing but affixes: 'Jr' alone is a name, as it is after 'Dr Jr' -> 'jr'
        title = suffix = None
        kept = [[t for p in parts for t in p]]
    if len(kept) >= 2:
        # 'smith, john a jr' -> last 'smith', given 'john a'
        last_tokens, last_title, last_suffix = _strip_affixes(
            _join_prefixes(kept[0], surname_only=True)
        )
        given = [t for p in kept[1:] for t in p]
        if all(t in _SUFFIXES for t in last_tokens):
            # 'Dr Jr, A': the "surname" is only a suffix -> read the rest as the name
            first, middle, last = _split_natural(_join_prefixes(given))
            suffix = suffix or _SUFFIXES[last_tokens[0]]
            return _result(first, middle, last, title or last_title, suffix)
        given, t2, s2 = _strip_affixes(given)
        given = _join_prefixes(given)  # as a re-read of 'first middle last' would
        title, suffix = title or t2 or last_title, suffix or s2 or last_suffix
        first = given[0] if given else None
        middle = " ".join(given[1:]) or None
        return _result(first, middle, " ".join(last_tokens), title, suffix)
    tokens, t2, s2 = _strip_affixes(_join_prefixes(kept[0]))
    first, middle, last = _split_natural(tokens)
    return _result(first, middle, last, title or t2, suffix or s2)


# a name as _parse writes full_name_norm: ASCII words of a-z/0-9 (inner hyphens) split
# by single spaces. Such a name reads back as itself unless a token is one _parse moves
# or joins (see _reads_as_itself).
_PLAIN_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?: [a-z0-9]+(?:-[a-z0-9]+)*)*", re.ASCII)


def _reads_as_itself(full: str) -> bool:
    """True when ``_parse(full).full_name_norm == full`` is sure without parsing.

    ``full`` is clean already (``_clean`` returns it as it is) and has no comma, so
    ``_parse`` reads it as one part of tokens; it keeps every token in its place unless
    a token is 'mc'/'mac' (joined to the next), the first is a title or the last a
    suffix or post-nominal (stripped). A single token always reads as itself.
    'john a smith' -> True; 'dr john smith', 'john smith jr', 'ronald mc donald' -> False.
    """
    if not _PLAIN_NAME.fullmatch(full):
        return False
    tokens = full.split(" ")
    if len(tokens) == 1:
        return True
    if tokens[0] in _TITLES or tokens[-1] in _SUFFIXES or tokens[-1] in _POSTNOMINALS:
        return False
    return _JOIN_NEXT.isdisjoint(tokens)


def normalize_name(raw: object) -> NameResult:
    """Parse and normalize a single-line person name; never raises.

    >>> normalize_name("Smith, John Jr.")[:6]
    ('john', None, 'smith', None, 'jr', 'john smith')
    """
    text = as_text(raw)
    if text is None:
        return _MISSING
    if looks_like_company(text):
        return _COMPANY
    try:
        result = _parse(text)
        # the normalized name is a fixed point: re-reading it gives itself, even for
        # degenerate inputs such as 'Dr Jr, A Sr' where affixes stand in for names
        for _ in range(3):
            if result.full_name_norm is None or _reads_as_itself(result.full_name_norm):
                break  # the re-read would give the name back (most names take this exit)
            again = _parse(result.full_name_norm)
            if again.full_name_norm == result.full_name_norm:
                break
            result = again._replace(
                name_title=result.name_title or again.name_title,
                name_suffix=result.name_suffix or again.name_suffix,
            )
        return result
    except Exception:  # pragma: no cover - a last guard: names never raise
        return _MISSING


def split_first(raw: object) -> tuple[str | None, str | None, str | None]:
    """A first-name field -> (title, first, middle): 'Dr. John A' -> ('dr', 'john', 'a')."""
    text = as_text(raw)
    if text is None:
        return None, None, None
    tokens = _clean(text).replace(",", " ").split()
    tokens, title, _ = _strip_affixes(tokens)
    if not tokens or (len(tokens) == 1 and tokens[0] in _TITLES):
        return (_TITLES.get(tokens[0]) if tokens else None), None, None
    return title, tokens[0], " ".join(tokens[1:]) or None


def split_last(raw: object) -> tuple[str | None, str | None]:
    """A last-name field -> (last, suffix): 'Smith Jr.' -> ('smith', 'jr')."""
    text = as_text(raw)
    if text is None:
        return None, None
    tokens = _join_prefixes(_clean(text).replace(",", " ").split(), surname_only=True)
    tokens, _, suffix = _strip_affixes(tokens)
    if not tokens:
        return None, suffix
    if len(tokens) == 1 and tokens[0] in _SUFFIXES:
        return None, _SUFFIXES[tokens[0]]
    return " ".join(tokens), suffix


def normalize_name_parts(first: object, last: object) -> NameResult:
    """Normalize split first/last fields; never raises.

    >>> normalize_name_parts("JOHN", "Smith Jr.")[:6]
    ('john', None, 'smith', None, 'jr', 'john smith')
    """
    if looks_like_company(first) or looks_like_company(last):
        return _COMPANY  # 'ACME PLUMBING' / 'LLC' in the name fields
    title, first_n, middle = split_first(first)
    last_n, suffix = split_last(last)
    return _result(first_n, middle, last_n, title, suffix)


def normalize_name_parts_columns(first: pd.Series, last: pd.Series) -> pd.DataFrame:
    """Split-field form: each field over its own distinct values, assembled per row.

    Equals ``normalize_name_parts(first, last)`` row by row.
    """
    f = over_distinct(
        first,
        lambda v: (*split_first(v), looks_like_company(v)),
        ("title", "first", "middle", "company"),
    )
    f_key = over_distinct(f["first"], lambda v: (first_name_key(v), _phonetic(v)), ("k", "p"))
    la = over_distinct(
        last, lambda v: (*split_last(v), looks_like_company(v)), ("last", "suffix", "company")
    )
    l_ph = over_distinct(la["last"], lambda v: (_phonetic(v),), ("p",))
    rows = []
    for title, fn, mid, fco, key, fph, ln, suf, lco, lph in zip(
        f["title"].to_numpy(),
        f["first"].to_numpy(),
        f["middle"].to_numpy(),
        f["company"].to_numpy(),
        f_key["k"].to_numpy(),
        f_key["p"].to_numpy(),
        la["last"].to_numpy(),
        la["suffix"].to_numpy(),
        la["company"].to_numpy(),
        l_ph["p"].to_numpy(),
        strict=True,
    ):
        if fco or lco:
            rows.append(_COMPANY)
            continue
        full = " ".join(p for p in (fn, mid, ln) if p) or None
        if full is None:
            rows.append(_MISSING._replace(name_title=title, name_suffix=suf))
        else:
            rows.append(NameResult(fn, mid, ln, title, suf, full, key, fph, lph, False))
    return pd.DataFrame(rows, columns=list(NAME_COLUMNS), index=first.index, dtype=object)


def normalize_name_column(series: pd.Series, *, pool: WorkerPool | None = None) -> pd.DataFrame:
    """Column form of ``normalize_name`` over distinct values (``NAME_COLUMNS``)."""
    return over_distinct(series, normalize_name, NAME_COLUMNS, pool=pool)
