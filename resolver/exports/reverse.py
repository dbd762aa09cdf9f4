"""A contract in reverse: canonical values written back in a system's own columns,
enum codes, date format and amount locale."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from resolver.errors import ContractError, Problem, ResolverError
from resolver.ingest.canonical import FIELDS
from resolver.ingest.contracts import Contract, contract_paths, parse_contract


def system_contracts(rules_dir: Path | str, system: str) -> dict[str, Contract]:
    """object -> the contract of ``system`` (parsed, its source not opened)."""
    _, paths = contract_paths(rules_dir)
    problems: list[Problem] = []
    out = {}
    for path in paths:
        c = parse_contract(path, data_dir=None, problems=problems)
        if c is not None and c.system == system:
            out[c.object] = c
    if problems and not out:
        raise ContractError(problems)
    if not out:
        raise ResolverError(f"no source contract in {rules_dir} is of system {system!r}")
    return out


def column_of(contract: Contract, field: str) -> str | None:
    """The source column a canonical field is written to (the first of several)."""
    mapped = contract.fields.get(field)
    if mapped is None:
        return None
    return mapped if isinstance(mapped, str) else mapped[0]


def to_source(contract: Contract, field: str, value: Any) -> str | None:
    """A canonical value as the system writes it: its enum code (None when it has none
    for the value), its date format, its amount locale (``field`` is the canonical field: ``amount``, not ``amount_cents``)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    kind = FIELDS[contract.object].get(field)
    if kind == "enum":
        codes = contract.enums.get(field)
        if not codes:
            return str(value)
        # a value the system has no code for cannot be written to it
        return next((code for code, canonical in codes.items() if canonical == value), None)
    if kind == "date":
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        fmt = contract.date_format(field)
        return value.isoformat() if fmt.lower() in ("iso", "auto", "") else value.strftime(fmt)
    if kind == "amount":
        cents = int(value)
        text = f"{abs(cents) // 100}.{abs(cents) % 100:02d}"
        if contract.amount_locale == "eu":
            text = text.replace(".", ",")
        return ("-" if cents < 0 else "") + text
    return str(value)
