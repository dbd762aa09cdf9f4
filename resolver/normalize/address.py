"""Postal addresses, United States first (USPS Publication 28), output in upper case.

``normalize_address(line, *, street=..., unit=..., city=..., state=...,
postal_code=..., country=..., default_country="US")`` takes either a single
line ("123 N Main St Apt 4B, Springfield, IL 62704-1234") or split fields and
returns an ``AddressResult`` with the fields of ``ADDRESS_COLUMNS``.

Output is upper case, USPS style: suffixes and directionals abbreviated
(Street -> ST, North -> N), units standardized (Apartment 4B -> APT 4B, #4B ->
# 4B), "P.O. Box 12" -> "PO BOX 12", number words at the start become digits
("One Main Street" -> "1 MAIN ST"), an "ST" before the street name is SAINT
("ST. JOHN ST" -> "SAINT JOHN ST"), city "ST LOUIS" -> "SAINT LOUIS".
``zip5``/``zip4`` are filled for US addresses only; other countries keep their
cleaned postal code in ``address_line``. A rule-based path handles the usual
comma-separated shapes; usaddress (a CRF, ~250 µs a call) is only the fallback
for a line whose street and city are not separated by a comma.
``address_reason``: None (parsed or missing), "unparsed", "invalid_zip",
"invalid_state".

``normalize_address_keys`` (and ``keys=True`` on the column forms) adds
``postal_norm`` (``address_keys.postal_key``: the postal code of any country).
"""

from __future__ import annotations

import re
from functools import partial
from typing import NamedTuple, TypedDict, Unpack

import numpy as np
import pandas as pd

from resolver.normalize._address_line import (
    _ORDINAL_FLOOR,
    _ZIP,
    _ZIP_SHORT,
    _line_parts,
    _usaddress_parts,
)
from resolver.normalize._address_tables import (
    COUNTRIES,
    DIRECTIONALS,
    NUMBER_WORDS,
    STATE_CODES,
    STATES,
    SUFFIXES,
    UNITS,
)
from resolver.normalize._distinct import (
    WorkerPool,
    as_text,
    fold_accents,
    over_distinct,
    over_distinct_rows,
)
from resolver.normalize.address_keys import postal_key

ADDRESS_COLUMNS = (
    "addr_house_number",
    "addr_street",
    "addr_unit",
    "city_norm",
    "state_norm",
    "zip5",
    "zip4",
    "country_norm",
    "address_line",
    "address_reason",
)

_DROP = re.compile(r"[.'’`\"]")  # 'P.O.' -> 'PO', 'St.' -> 'ST'
# '#4B' -> '# 4B'; keep '-' and '/' inside tokens ('123-A', '1/2')
_HASH = re.compile(r"#\s*")
_OTHER = re.compile(r"[^\w#,/\-]|_")
_SPACES = re.compile(r"\s+")
_COMMAS = re.compile(r"\s*[,;]+\s*")
# 'PO BOX 12', 'P O BOX 12', 'POST OFFICE BOX 12', 'POB 12', 'BOX 12'
_PO_BOX = re.compile(
    r"^(?:P\s?O\s?B(?:OX)?|POST\s+OFFICE\s+BOX|P\s?O\s+BOX|BOX)\s*#?\s*([A-Z0-9-]+)\b\s*(.*)$"
)
_HOUSE = re.compile(r"^(?:\d+[A-Z]?(?:-\d*[A-Z]?)?|\d+/\d+|[A-Z]\d+)$")
_CONTENT = re.compile(r"[A-Za-z0-9#/-]")
_HALF = re.compile(r"\d/\d")
_SAINT = {"ST": "SAINT", "FT": "FORT", "MT": "MOUNT"}
# address_line spells a foreign country out: a trailing 'CA' would read as California
_COUNTRY_NAMES: dict[str, str] = {}
for _name, _code in COUNTRIES.items():
    if len(_name) > 3:
        _COUNTRY_NAMES.setdefault(_code, _name)


class AddressResult(NamedTuple):
    addr_house_number: str | None
    addr_street: str | None
    addr_unit: str | None
    city_norm: str | None
    state_norm: str | None
    zip5: str | None
    zip4: str | None
    country_norm: str | None
    address_line: str | None
    address_reason: str | None


_MISSING = AddressResult(None, None, None, None, None, None, None, None, None, None)


# words of ASCII letters and digits split by single spaces or ', ': _clean only upper-cases
_PLAIN = re.compile(r"[A-Za-z0-9]+(?:,? [A-Za-z0-9]+)*", re.ASCII)


