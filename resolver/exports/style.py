"""A system's own way of writing a column, learned from the values it holds, so that a
fix list writes a value the way that system already does.

Three traits, each learned from the system's loaded values of the column and used
only when most of them share it (else the value is written as it came):

- **letter case**: UPPER, lower or Title Case;
- **phone layout**: the punctuation around the digits, ``(ddd) ddd-dddd``,
  ``ddd.ddd.dddd``, ``+d ddd-ddd-dddd`` or bare digits (an extension is kept as
  `` x123``);
- **name order**: ``Last, First`` in a one-column name;
- **address layout**: a comma between city and state in a one-line address, or
  none (``Springfield IL 62704``);
- **number layout** of an invoice number: its prefix and zero padding
  (``INV-001234``, or bare ``1234``).

Nothing here knows a system: a column written in upper case by any system gets its
fixes in upper case.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import duckdb
import phonenumbers

from resolver.ingest.canonical import FIELDS, TABLES
from resolver.ingest.contracts import Contract
from resolver.store.connection import table_columns
from resolver.store.records import field_sample

SAMPLE = 5_000  # values read per column to learn its style
DOMINANT = 0.8  # share of values that must agree on a letter case
LAYOUT_SHARE = 0.5  # share that must agree on a phone layout or a name order
_EXT = re.compile(r"\s*(?:x|ext\.?|extension|#)\s*\d+\s*$", re.IGNORECASE)
_LAST_FIRST = re.compile(r"^[^,\d]+,\s*[^,\d]+$")
_NUMBERED = re.compile(r"^(\D*)(\d+)$")
_STATE_ZIP = re.compile(r"(,?)\s+[A-Za-z]{2}\s+\d{5}(?:-\d{4})?\s*$")
# address words that stay upper case in a Title Case address
_UPPER_WORDS = {"NE", "NW", "SE", "SW", "PO"}


@dataclass(frozen=True)
class ColumnStyle:
    """How one system writes one canonical field."""

    case: str | None = None  # "upper" | "lower" | "title" | None (as it came)
    phone_layout: str | None = None  # "d" for each digit: "(ddd) ddd-dddd"
    last_first: bool = False  # "Smith, John"
    city_state_comma: bool = True  # "Springfield, IL 62704" (else "Springfield IL 62704")
    country_code: int | None = None  # the system's own: a layout without "+" is national
    number_prefix: str | None = None  # "INV-" ("" for bare digits; None: not learned)
    number_width: int = 0  # zero-padded to this many digits

    def render(
        self,
        value: str | None,
        *,
        e164: str | None = None,
        ext: str | None = None,
        number: str | None = None,
    ) -> str | None:
        """``value`` written this way; a phone is laid out from its E.164 form, an
        invoice number from its digits (``number``: prefixes and leading zeros folded)."""
        if value is None:
            return None
        text = str(value)
        if self.phone_layout and e164:
            text = _lay_out(self.phone_layout, e164, ext, self.country_code) or text
        if self.number_prefix is not None and number and number.isdigit():
            text = self.number_prefix + number.zfill(self.number_width)
        return _cased(text, self.case)


NO_STYLE = ColumnStyle()


def learn_styles(
    con: duckdb.DuckDBPyConnection, contract: Contract, *, prefix: str = ""
) -> dict[str, ColumnStyle]:
    """Canonical field -> how ``contract``'s system writes it (text fields it maps)."""
    table = TABLES[contract.object]
    have = set(table_columns(con, f"{prefix}{table}"))
    out = {}
    for field, kind in FIELDS[contract.object].items():
        if field not in contract.fields or field not in have or kind != "text":
            continue
        values = field_sample(
            con, contract.object, field, contract.system, limit=SAMPLE, prefix=prefix
        )
        out[field] = learn(
            values,
            phone=field == "phone",
            name=field == "name",
            address=field == "address",
            number=field == "invoice_number",
            country_code=phonenumbers.country_code_for_region(contract.phone_region) or None,
        )
    return out


