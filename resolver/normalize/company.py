"""Company names: legal form split off, a cleaned name and a matching key.

``normalize_company(raw)`` returns
``CompanyResult(company_norm, company_key, company_legal_form)``:

* ``company_norm``: lower case, accents folded, "&"/"+" -> "and", apostrophes
  and periods removed ("Joe's" -> "joes", "L.L.C." -> "llc"), other punctuation
  -> space, leading "the" dropped, legal forms removed.
* ``company_key``: ``company_norm`` without spaces and without the word "and",
  so "Smith Plumbing, LLC", "SMITH PLUMBING" and "The Smith Plumbing Co." share
  ``smithplumbing``. Branch words are kept ("Smith Plumbing - North" ->
  ``smithplumbingnorth``, "#2" -> ``2``), so branches of a franchise do not share a key.
* ``company_legal_form``: the canonical form(s) removed ("llc", "inc", "co ltd").

``looks_like_company(text)`` tells a company sitting in a person-name field.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd

from resolver.normalize._distinct import as_text, fixpoint, fold_accents, over_distinct

COMPANY_COLUMNS = ("company_norm", "company_key", "company_legal_form")

# spelled forms -> canonical legal form; dotted forms arrive here without dots ('l.l.c.' -> 'llc')
_LEGAL_FORMS: dict[str, str] = {
    "inc": "inc",
    "incorporated": "inc",
    "llc": "llc",
    "lc": "lc",
    "ltd": "ltd",
    "limited": "ltd",
    "corp": "corp",
    "corporation": "corp",
    "co": "co",
    "company": "co",
    "cos": "co",
    "lp": "lp",
    "llp": "llp",
    "lllp": "lllp",
    "pllc": "pllc",
    "pc": "pc",
    "pa": "pa",
    "gmbh": "gmbh",
    "ag": "ag",
    "kg": "kg",
    "sa": "sa",
    "sas": "sas",
    "sarl": "sarl",
    "srl": "srl",
    "spa": "spa",
    "bv": "bv",
    "nv": "nv",
    "plc": "plc",
    "pty": "pty",
    "oy": "oy",
    "ab": "ab",
    "as": "as",
    "aps": "aps",
    "kk": "kk",
    "sl": "sl",
    "sdn bhd": "sdn bhd",
    "bhd": "bhd",
    "ulc": "ulc",
    "lc.": "lc",
}
# two-word forms: 'limited liability company', 'l l c' (from 'L L C'), 'pty ltd' is two forms
_LEGAL_PHRASES: dict[tuple[str, ...], str] = {
    ("limited", "liability", "company"): "llc",
    ("limited", "liability", "partnership"): "llp",
    ("limited", "partnership"): "lp",
    ("professional", "corporation"): "pc",
    ("l", "l", "c"): "llc",
    ("l", "l", "p"): "llp",
    ("l", "p"): "lp",
    ("p", "c"): "pc",
    ("sdn", "bhd"): "sdn bhd",
}
# forms that never start or sit inside a real name, so they are removed anywhere after
# the first word: 'Smith Plumbing LLC - North' -> 'smith plumbing north' (legal form llc)
_UNAMBIGUOUS = frozenset(
    ["inc", "incorporated", "llc", "ltd", "corp", "corporation", "llp", "pllc", "gmbh", "plc"]
)
# words that mark a business in a person-name field; none is a common US surname
_BUSINESS_WORDS = frozenset(
    [
        # care, food, retail and professional trades that show up as customer names
        "dentistry",
        "orthodontics",
        "chiropractic",
        "veterinary",
        "animal",
        "pet",
        "pets",
        "pizza",
        "pizzeria",
        "grill",
        "diner",
        "tavern",
        "pub",
        "bistro",
        "kitchen",
        "catering",
        "brewing",
        "brewery",
        "winery",
        "inn",
        "laundromat",
        "laundry",
        "carwash",
        "fitness",
        "gym",
        "barbershop",
        "spa",
        "daycare",
        "childcare",
        "preschool",
        "learning",
        "center",
        "centre",
        "chapel",
        "ministry",
        "storage",
        "foods",
        "grocery",
        "hardware",
        "lumber",
        "law",
        "legal",
        "attorneys",
        "accounting",
        "cpa",
        "nursing",
        "healthcare",
        "rehab",
        "therapy",
        "optical",
        "eyecare",
        "club",
        "florist",
        "garage",
        "tires",
        "towing",
        "warehouse",
        "rentals",
        "rental",
        "living",
        "community",
        "plumbing",
        "heating",
        "cooling",
        "hvac",
        "air",
        "conditioning",
        "electric",
        "electrical",
        "electrician",
        "roofing",
        "landscaping",
        "lawn",
        "construction",
        "contractors",
        "contracting",
        "builders",
        "remodeling",
        "services",
        "service",
        "solutions",
        "enterprises",
        "enterprise",
        "holdings",
        "group",
        "associates",
        "partners",
        "sons",
        "bros",
        "brothers",
        "industries",
        "systems",
        "technologies",
        "tech",
        "consulting",
        "consultants",
        "restaurant",
        "cafe",
        "bakery",
        "store",
        "shop",
        "market",
        "auto",
        "automotive",
        "repair",
        "repairs",
        "cleaning",
        "cleaners",
        "supply",
        "supplies",
        "properties",
        "property",
        "realty",
        "management",
        "mgmt",
        "international",
        "global",
        "logistics",
        "trucking",
        "transport",
        "transportation",
        "motors",
        "dental",
        "clinic",
        "medical",
        "pharmacy",
        "hospital",
        "university",
        "college",
        "academy",
        "school",
        "ministries",
        "foundation",
        "insurance",
        "agency",
        "studio",
        "studios",
        "design",
        "media",
        "marketing",
        "productions",
        "manufacturing",
        "mfg",
        "distributors",
        "distribution",
        "wholesale",
        "imports",
        "exports",
        "farms",
        "apartments",
        "hotel",
        "motel",
        "salon",
        "pest",
        "painting",
        "flooring",
        "plumbers",
        "mechanical",
        "maintenance",
        "installations",
        "installation",
        "fencing",
        "paving",
        "excavating",
        "welding",
        "dept",
        "department",
        "office",
        "offices",
        "llc",
        "inc",
        "corp",
        "ltd",
        "pllc",
        "llp",
        "gmbh",
        "plc",
        "incorporated",
        "corporation",
        "company",
    ]
)
# letters, digits, spaces and commas (ASCII): the words are the lower-cased text split
_PLAIN = re.compile(r"[A-Za-z0-9 ,]*")
_DOTS_APOS = re.compile(r"[.'’`´]")
_AMP = re.compile(r"\s*[&+]\s*")
_PUNCT = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")
_LEGAL_HINT = re.compile(
    r"\b(?:inc|llc|l\.\s?l\.\s?c|ltd|corp|corporation|incorporated|llp|pllc|gmbh|plc)\b\.?",
    re.IGNORECASE,
)


class CompanyResult(NamedTuple):
    company_norm: str | None
    company_key: str | None
    company_legal_form: str | None


_MISSING = CompanyResult(None, None, None)


def _tokens(text: str) -> list[str]:
    if _PLAIN.fullmatch(text):
        # 'Smith, John', 'ACME PLUMBING': no accent, dot, apostrophe, '&' or '+', and
        # the comma is the only punctuation: what the substitutions below would give
        return text.lower().replace(",", " ").split()
    text = fold_accents(text).lower()
    text = _DOTS_APOS.sub("", text)  # 'L.L.C.' -> 'llc', "Joe's" -> 'joes'
    text = _AMP.sub(" and ", text)  # 'Smith & Sons' -> 'smith and sons'
    return _PUNCT.sub(" ", text).split()


def _strip_legal(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Remove legal forms from the end (and unambiguous ones after the first word)."""
    forms: list[str] = []
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for phrase, form in _LEGAL_PHRASES.items():
            n = len(phrase)
            if len(tokens) > n and tuple(tokens[-n:]) == phrase:
                tokens, changed = tokens[:-n], True
                forms.insert(0, form)
                break
        if not changed and tokens[-1] in _LEGAL_FORMS:
            forms.insert(0, _LEGAL_FORMS[tokens.pop()])
            changed = True
        if not changed and tokens[-1] == "and" and len(tokens) > 1:
            tokens, changed = tokens[:-1], True  # 'smith and co' -> 'smith and' -> 'smith'
    inner = [i for i, t in enumerate(tokens) if i > 0 and t in _UNAMBIGUOUS]
    for i in reversed(inner):
        if len(tokens) > 1:
            forms.insert(0, _LEGAL_FORMS[tokens.pop(i)])
    return tokens, forms


