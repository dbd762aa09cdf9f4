"""One customer record through the normalizers, without a data frame.

``normalize_customer_frame`` works over columns' distinct values: right for a
million rows, but for one record (``POST /match``) pandas' overhead is most of
the cost. This is the same logic on the scalar normalizers; the tests check it
equals the frame form row by row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from resolver.normalize._distinct import is_missing
from resolver.normalize.address import (
    ADDRESS_COLUMNS,
    has_address_content,
    normalize_address_keys,
)
from resolver.normalize.company import COMPANY_COLUMNS, normalize_company
from resolver.normalize.email import EMAIL_COLUMNS, normalize_email
from resolver.normalize.keys import record_keys
from resolver.normalize.name import NAME_COLUMNS, normalize_name, normalize_name_parts
from resolver.normalize.phone import PHONE_COLUMNS, normalize_phone


def normalize_customer_record(
    record: Mapping[str, Any],
    *,
    phone_region: str = "US",
    default_country: str = "US",
    phone_area_code: str | None = None,
) -> dict[str, Any]:
    """``normalize_customer_frame`` of a one-row frame, as a dict of the output columns."""
    v = record.get
    split = not is_missing(v("first_name")) or not is_missing(v("last_name"))
    names = normalize_name_parts(v("first_name"), v("last_name")) if split else None
    if names is None:
        names = normalize_name(v("name"))
    company_src = v("company")
    if names.name_is_company and is_missing(company_src):  # a company in the name field(s)
        if split:
            company_src = f"{_text(v('first_name'))} {_text(v('last_name'))}".strip()
        else:
            company_src = v("name")
    out: dict[str, Any] = dict(zip(NAME_COLUMNS, names, strict=True))
    out.update(zip(COMPANY_COLUMNS, normalize_company(company_src), strict=True))
    out.update(zip(EMAIL_COLUMNS, normalize_email(v("email")), strict=True))
    phone = normalize_phone(v("phone"), region=phone_region, area_code=phone_area_code)
    out.update(zip(PHONE_COLUMNS, phone, strict=True))
    if any(has_address_content(v(k)) for k in ("street", "city", "state", "postal_code")):
        address, postal = normalize_address_keys(
            v("address"),
            street=v("street"),
            unit=v("unit"),
            city=v("city"),
            state=v("state"),
            postal_code=v("postal_code"),
            country=v("country"),
            default_country=default_country,
        )
    elif any(not is_missing(v(k)) for k in ("address", "unit", "country")):
        address, postal = normalize_address_keys(
            v("address"), unit=v("unit"), country=v("country"), default_country=default_country
        )
    else:
        address, postal = (None,) * len(ADDRESS_COLUMNS), None
    out.update(zip(ADDRESS_COLUMNS, address, strict=True))
    out["postal_norm"] = postal
    out.update(record_keys(out, v("birth_date"), v("birth_date_partial")))
    out["name_is_company"] = bool(out["name_is_company"])
    return out


def _text(value: Any) -> str:
    """What ``fillna("").astype(str)`` makes of a value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)