def _clean(text: str) -> str:
    if _PLAIN.fullmatch(text):
        return text.upper()  # the common case; the substitutions below change nothing
    text = fold_accents(text).upper()
    text = _DROP.sub("", text)
    text = _HASH.sub("# ", text)
    text = _OTHER.sub(" ", text)
    text = _COMMAS.sub(", ", text)
    return _SPACES.sub(" ", text).strip(" ,")


def _std_unit_tokens(tokens: list[str]) -> str | None:
    """['APARTMENT', '4B'] -> 'APT 4B'; ['3RD', 'FLOOR'] -> 'FL 3'; ['4B'] -> '# 4B'."""
    if not tokens:
        return None
    if len(tokens) == 2 and tokens[1] in ("FL", "FLR", "FLOOR"):
        ordinal = _ORDINAL_FLOOR.match(tokens[0])
        if ordinal:
            return f"FL {ordinal.group(1)}"
    head = UNITS.get(tokens[0])
    if head is None:
        return "# " + " ".join(tokens)
    std, needs_id = head
    rest = [t for t in tokens[1:] if t != "#"]
    if not rest:
        return std if not needs_id else None
    return f"{std} {' '.join(rest)}"


def _std_street_name(tokens: list[str]) -> str | None:
    """['NORTH', 'MAIN', 'STREET'] -> 'N MAIN ST'; ['ST', 'JOHN', 'ST'] -> 'SAINT JOHN ST'."""
    if not tokens:
        return None
    tokens = list(tokens)
    post = suffix = pre = None
    if len(tokens) >= 3 and tokens[-1] in DIRECTIONALS and tokens[-2] in SUFFIXES:
        post = DIRECTIONALS[tokens.pop()]  # 'MAIN ST NORTHWEST' -> 'MAIN ST NW'
    if len(tokens) >= 2 and tokens[-1] in SUFFIXES:
        suffix = SUFFIXES[tokens.pop()]
    if len(tokens) >= 2 and tokens[0] in DIRECTIONALS:
        pre = DIRECTIONALS[tokens.pop(0)]  # 'NORTH MAIN' -> 'N MAIN', but 'NORTH ST' stays
    if len(tokens) >= 2 and tokens[0] in _SAINT:
        tokens[0] = _SAINT[tokens[0]]  # the first 'ST' of 'ST JOHN ST' is SAINT
    return " ".join(t for t in (pre, *tokens, suffix, post) if t)


def _parse_street(piece: str) -> tuple[str | None, str | None, str | None]:
    """'123 N MAIN ST APT 4B' -> ('123', 'N MAIN ST', 'APT 4B'); PO boxes -> (None, 'PO BOX 12', None)."""
    po = _PO_BOX.match(piece)
    if po:
        rest = po.group(2).split()
        box = f"PO BOX {po.group(1)}"
        if rest and rest[0] in UNITS:
            return None, box, _std_unit_tokens(rest)
        # 'PO BOX 12 MAIN ST' (two addresses in one): keep the rest, as given
        return None, " ".join([box, *rest]), None
    tokens = piece.replace(",", " ").split()
    if not tokens:
        return None, None, None
    house = None
    if _HOUSE.match(tokens[0]) and any(ch.isdigit() for ch in tokens[0]):
        house = tokens.pop(0)
        if tokens and _HALF.fullmatch(tokens[0]):
            house += " " + tokens.pop(0)  # '123 1/2 MAIN ST'
    elif tokens[0] in NUMBER_WORDS and len(tokens) > 1:
        house = NUMBER_WORDS[tokens.pop(0)]  # 'ONE MAIN STREET' -> '1 MAIN ST'
    unit = None
    for i, tok in enumerate(tokens):
        if i == 0 and tok not in ("#",):
            continue
        if tok in UNITS and (i < len(tokens) - 1 or not UNITS[tok][1]):
            # 'MAIN ST APT 4B'; a trailing 'UNIT' with no id is left in the name
            if tok in SUFFIXES and i == len(tokens) - 1:
                continue
            if tokens[i + 1 : i + 2] and tokens[i + 1] in SUFFIXES and not UNITS[tok][1]:
                continue  # 'E FRONT AVE': a unit word with no id before a street type
            unit = _std_unit_tokens(tokens[i:])
            tokens = tokens[:i]
            break
        if (
            i + 1 < len(tokens)
            and tokens[i + 1] in ("FL", "FLR", "FLOOR")
            and _ORDINAL_FLOOR.match(tok)
        ):
            unit = _std_unit_tokens(tokens[i : i + 2])
            tokens = tokens[:i]
            break
    return house, _std_street_name(tokens), unit


