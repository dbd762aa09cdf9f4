"""Whether a typed source's columns (Parquet, a database table) can hold the canonical
fields they are mapped to: checked on the schema, before any row is loaded.

Text and enum fields take any scalar but a point in time (a date in an email column is
a mapping mistake, not a value); a date field takes dates, timestamps, text or whole
numbers (``20240102``); an amount takes numbers or text. Nested and binary columns are
judged row by row when read (``nested_value``, ``bad_encoding`` rejects).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from resolver.errors import ContractError, Problem
from resolver.ingest.canonical import FIELDS

if TYPE_CHECKING:
    from resolver.ingest.contracts import Contract

_TAKES = {
    "date": "dates, timestamps, text or whole numbers",
    "amount": "numbers or text",
    "text": "text, numbers or true/false",
    "enum": "text, numbers or true/false",
}


def _temporal(t: pa.DataType) -> bool:
    return (
        pa.types.is_date(t)
        or pa.types.is_timestamp(t)
        or pa.types.is_time(t)
        or pa.types.is_duration(t)
    )


def is_binary(t: pa.DataType) -> bool:
    return pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)


def is_nested(t: pa.DataType) -> bool:
    return pa.types.is_nested(t)


def _fits(kind: str, t: pa.DataType) -> bool:
    if isinstance(t, pa.ExtensionType):  # e.g. PostgreSQL numeric: text inside
        t = t.storage_type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if is_nested(t) or is_binary(t):
        return True  # judged per row
    if pa.types.is_null(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
        return True
    if kind == "date":
        return _temporal(t) or pa.types.is_integer(t)
    if kind == "amount":
        return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
    return not _temporal(t)


def check_source_types(contract: Contract, schema: pa.Schema) -> None:
    """Raise ContractError naming every mapped column whose type cannot hold its field."""
    types = dict(zip(schema.names, schema.types, strict=True))
    problems = []
    for field, source in contract.fields.items():
        kind = FIELDS[contract.object].get(field)
        if kind is None:
            continue
        for column in [source] if isinstance(source, str) else list(source):
            t = types.get(column)
            if t is None or _fits(kind, t):
                continue
            problems.append(
                Problem(
                    contract.location,
                    f"fields.{field}",
                    f"column '{column}' holds {t} values; a {kind} field takes {_TAKES[kind]} "
                    "(map another column, or convert it in the source's export)",
                )
            )
    if problems:
        raise ContractError(problems)
