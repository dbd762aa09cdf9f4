"""Helpers the fix lists share."""

from __future__ import annotations

import hashlib

from resolver.entities.golden import _TITLE

_STREET = "coalesce(r.street, nullif(trim(concat_ws(' ', r.addr_house_number, r.addr_street)), ''))"
_UNIT = "coalesce(r.unit, r.addr_unit)"
_FIRST = "coalesce(r.first_name, " + _TITLE.format(x="r.first_name_norm") + ")"
_LAST = "coalesce(r.last_name, " + _TITLE.format(x="r.last_name_norm") + ")"
# canonical field -> SQL of its value on a record ``r``, whatever shape the record's
# own system keeps it in (a one-line address gives its street, a split one its line)
VALUE_SQL: dict[str, str] = {
    "name": f"coalesce(r.name, nullif(trim(concat_ws(' ', {_FIRST}, {_LAST})), ''))",
    "first_name": _FIRST,
    "last_name": _LAST,
    "address": "coalesce(r.address, nullif(concat_ws(', ', "
    f"nullif(trim(concat_ws(' ', {_STREET}, {_UNIT})), ''), coalesce(r.city, r.city_norm), "
    "nullif(trim(concat_ws(' ', coalesce(r.state, r.state_norm), "
    "coalesce(r.postal_code, r.zip5, r.postal_norm))), '')), ''))",
    "street": _STREET,
    "unit": _UNIT,
    "city": "coalesce(r.city, r.city_norm)",
    "state": "coalesce(r.state, r.state_norm)",
    "postal_code": "coalesce(r.postal_code, r.zip5, r.postal_norm)",
}


def fix_id(*parts: object) -> str:
    """A fix's id: what the fix is (kind, system, records, field, value), never a run."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return "F-" + hashlib.md5(text.encode("utf-8")).hexdigest()[:16]
