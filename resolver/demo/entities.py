"""The true customers of the demo world, as integer-coded numpy columns.

Every attribute is an array over entities, so the systems' rows are made by
fancy indexing and the hard negatives (households, common names, franchises)
are written by copying codes between entities.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from nicknames import NickNamer

from resolver.demo import vocab
from resolver.demo._util import EXPORT_DAY, cat, lower, table, weighted, where
from resolver.normalize.email import normalize_email

FIRST = table([n for n, _ in vocab.FIRST_NAMES])
LAST = table(vocab.SURNAMES)
CITY = table([c[0] for c in vocab.CITIES])
STATE = table([c[1] for c in vocab.CITIES])
ZIP3 = table([c[2] for c in vocab.CITIES])
AREA = table([c[3] for c in vocab.CITIES])
BRANCH = table([c[4] for c in vocab.CITIES])
STREET = table(vocab.STREET_NAMES)
SUFFIX = table([s for s, _ in vocab.STREET_SUFFIXES])
SUFFIX_LONG = table([s for _, s in vocab.STREET_SUFFIXES])
DIRECTION = table([d for d, _ in vocab.DIRECTIONS])
DIRECTION_LONG = table([d for _, d in vocab.DIRECTIONS])
# Business stems: the invented ones, then surname stems ("Johnson Dental").
STEM = table(list(vocab.BUSINESS_STEMS) + list(vocab.SURNAMES[:150]))
KIND = table(vocab.BUSINESS_KINDS)
LEGAL = table(vocab.LEGAL_SUFFIXES)
QUALIFIER = table(vocab.FRANCHISE_QUALIFIERS)
UNIT_KIND = table(["", "Apt", "Unit", "#", "Ste"])
UNIT_LETTER = table(["", "A", "B", "C", "D"])
DOMAIN = table([d for d, _ in vocab.PERSON_EMAIL_DOMAINS])
BIZ_LOCAL = table(vocab.BUSINESS_EMAIL_LOCALS)


def _nickname_tables() -> tuple[list[tuple[str, ...]], np.ndarray]:
    """Per first name: its nicknames (sorted, title case); and a matrix saying which
    first names are the same name or nicknames of one another."""
    namer = NickNamer()
    names = [n.lower() for n in FIRST]
    groups = []
    nicks: list[tuple[str, ...]] = []
    for name in names:
        own = set(namer.nicknames_of(name))
        canon = set(namer.canonicals_of(name))
        groups.append({name} | own | canon)
        nicks.append(tuple(sorted(n.title() for n in own if len(n) > 1 and n != name)))
    related = np.array([[bool(a & b) for b in groups] for a in groups])
    return nicks, related


NICKNAMES, RELATED_FIRST = _nickname_tables()
HAS_NICKNAME = np.array([len(n) > 0 for n in NICKNAMES])


@dataclass
class Entities:
    """Integer-coded true customers; index i is entity ``C{i+1:06d}``."""

    is_biz: np.ndarray
    first: np.ndarray
    last: np.ndarray
    company: np.ndarray  # object: company name or ""
    city: np.ndarray
    zip2: np.ndarray  # last two digits of the ZIP after the city's ZIP3
    zip4: np.ndarray
    street_no: np.ndarray
    street_dir: np.ndarray
    street: np.ndarray
    suffix: np.ndarray
    unit_kind: np.ndarray
    unit_no: np.ndarray
    unit_letter: np.ndarray
    exch: np.ndarray
    line: np.ndarray
    email: np.ndarray  # object, lower case
    since: np.ndarray  # day the customer first appeared
    household_of: np.ndarray  # head entity of a household member, else -1
    common_group: np.ndarray  # id of a same-name-same-city group, else -1
    franchise_group: np.ndarray  # id of a franchise/branch business group, else -1

    @property
    def n(self) -> int:
        return len(self.is_biz)

    def take(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Row-level copies of every attribute for entity indices ``idx``."""
        return {f.name: getattr(self, f.name)[idx].copy() for f in fields(self)}


