"""Match keys derived from the normalized columns, for comparisons and blocking.

Each key is a pure function of normalized values (so the frame and one-record
paths share it) and has a column form over distinct values:

* ``name_sorted``: the sorted tokens of first and last name ("smith john" and
  "john smith" agree); ``first_initial``; ``first_name_prefix`` and
  ``last_name_prefix`` (first 3 characters).
* ``company_sorted``: the sorted distinct words of ``company_key`` (the words of
  ``company_norm`` but "and", which the key joins without spaces).
* ``email_user``: the local part of ``email_key``.
* ``phone_local``: the last 7 digits of ``phone_digits`` ("246-1501" matches
  "310/246-1501").
* ``street_core`` (see ``address_keys``) and ``birth_year`` (see ``date``).

``postal_norm`` comes with the address (it needs the raw postal code).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from resolver.normalize._distinct import over_distinct, over_distinct_rows
from resolver.normalize.address_keys import street_core
from resolver.normalize.date import birth_year, partial_year

NAME_KEY_COLUMNS = ("name_sorted", "first_initial", "first_name_prefix", "last_name_prefix")
KEY_COLUMNS = (
    *NAME_KEY_COLUMNS,
    "company_sorted",
    "email_user",
    "phone_local",
    "street_core",
    "birth_year",
)
PREFIX_LEN = 3
LOCAL_DIGITS = 7


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def name_keys(first: object, last: object) -> tuple[str | None, ...]:
    """(name_sorted, first_initial, first_name_prefix, last_name_prefix).

    >>> name_keys("john", "smith") == name_keys("smith", "john")[:1] + ("j", "joh", "smi")
    True
    """
    first, last = _text(first), _text(last)
    tokens = sorted(t for part in (first, last) if part for t in part.split())
    return (
        " ".join(tokens) or None,
        first[0] if first else None,
        first[:PREFIX_LEN] if first else None,
        last[:PREFIX_LEN] if last else None,
    )


def company_sorted(company_norm: object) -> str | None:
    """'bel air hotel' and 'hotel bel air' -> 'air bel hotel' (from ``company_norm``)."""
    norm = _text(company_norm)
    if norm is None:
        return None
    words = set(norm.split())
    return " ".join(sorted(words - {"and"} or words)) or None


def email_user(email_key: object) -> str | None:
    """'jane.doe@x.com' -> 'jane.doe'."""
    key = _text(email_key)
    if key is None:
        return None
    if "@" not in key:
        return key
    return key.rpartition("@")[0] or None


def phone_local(phone_digits: object) -> str | None:
    """'3102461501' -> '2461501'; None for fewer than 7 digits."""
    digits = _text(phone_digits)
    return digits[-LOCAL_DIGITS:] if digits and len(digits) >= LOCAL_DIGITS else None


def birth_year_of(birth_date: object, partial: object = None) -> str | None:
    """The year of the birth date, else of the partial birth date ingest kept aside."""
    return birth_year(birth_date) or partial_year(partial)


# key column -> (the normalized column it is made from, the function): one table for
# the record and the column forms
_ONE_COLUMN_KEYS: dict[str, tuple[str, Callable[[object], str | None]]] = {
    "company_sorted": ("company_norm", company_sorted),
    "email_user": ("email_key", email_user),
    "phone_local": ("phone_digits", phone_local),
    "street_core": ("addr_street", street_core),
}


def record_keys(
    norm: Mapping[str, object], birth_date: object, partial: object
) -> dict[str, str | None]:
    """Every key of one normalized record (``norm`` holds the normalized columns)."""
    names = name_keys(norm["first_name_norm"], norm["last_name_norm"])
    out: dict[str, str | None] = dict(zip(NAME_KEY_COLUMNS, names, strict=True))
    for key, (column, fn) in _ONE_COLUMN_KEYS.items():
        out[key] = fn(norm[column])
    out["birth_year"] = birth_year_of(birth_date, partial)
    return out


def key_columns(norm: pd.DataFrame, birth_date: pd.Series, partial: pd.Series) -> pd.DataFrame:
    """``record_keys`` over whole columns, each over its distinct values."""
    out = over_distinct_rows(
        [norm["first_name_norm"], norm["last_name_norm"]],
        lambda k: name_keys(*k),
        NAME_KEY_COLUMNS,
    )
    for key, (column, fn) in _ONE_COLUMN_KEYS.items():
        out[key] = over_distinct(norm[column], lambda v, fn=fn: (fn(v),), ("v",))["v"]
    out["birth_year"] = over_distinct_rows(
        [birth_date, partial], lambda k: (birth_year_of(*k),), ("v",)
    )["v"]
    return out[list(KEY_COLUMNS)]