def _std_city(text: str | None) -> str | None:
    if not text:
        return None
    tokens = text.replace(",", " ").split()
    if len(tokens) >= 2 and tokens[0] in _SAINT:
        tokens[0] = _SAINT[tokens[0]]  # 'ST LOUIS' -> 'SAINT LOUIS'
    return " ".join(tokens) or None


def _std_state(text: str | None) -> str | None:
    if not text:
        return None
    text = text.replace(",", " ").strip()
    if text in STATE_CODES:
        return text
    return STATES.get(text)


def _std_country(text: str | None, default: str) -> str:
    if not text:
        return default
    text = text.replace(",", " ").strip()
    if text in COUNTRIES:
        return COUNTRIES[text]
    return text  # an ISO-2 code or an unknown country, passed through upper-cased


def _std_postal(text: str | None, country: str) -> tuple[str | None, str | None, str | None, bool]:
    """(zip5, zip4, other postal code, invalid) for a postal code in a country."""
    if not text:
        return None, None, None, False
    compact = text.replace(" ", "")
    if country != "US":
        return None, None, text, False
    match = _ZIP.match(compact)
    if match:
        return match.group(1), match.group(2), None, False
    if _ZIP_SHORT.match(compact):
        return compact.zfill(5), None, None, False
    return None, None, None, True


def _line(house, street, unit, city, state, zip5, postal_other, country) -> str | None:
    first = " ".join(p for p in (house, street, unit) if p)
    region = " ".join(p for p in (state, zip5 or postal_other) if p)
    pieces = [p for p in (first, city, region) if p]
    if country and country != "US" and pieces:
        pieces.append(_COUNTRY_NAMES.get(country, country))
    return ", ".join(pieces) or None


def _finish(house, street, unit, city, state_raw, postal, country, reason) -> AddressResult:
    """Standardize state and postal code, set the reason, build address_line."""
    state = _std_state(state_raw)
    if state is None and state_raw and country != "US":
        state = state_raw
    zip5, zip4, other, bad_zip = _std_postal(postal, country)
    if reason is None and bad_zip:
        reason = "invalid_zip"
    if reason is None and state_raw and state is None:
        reason = "invalid_state"
    line = _line(house, street, unit, city, state, zip5, other, country)
    if line is None:
        return _MISSING
    if reason is None and not (
        house or city or zip5 or other or (street or "").startswith("PO BOX")
    ):
        reason = "unparsed"  # 'garbage!!' is kept as a line, but flagged
    return AddressResult(house, street, unit, city, state, zip5, zip4, country, line, reason)


def _std_unit_text(text: str | None) -> str | None:
    return _std_unit_tokens(text.replace(",", " ").split()) if text else None


def _assemble(
    parts: dict[str, str | None], default_country: str, reason: str | None
) -> tuple[AddressResult, str | None]:
    """The address and its ``postal_norm``."""
    country = _std_country(parts.get("country"), default_country)
    house, street, unit = (
        _parse_street(parts["street"]) if parts.get("street") else (None, None, None)
    )
    unit = _std_unit_text(parts.get("unit")) or unit
    city = _std_city(parts.get("city"))
    result = _finish(
        house, street, unit, city, parts.get("state"), parts.get("postal"), country, reason
    )
    if result.address_line is None:
        return result, None
    return result, postal_key(result.zip5, parts.get("postal"))


def _clean_or_none(value: object) -> str | None:
    text = as_text(value)
    return (_clean(text) or None) if text else None


def _street_fields(value: object) -> tuple[str | None, str | None, str | None]:
    cleaned = _clean_or_none(value)
    return _parse_street(cleaned) if cleaned else (None, None, None)


def _unit_field(value: object) -> tuple[str | None]:
    return (_std_unit_text(_clean_or_none(value)),)


def _city_field(value: object) -> tuple[str | None]:
    return (_std_city(_clean_or_none(value)),)


def _country_field(value: object, default_country: str) -> tuple[str]:
    return (_std_country(_clean_or_none(value), default_country),)


