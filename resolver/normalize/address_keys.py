"""Address match keys that survive what the USPS-style columns drop.

* ``postal_key(zip5, postal)``: the postal code of any country, upper case,
  without spaces, dashes or dots ("SW1A 1AA" -> "SW1A1AA", a 4-digit
  Australian "2602"); a US code is its ZIP5. ``zip5`` is filled for the US only,
  so a foreign postcode was otherwise lost to matching.
* ``street_core(addr_street)``: the street name without its type, directionals,
  house number or unit, lower case: "S LA CIENEGA BLVD" -> "la cienega". When
  stripping would leave nothing ("NORTH ST"), the name word stays ("north").

Both are pure and never raise; ``postal_key`` is idempotent. ``street_core``
strips one of each (type, directionals), so a street named after a type word
keeps it ("OLD MILL WAY" -> "old mill").
"""

from __future__ import annotations

import re

from resolver.normalize._address_tables import DIRECTIONALS, SUFFIXES

_NOT_ALNUM = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")
_POSTAL_LEN = (3, 10)  # shortest (Faroe '100') to longest


def postal_key(zip5: str | None, postal: str | None) -> str | None:
    """'62701' for a US ZIP, else the code compacted: 'sw1a 1aa' -> 'SW1A1AA'.

    A value without a digit ('N/A', 'UNKNOWN') or of an odd length is no postal code.
    """
    if zip5:
        return zip5
    if not postal or not isinstance(postal, str):
        return None
    tokens = postal.split()
    while len(tokens) > 1 and tokens[0].isalpha():
        tokens.pop(0)  # a region the line parser left in front: 'ON M5V 2T6', 'ACT 2602'
    compact = _NOT_ALNUM.sub("", "".join(tokens)).upper()
    if not compact.isascii() or not _DIGIT.search(compact):
        return None
    low, high = _POSTAL_LEN
    return compact if low <= len(compact) <= high else None


def _strip(tokens: list[str]) -> list[str]:
    """Drop a trailing directional, then the street type, then a leading directional,
    each only while a word is left. One of each: 'OLD MILL WAY' keeps 'OLD MILL'."""
    if len(tokens) > 1 and tokens[-1] in DIRECTIONALS:
        tokens.pop()
    if len(tokens) > 1 and tokens[-1] in SUFFIXES:
        tokens.pop()
    if len(tokens) > 1 and tokens[0] in DIRECTIONALS:
        tokens.pop(0)
    return tokens


def street_core(addr_street: str | None) -> str | None:
    """'S LA CIENEGA BLVD' -> 'la cienega'; 'N MAIN ST' -> 'main'; 'NORTH ST' -> 'north'.

    ``addr_street`` is the normalizer's street column (house number and unit
    already split off). A PO box keeps its text ('po box 12').
    """
    if not addr_street or not isinstance(addr_street, str):
        return None
    tokens = addr_street.upper().split()
    if not tokens:
        return None
    if tokens[:2] != ["PO", "BOX"]:
        tokens = _strip(tokens)
    return " ".join(tokens).lower()
