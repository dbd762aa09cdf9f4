"""A proposal laid out for a reviewer: members as columns, fields as rows.

A field disagrees when its members' values differ *after normalization*: the
cleaned value the model compared where there is one (``email_norm`` for email,
``phone_e164`` for phone, ...), else the value case-folded with its spaces
collapsed. "(773) 612-2278" and "+1 773-612-2278" agree; "Oak St" and "Elm St" do
not. A missing value never disagrees with anything.
"""

from __future__ import annotations

import re
from typing import Any

from resolver.review.view import HASH_COLUMNS, SHOWN

# field -> the cleaned column it is compared on (when the store has it)
NORMALIZED = {
    "name": "full_name_norm",
    "first_name": "full_name_norm",
    "last_name": "full_name_norm",
    "company": "company_norm",
    "email": "email_norm",
    "phone": "phone_e164",
    "address": "address_line",
    "street": "address_line",
    "unit": "address_line",
    "city": "address_line",
    "state": "address_line",
    "postal_code": "address_line",
    "invoice_number": "invoice_number_norm",
}
_CLEANED = set(NORMALIZED.values())
_HEADER = ("record_key", "system", "source_id", *HASH_COLUMNS)
_SPACES = re.compile(r"\s+")

# golden field -> the member column a reviewer sees as that member's candidate value
# (the cleaned value where the golden record keeps the cleaned one)
GOLDEN_SHOWN = {
    "customer": {
        "name": "full_name_norm",
        "company": "company_norm",
        "email": "email_norm",
        "phone": "phone_e164",
        "address": "address_line",
        "city": "city",
        "state": "state",
        "postal_code": "postal_code",
        "status": "status",
        "branch": "branch",
    },
    "invoice": {
        "invoice_number": "invoice_number",
        "amount_cents": "amount_cents",
        "tax_cents": "tax_cents",
        "currency": "currency",
        "invoice_date": "invoice_date",
        "due_date": "due_date",
        "status": "status",
        "branch": "branch",
    },
}

# a match probability in words: (at least, words), first that applies
CONFIDENCE_WORDS = (
    (0.999, "almost certainly the same"),
    (0.99, "very likely the same"),
    (0.9, "likely the same"),
    (0.5, "more likely the same than not"),
    (0.1, "probably different"),
    (0.0, "almost certainly different"),
)


def confidence_words(p: float | None) -> str:
    """``0.9993`` -> "almost certainly the same"; None -> "no score"."""
    if p is None or p != p:
        return "no score"
    return next(words for floor, words in CONFIDENCE_WORDS if p >= floor)


def _plain(v: Any) -> str | None:
    """A value as a reviewer compares it by eye: case and spacing ignored."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    text = _SPACES.sub(" ", str(v)).strip().casefold()
    return text or None


def field_rows(obj: str, members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per field shown for ``obj``: ``{field, values, disagree, compared_on}``.

    Fields no member has a value for are left out.
    """
    fields = [f for f in SHOWN[obj] if f not in _CLEANED and f not in _HEADER]
    rows = []
    for f in fields:
        values = [m.get(f) for m in members]
        if all(_plain(v) is None for v in values):
            continue
        norm_col = NORMALIZED.get(f)
        if norm_col is not None and any(norm_col in m for m in members):
            compared = [_plain(m.get(norm_col)) if _plain(m.get(f)) else None for m in members]
        else:
            norm_col = None
            compared = [_plain(v) for v in values]
        present = {c for c in compared if c is not None}
        rows.append(
            {
                "field": f,
                "values": values,
                "disagree": len(present) > 1,
                "compared_on": norm_col,
            }
        )
    return rows


def golden_rows(
    obj: str,
    members: list[dict[str, Any]],
    golden: dict[str, Any],
    picks: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The golden record beside its members, one row per pickable field some member
    has a value for: ``{field, value, source, picked, options: [{record_key, value}]}``.
    ``value``/``source`` are the last run's golden value and the record it came from,
    ``picked`` the record a reviewer's pick in force names (None: the rules choose)."""
    picks = picks or {}
    rows = []
    for field, column in GOLDEN_SHOWN[obj].items():
        options = [
            {"record_key": m["record_key"], "value": m.get(column)}
            for m in members
            if _plain(m.get(column)) is not None
        ]
        if not options:
            continue
        g = golden.get(field) or {}
        rows.append(
            {
                "field": field,
                "value": g.get("value"),
                "source": g.get("source"),
                "picked": picks.get(field),
                "options": options,
            }
        )
    return rows


def waterfall(pair: dict[str, Any]) -> dict[str, Any]:
    """One pair's evidence as waterfall steps: each comparison's match weight added
    in turn, then the term-frequency adjustment, ending at the pair's total weight.

    ``{steps: [{label, level, weight, start, end}], total, probability}``.
    """
    steps = []
    at = 0.0
    for name, f in (pair.get("fields") or {}).items():
        w = float(f.get("match_weight") or 0.0)
        steps.append({"label": name, "level": f.get("level"), "weight": w, "start": at})
        at += w
        steps[-1]["end"] = at
    tf = pair.get("term_frequency_weight")
    if tf:
        steps.append({"label": "rare or common values", "level": "", "weight": tf, "start": at})
        at += float(tf)
        steps[-1]["end"] = at
    total = pair.get("match_weight")
    total = float(total) if total is not None else at
    if abs(total - at) > 1e-6:  # the model's prior (and rounding) close the gap
        steps.append({"label": "prior", "level": "", "weight": total - at, "start": at})
        steps[-1]["end"] = total
    return {"steps": steps, "total": total, "probability": pair.get("match_probability")}