def learn(
    values: list[str],
    *,
    phone: bool = False,
    name: bool = False,
    address: bool = False,
    number: bool = False,
    country_code: int | None = 1,
) -> ColumnStyle:
    """The style most of ``values`` share (see the module docstring); ``country_code``
    is the system's own (its contract's phone region): only its numbers are written in
    a national layout."""
    cases = Counter(c for v in values if (c := _case_of(str(v))) is not None)
    case = None
    if cases:
        top, n = cases.most_common(1)[0]
        if n >= DOMINANT * sum(cases.values()) and top != "mixed":
            case = top
    layout = None
    if phone:
        layouts = Counter(_layout_of(str(v)) for v in values)
        layouts.pop(None, None)
        if layouts:
            top, n = layouts.most_common(1)[0]
            layout = top if n >= LAYOUT_SHARE * len(values) else None
    last_first = False
    if name and values:
        commas = sum(1 for v in values if _LAST_FIRST.match(str(v).strip()))
        last_first = commas >= LAYOUT_SHARE * len(values)
    comma = True
    if address:
        ends = [m.group(1) for v in values if (m := _STATE_ZIP.search(str(v)))]
        comma = not ends or sum(1 for e in ends if e) >= LAYOUT_SHARE * len(ends)
    prefix, width = None, 0
    if number and values:
        numbered = [m.groups() for v in values if (m := _NUMBERED.match(str(v).strip()))]
        prefixes = Counter(p for p, _ in numbered)
        if prefixes:
            top, n = prefixes.most_common(1)[0]
            if n >= LAYOUT_SHARE * len(values):
                prefix = top
                widths = Counter(len(d) for p, d in numbered if p == top)
                w, k = widths.most_common(1)[0]
                width = w if k >= DOMINANT * n else 0
    return ColumnStyle(
        number_prefix=prefix,
        number_width=width,
        case=case,
        phone_layout=layout,
        last_first=last_first,
        city_state_comma=comma,
        country_code=country_code,
    )


def person_name(
    style: ColumnStyle, first: str | None, last: str | None, whole: str | None
) -> str | None:
    """A person's name for a one-column name: ``Last, First`` where the system writes
    that, else ``whole`` (the owner's own one-column name) or ``First Last``."""
    if style.last_first and first and last:
        text = f"{last}, {first}"
    else:
        text = whole or " ".join(p for p in (first, last) if p) or None
    return style.render(text)


def one_line(
    style: ColumnStyle,
    street: str | None,
    unit: str | None,
    city: str | None,
    state: str | None,
    postal: str | None,
) -> str | None:
    """An address from its parts as a one-line column writes it: ``street unit, city,
    ST zip`` in its letter case (a state code stays upper case)."""
    line = " ".join(p for p in (street, unit) if p)
    state = state.upper() if state and len(state) <= 3 else _cased(state, style.case)
    region = " ".join(p for p in (state, postal) if p)
    place = (", " if style.city_state_comma else " ").join(
        p for p in (_cased(city, style.case), region) if p
    )
    text = ", ".join(p for p in (_cased(line, style.case), place) if p)
    return text or None


def _case_of(text: str) -> str | None:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2:
        return None
    if all(c.isupper() for c in letters):
        return "upper"
    if all(c.islower() for c in letters):
        return "lower"
    words = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) > 1]
    if words and all(w[0].isupper() for w in words):
        return "title"
    return "mixed"


def _cased(text: str | None, case: str | None) -> str | None:
    if text is None:
        return None
    if case == "upper":
        return text.upper()
    if case == "lower":
        return text.lower()
    if case == "title" and _case_of(text) in ("upper", "lower"):
        return re.sub(r"[^\W_]+", lambda m: _title_word(m.group(0)), text)
    return text


def _title_word(word: str) -> str:
    """``MAIN`` -> ``Main``; a word holding a digit (``4B``, ``2ND``) or a compass
    point (``NE``) keeps its case."""
    if any(c.isdigit() for c in word) or word.upper() in _UPPER_WORDS:
        return word
    return word[0].upper() + word[1:].lower()


def _layout_of(text: str) -> str | None:
    """``(217) 555-0123`` -> ``(ddd) ddd-dddd``; None for a value with an extension,
    letters or an unusual number of digits."""
    text = text.strip()
    if _EXT.search(text) or any(c.isalpha() for c in text):
        return None
    digits = sum(c.isdigit() for c in text)
    if not 7 <= digits <= 15:
        return None
    return re.sub(r"\d", "d", text)


def _lay_out(layout: str, e164: str, ext: str | None, country_code: int | None) -> str | None:
    """The number in ``layout``: its national digits (a number of the system's own
    country), or with the country code when the layout has room for both; None when
    it fits neither."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return None
    national = phonenumbers.national_significant_number(number)
    slots = layout.count("d")
    if slots == len(national) and number.country_code == country_code:
        digits = national
    elif slots == len(str(number.country_code)) + len(national):
        digits = f"{number.country_code}{national}"
    else:
        return None
    it = iter(digits)
    text = "".join(next(it) if c == "d" else c for c in layout)
    return f"{text} x{ext}" if ext else text
