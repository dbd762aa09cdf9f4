"""Splitting one cleaned address line into raw parts (street, unit, city, state,
postal code, country): the comma rules first, usaddress as the fallback.

Internal to ``address``: the input is already cleaned (upper case, ', ' between
pieces) and the parts are standardized there.
"""

from __future__ import annotations

import re

import usaddress

from resolver.normalize._address_tables import COUNTRIES, STATE_CODES, STATES, UNITS

_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
_ZIP_SHORT = re.compile(r"^\d{3,4}$")  # '2134' lost its leading zero in a spreadsheet
_ORDINAL_FLOOR = re.compile(r"^(\d+)(?:ST|ND|RD|TH)$")
_CA_FSA = re.compile(r"[A-Z]\d[A-Z]")  # a Canadian postal code's halves: 'M5V 2T6'
_CA_LDU = re.compile(r"\d[A-Z]\d")


def _is_unit_piece(piece: str) -> bool:
    first = piece.split(" ", 1)[0]
    return first in UNITS or bool(
        _ORDINAL_FLOOR.match(first) and piece.endswith(("FL", "FLR", "FLOOR"))
    )


def _split_state_zip(tokens: list[str]) -> tuple[list[str], str | None, str | None]:
    """Pop a trailing ZIP and state from tokens: ['SPRINGFIELD', 'IL', '62704'] -> (['SPRINGFIELD'], 'IL', '62704')."""
    postal = None
    short = False
    if tokens and (_ZIP.match(tokens[-1]) or _ZIP_SHORT.match(tokens[-1])):
        short = _ZIP.match(tokens[-1]) is None
        postal = tokens.pop()
    elif len(tokens) >= 2 and _CA_FSA.fullmatch(tokens[-2]) and _CA_LDU.fullmatch(tokens[-1]):
        postal = f"{tokens[-2]} {tokens[-1]}"  # a Canadian 'M5V 2T6'
        del tokens[-2:]
    for width in (3, 2, 1):
        if len(tokens) >= width:
            cand = " ".join(tokens[-width:])
            if (width == 1 and cand in STATE_CODES) or cand in STATES:
                del tokens[-width:]
                return tokens, cand, postal
    if short and postal:
        # '1 123': a 3-4 digit tail is a ZIP that lost its zero only after a state ('MA 2108')
        return [*tokens, postal], None, None
    return tokens, None, postal


def _line_parts(text: str) -> tuple[dict[str, str | None], bool]:
    """Split a cleaned single line into raw parts; the bool says the rules understood it."""
    pieces = [p for p in text.split(", ") if p]
    parts: dict[str, str | None] = dict.fromkeys(
        ("street", "unit", "city", "state", "postal", "country")
    )
    if len(pieces) > 1 and pieces[-1] in COUNTRIES:
        parts["country"] = pieces.pop()
    foreign = parts["country"] is not None and COUNTRIES[parts["country"]] != "US"
    if foreign and len(pieces) >= 3 and not _split_state_zip(pieces[-1].split())[1]:
        # '10 DOWNING STREET, LONDON, SW1A 2AA': street, city, postal code
        parts["street"], parts["city"] = pieces[0], pieces[1]
        parts["postal"] = " ".join(pieces[2:])
        return parts, True
    if pieces:
        tail = pieces[-1].split()
        rest, state, postal = _split_state_zip(tail)
        if state or postal:
            parts["state"], parts["postal"] = state, postal
            pieces.pop()
            if rest:
                pieces.append(" ".join(rest))
            if len(pieces) >= 2:
                parts["city"] = pieces.pop()
            elif rest:
                return parts | {"street": pieces[0] if pieces else None}, False
        elif (
            len(pieces) >= 2
            and not any(ch.isdigit() for ch in pieces[-1])
            and not _is_unit_piece(pieces[-1])
        ):
            parts["city"] = pieces.pop()  # '123 MAIN ST, SPRINGFIELD'
    streets, units = [], []
    for piece in pieces:
        (units if _is_unit_piece(piece) else streets).append(piece)
    parts["street"] = " ".join(streets) or None
    parts["unit"] = " ".join(units) or None
    return parts, True


_USADDRESS_PARTS = {
    "PlaceName": "city",
    "StateName": "state",
    "ZipCode": "postal",
    "CountryName": "country",
    "OccupancyType": "unit",
    "OccupancyIdentifier": "unit",
    "SubaddressType": "unit",
    "SubaddressIdentifier": "unit",
}


def _usaddress_parts(text: str) -> dict[str, str | None] | None:
    """The usaddress fallback: its labelled tokens mapped onto our raw parts."""
    try:
        labelled = usaddress.parse(text)
    except Exception:
        return None
    parts: dict[str, list[str]] = {}
    for token, label in labelled:
        key = _USADDRESS_PARTS.get(label, "street")
        parts.setdefault(key, []).append(token.strip(","))
    out = {k: " ".join(v) or None for k, v in parts.items()}
    if out.get("city") in STATES and not out.get("state"):
        out["state"], out["city"] = out["city"], None  # usaddress read 'ILLINOIS' as a city
    return out