def _region_fields(key: tuple[object, object, str]) -> tuple[object, ...]:
    """(state, zip5, zip4, other postal, reason, 'STATE ZIP' text, postal_norm) of raw
    state, postal, country.

    The part of ``_finish`` that depends on state, postal code and country only.
    """
    state_raw, postal_raw, country = key
    state_raw, postal = _clean_or_none(state_raw), _clean_or_none(postal_raw)
    state = _std_state(state_raw)
    if state is None and state_raw and country != "US":
        state = state_raw
    zip5, zip4, other, bad_zip = _std_postal(postal, country)
    reason = None
    if bad_zip:
        reason = "invalid_zip"
    elif state_raw and state is None:
        reason = "invalid_state"
    region = " ".join(p for p in (state, zip5 or other) if p)
    return state, zip5, zip4, other, reason, region, postal_key(zip5, postal)


def _country_suffix(country: object) -> tuple[str]:
    """The ', COUNTRY NAME' address_line ends with (empty for the US)."""
    if country and country != "US":
        return (", " + _COUNTRY_NAMES.get(country, country),)
    return ("",)


def _finish_columns(
    house: np.ndarray,
    street: np.ndarray,
    unit: np.ndarray,
    city: np.ndarray,
    region: pd.DataFrame,
    country: np.ndarray,
    suffix: np.ndarray,
    index: pd.Index,
) -> pd.DataFrame:
    """``_finish`` (with no reason yet) over whole columns: plain joins, no call per row."""
    first = [" ".join(filter(None, t)) for t in zip(house, street, unit, strict=True)]
    line = [", ".join(filter(None, t)) for t in zip(first, city, region["region"], strict=True)]
    present = np.fromiter(map(bool, line), dtype=bool, count=len(line))
    zip5 = region["zip5"].to_numpy()
    other = region["other"].to_numpy()
    reason = [
        r if r or h or c or z or o or (s or "").startswith("PO BOX") else "unparsed"
        for r, h, c, z, o, s in zip(region["reason"], house, city, zip5, other, street, strict=True)
    ]
    fields = {
        "addr_house_number": house,
        "addr_street": street,
        "addr_unit": unit,
        "city_norm": city,
        "state_norm": region["state"].to_numpy(),
        "zip5": zip5,
        "zip4": region["zip4"].to_numpy(),
        "country_norm": country,
        "address_line": np.array(
            [ln + sx if ln else None for ln, sx in zip(line, suffix, strict=True)], dtype=object
        ),
        "address_reason": np.array(reason, dtype=object),
    }
    return pd.DataFrame(
        {k: np.where(present, v, None) for k, v in fields.items()},
        index=index,
        dtype=object,
        copy=False,
    )


def normalize_split_address_columns(
    street: pd.Series,
    unit: pd.Series,
    city: pd.Series,
    state: pd.Series,
    postal_code: pd.Series,
    country: pd.Series,
    *,
    default_country: str = "US",
    pool: WorkerPool | None = None,
    keys: bool = False,
) -> pd.DataFrame:
    """Split-field form: each field over its own distinct values, then assembled by column.

    Equals ``normalize_address(street=..., unit=..., ...)`` row by row when any of
    street/city/state/postal_code is present (``normalize_address_keys`` with
    ``keys``). ``pool`` spreads the street parsing over worker processes.
    """
    st = over_distinct(street, _street_fields, ("h", "s", "u"), pool=pool)
    un = over_distinct(unit, _unit_field, ("u",))
    ci = over_distinct(city, _city_field, ("c",))
    co = over_distinct(country, partial(_country_field, default_country=default_country), ("c",))
    cc = co["c"]
    region = over_distinct_rows(
        [state, postal_code, cc],
        _region_fields,
        ("state", "zip5", "zip4", "other", "reason", "region", "postal_norm"),
    )
    suffix = over_distinct(cc, _country_suffix, ("s",))["s"].to_numpy()
    unit_std = np.array([u2 or u for u2, u in zip(un["u"], st["u"], strict=True)], dtype=object)
    out = _finish_columns(
        st["h"].to_numpy(),
        st["s"].to_numpy(),
        unit_std,
        ci["c"].to_numpy(),
        region,
        cc.to_numpy(),
        suffix,
        street.index,
    )
    if keys:
        present = out["address_line"].notna().to_numpy()
        out["postal_norm"] = np.where(present, region["postal_norm"].to_numpy(), None)
    return out


def _line_key_result(key: tuple[object, object, object], default_country: str) -> AddressResult:
    line, unit, country = key
    return normalize_address(line, unit=unit, country=country, default_country=default_country)