def _norm_tokens(tokens: list[str]) -> tuple[list[str], list[str]]:
    forms: list[str] = []
    while len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]  # 'The Smith Plumbing Co.' -> 'smith plumbing co'
    tokens, forms = _strip_legal(tokens)
    while len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    return tokens, forms


def _norm_text(text: str) -> str:
    tokens, _ = _norm_tokens(_tokens(text))
    return " ".join(tokens)


def normalize_company(raw: object) -> CompanyResult:
    """Normalize one company name; never raises.

    >>> normalize_company("The Smith Plumbing Co.")
    CompanyResult(company_norm='smith plumbing', company_key='smithplumbing', company_legal_form='co')
    """
    text = as_text(raw)
    if text is None:
        return _MISSING
    tokens, forms = _norm_tokens(_tokens(text))
    if not tokens:
        return _MISSING
    norm = fixpoint(_norm_text, " ".join(tokens))
    if not norm:
        return _MISSING
    words = norm.split()
    key_words = [w for w in words if w != "and"] or words
    legal = " ".join(dict.fromkeys(forms)) or None
    return CompanyResult(norm, "".join(key_words), legal)


def looks_like_company(text: object) -> bool:
    """True when a value reads as a business, not a person.

    >>> looks_like_company("Joe's Heating and Air"), looks_like_company("Smith, John")
    (True, False)
    """
    value = as_text(text)
    if value is None:
        return False
    if _LEGAL_HINT.search(value):
        return True
    tokens = _tokens(value)
    if not _BUSINESS_WORDS.isdisjoint(tokens):
        return True
    # 'Smith & Co', 'Jones Co.' : a trailing 'co'/'company' after another word
    if len(tokens) > 1 and tokens[-1] in ("co", "company", "corp", "lp", "pc"):
        return True
    # digits in a name field: 'A1 Movers 24', '7-Eleven'
    return len(tokens) > 1 and any(t.isdigit() for t in tokens)


def normalize_company_column(series: pd.Series) -> pd.DataFrame:
    """Column form over distinct values: company_norm, company_key, company_legal_form."""
    return over_distinct(series, normalize_company, COMPANY_COLUMNS)


def looks_like_company_column(series: pd.Series) -> pd.Series:
    """Column form of ``looks_like_company`` over distinct values (bool)."""
    out = over_distinct(series, lambda v: (looks_like_company(v),), ("is_company",))
    return out["is_company"].astype(bool)