def street_address(rng: np.random.Generator, n: int, is_biz: np.ndarray) -> dict[str, np.ndarray]:
    """Street number, direction, name, suffix and unit codes for ``n`` addresses."""
    unit_kind = np.zeros(n, dtype=np.int64)
    has_unit = rng.random(n) < np.where(is_biz, 0.35, 0.15)
    unit_kind[has_unit] = np.where(
        is_biz[has_unit], 4, weighted(rng, [6, 3, 1], int(has_unit.sum())) + 1
    )
    return {
        "street_no": np.minimum(9999, (10 ** rng.uniform(0.3, 4.0, n)).astype(np.int64) + 1),
        "street_dir": weighted(rng, vocab.DIRECTION_WEIGHTS, n),
        "street": rng.integers(0, len(STREET), n),
        "suffix": weighted(rng, vocab.STREET_SUFFIX_WEIGHTS, n),
        "unit_kind": unit_kind,
        "unit_no": rng.integers(1, 40, n) * np.where(is_biz, 10, 1) + np.where(is_biz, 100, 0),
        "unit_letter": np.where(rng.random(n) < 0.4, rng.integers(1, 5, n), 0),
        "zip2": rng.integers(0, 100, n),
        "zip4": rng.integers(1, 10000, n),
    }


def phone_numbers(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exchange and line numbers of valid-looking US numbers (no N11, no 555)."""
    exch = rng.integers(201, 990, n)
    bad = (exch % 100 == 11) | (exch == 555)
    exch[bad] += 1
    return exch, rng.integers(0, 10000, n)


def person_emails(rng: np.random.Generator, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """first.last@gmail.com, flast@..., firstlast77@... in realistic proportions."""
    n = len(first)
    f = lower(FIRST[first])
    la = lower(LAST[last])
    digits = rng.integers(1, 100, n).astype(str).astype(object)
    style = weighted(rng, [35, 15, 15, 10, 15, 10], n)
    options = [
        cat(f, ".", la),
        cat(f, la),
        cat(lower(FIRST[first].astype(str).astype("U1").astype(object)), la),
        cat(f, "_", la),
        cat(f, ".", la, digits),
        cat(f, la, digits),
    ]
    local = np.choose(style, options)
    return cat(local, "@", DOMAIN[weighted(rng, [w for _, w in vocab.PERSON_EMAIL_DOMAINS], n)])


def _slug(values: np.ndarray) -> np.ndarray:

    s = pd.Series(values, dtype=object).str.lower().str.replace(r"[^a-z0-9]", "", regex=True)
    return s.to_numpy(dtype=object)


def make_entities(rng: np.random.Generator, n: int, counts: dict[str, int]) -> Entities:
    """``n`` true customers with households, common-name groups and franchises written in."""
    is_biz = rng.random(n) < 0.18
    first = weighted(rng, [w for _, w in vocab.FIRST_NAMES], n)
    last = weighted(rng, 1.0 / np.arange(1, len(LAST) + 1) ** 0.9, n)
    city = weighted(rng, [c[5] for c in vocab.CITIES], n)
    addr = street_address(rng, n, is_biz)
    exch, line = phone_numbers(rng, n)
    since = rng.integers(0, EXPORT_DAY - 20, n)
    stem = rng.integers(0, len(STEM), n)
    kind = rng.integers(0, len(KIND), n)
    legal = rng.integers(0, len(LEGAL), n)
    qualifier = np.full(n, -1)
    household_of = np.full(n, -1)
    common_group = np.full(n, -1)
    franchise_group = np.full(n, -1)

    persons = rng.permutation(np.flatnonzero(~is_biz))
    # Households: a member shares the head's surname, address and phone, not the first name.
    n_house = max(1, round(0.03 * len(persons)))
    heads, members = persons[:n_house], persons[n_house : 2 * n_house]
    household_of[members] = heads
    last[members] = last[heads]
    city[members] = city[heads]
    for key in addr:
        addr[key][members] = addr[key][heads]
    exch[members], line[members] = exch[heads], line[heads]
    candidates = weighted(rng, [w for _, w in vocab.FIRST_NAMES], n_house * 12).reshape(n_house, 12)
    ok = ~RELATED_FIRST[first[heads][:, None], candidates]
    first[members] = np.where(
        ok.any(axis=1),
        candidates[np.arange(n_house), ok.argmax(axis=1)],
        (first[heads] + 1) % len(FIRST),
    )
    counts["household_members"] = n_house

    # Several different people with one common name in one city ("John Smith", Chicago).
    pool = persons[2 * n_house :]
    top_first = np.argsort(-np.array([w for _, w in vocab.FIRST_NAMES]), kind="stable")[:12]
    n_groups = max(2, round(0.012 * len(persons) / 4))
    sizes = rng.integers(3, 6, n_groups)
    start = 0
    for g in range(n_groups):
        idx = pool[start : start + sizes[g]]
        start += sizes[g]
        if len(idx) < 2:
            break
        first[idx] = top_first[g % len(top_first)]
        last[idx] = (g // len(top_first)) % 8
        city[idx] = city[idx[0]]
        common_group[idx] = g
    counts["common_name_groups"] = int(common_group.max() + 1)
    counts["common_name_entities"] = int((common_group >= 0).sum())

    # Franchise / branch businesses: one name, " - North" / " - South", own address and phone.
    biz = rng.permutation(np.flatnonzero(is_biz))
    start, g = 0, 0
    n_franchise = max(4, round(0.10 * len(biz)))
    while start < min(n_franchise, len(biz) - 1):
        size = int(rng.integers(2, 5))
        idx = biz[start : start + size]
        start += size
        stem[idx], kind[idx], legal[idx] = stem[idx[0]], kind[idx[0]], legal[idx[0]]
        qualifier[idx] = rng.permutation(len(QUALIFIER))[: len(idx)]
        same_city = rng.random(len(idx)) < 0.5
        city[idx[same_city]] = city[idx[0]]
        franchise_group[idx] = g
        g += 1
    counts["franchise_groups"] = g
    counts["franchise_entities"] = int((franchise_group >= 0).sum())

    has_legal = LEGAL[legal] != ""
    company = cat(STEM[stem], " ", KIND[kind])
    company = where(has_legal, cat(company, " ", LEGAL[legal]), company)
    company = where(
        qualifier >= 0, cat(company, " - ", QUALIFIER[np.maximum(qualifier, 0)]), company
    )
    company = where(is_biz, company, "")

    email = person_emails(rng, first, last)
    domain = cat(_slug(cat(STEM[stem], KIND[kind])), ".com")
    biz_local = where(
        qualifier >= 0,
        lower(QUALIFIER[np.maximum(qualifier, 0)]),
        BIZ_LOCAL[rng.integers(0, len(BIZ_LOCAL), n)],
    )
    email = where(is_biz, cat(biz_local, "@", domain), email)
    email = _unique_emails(email)

    return Entities(
        is_biz=is_biz,
        first=first,
        last=last,
        company=company,
        city=city,
        exch=exch,
        line=line,
        email=email,
        since=since,
        household_of=household_of,
        common_group=common_group,
        franchise_group=franchise_group,
        **addr,
    )


def _unique_emails(email: np.ndarray) -> np.ndarray:
    """Make every entity's mailbox distinct (two people rarely share an address).

    Distinct as a mailbox, not only as text: gmail ignores dots, so
    "john.smith@gmail.com" and "johnsmith@gmail.com" are one mailbox and cannot belong
    to two people (resolver's ``email_key`` says the same)."""

    email = email.copy()
    keys = np.array([normalize_email(e).email_key for e in email], dtype=object)
    for round_ in range(5):
        dup = pd.Series(keys).duplicated(keep="first").to_numpy()
        if not dup.any():
            break
        idx = np.flatnonzero(dup)
        local, _, domain = zip(*(e.partition("@") for e in email[idx]), strict=True)
        tag = [i % 1000 if round_ == 0 else i for i in idx.tolist()]
        email[idx] = [f"{lo}{t}@{d}" for lo, t, d in zip(local, tag, domain, strict=True)]
        keys[idx] = [normalize_email(e).email_key for e in email[idx]]
    return email


__all__ = ["HAS_NICKNAME", "NICKNAMES", "RELATED_FIRST", "Entities", "make_entities"]