def _line_key_keys(key: tuple[object, object, object], default_country: str) -> tuple:
    line, unit, country = key
    result, postal = normalize_address_keys(
        line, unit=unit, country=country, default_country=default_country
    )
    return (*result, postal)


def normalize_line_address_columns(
    line: pd.Series,
    unit: pd.Series,
    country: pd.Series,
    *,
    default_country: str = "US",
    pool: WorkerPool | None = None,
    keys: bool = False,
) -> pd.DataFrame:
    """``normalize_address(line, unit=..., country=...)`` once per distinct combination
    (with ``keys``, ``normalize_address_keys``: ``postal_norm`` as a last column).

    ``pool`` spreads the distinct combinations over worker processes.
    """
    fn = _line_key_keys if keys else _line_key_result
    return over_distinct_rows(
        [line, unit, country],
        partial(fn, default_country=default_country),
        (*ADDRESS_COLUMNS, "postal_norm") if keys else ADDRESS_COLUMNS,
        pool=pool,
    )


class AddressFields(TypedDict, total=False):
    """The keyword arguments of ``normalize_address`` beside the single line."""

    street: object
    unit: object
    city: object
    state: object
    postal_code: object
    country: object
    default_country: str


def normalize_address(line: object = None, **fields: Unpack[AddressFields]) -> AddressResult:
    """Normalize a single-line address or split fields (``AddressFields``); never raises.

    Split fields win when any of street/city/state/postal_code is given; with no
    street, the line is then read as the street line (an address column beside
    separate city, state or postcode columns).

    >>> normalize_address("123 North Main Street Apt 4B, Springfield, IL 62704-1234").address_line
    '123 N MAIN ST APT 4B, SPRINGFIELD, IL 62704'
    """
    return normalize_address_keys(line, **fields)[0]


def normalize_address_keys(
    line: object = None,
    *,
    street: object = None,
    unit: object = None,
    city: object = None,
    state: object = None,
    postal_code: object = None,
    country: object = None,
    default_country: str = "US",
) -> tuple[AddressResult, str | None]:
    """``normalize_address`` and ``postal_norm`` (the postal code of any country); never raises.

    >>> normalize_address_keys(street="10 Downing St", postal_code="SW1A 2AA", country="UK")[1]
    'SW1A2AA'
    """
    try:
        split = {
            "street": as_text(street),
            "unit": as_text(unit),
            "city": as_text(city),
            "state": as_text(state),
            "postal": as_text(postal_code),
            "country": as_text(country),
        }
        split = {k: (_clean(v) or None) if v else None for k, v in split.items()}
        if not split["street"] and any(split[k] for k in ("city", "state", "postal")):
            # a one-line address beside city/state/postcode and no street: the street line
            text = as_text(line)
            split["street"] = (_clean(text) or None) if text else None
        if any(split[k] for k in ("street", "city", "state", "postal")):
            return _assemble(split, default_country, None)
        text = as_text(line)
        if text is None:
            if split["unit"] or split["country"]:
                return _assemble(split, default_country, None)
            return _MISSING, None
        cleaned = _clean(text)
        if not cleaned:
            return _MISSING, None
        parts, understood = _line_parts(cleaned)
        reason = None
        if not understood:
            fallback = _usaddress_parts(cleaned)
            if fallback is None:
                reason = "unparsed"
            else:
                parts = dict.fromkeys(parts) | fallback
        if split["country"] and not parts.get("country"):
            parts["country"] = split["country"]
        return _assemble(parts, default_country, reason)
    except Exception:  # a last guard: the normalizer never raises
        return _MISSING._replace(address_reason="unparsed"), None


def has_address_content(value: object) -> bool:
    """True when a split field holds something once cleaned (':' does not)."""
    if isinstance(value, str) and value.isascii():
        return _CONTENT.search(value) is not None  # what _clean keeps, without cleaning
    return _clean_or_none(value) is not None


def address_line_parts(line: object, default_country: str = "US") -> AddressResult:
    """``normalize_address`` of a single line (the column form's scalar)."""
    return normalize_address(line, default_country=default_country)


def normalize_address_column(
    series: pd.Series, *, default_country: str = "US", pool: WorkerPool | None = None
) -> pd.DataFrame:
    """Column form for single-line addresses over distinct values (``ADDRESS_COLUMNS``)."""
    return over_distinct(
        series,
        partial(address_line_parts, default_country=default_country),
        ADDRESS_COLUMNS,
        pool=pool,
    )
