"""A client's record: checked, parsed and put in canonical form, with errors that
name every problem (4xx, never 500)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from resolver.errors import Problem, ValidationProblems
from resolver.ingest.canonical import FIELDS
from resolver.normalize import parse_amount, parse_date
from resolver.normalize.date import partial_year

_MAX_TEXT = 500  # longest value of one field a client may send
_MAX_NAME = 200  # longest field (or column) name
_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(s: str) -> str | None:
    """Why ``s`` is not text DuckDB, SQLite and a JSON response can all carry, or None.

    JSON's ``"\\ud800"`` escape decodes to a lone UTF-16 surrogate, which has no
    UTF-8 form: DuckDB refuses it and a response echoing it cannot be encoded. NUL
    ends a C string (DuckDB's SQL text, many a client's)."""
    if "\x00" in s:
        return "contains a NUL character"
    if _SURROGATE.search(s):
        return "contains a lone UTF-16 surrogate (not Unicode text)"
    return None


def check_record(obj: str, record: Mapping[str, Any]) -> None:
    fields = FIELDS[obj]
    extra = set(fields) | ({"amount_cents", "tax_cents"} if obj == "invoice" else set())
    problems = [
        Problem("record", k, f"not a canonical {obj} field; known: {', '.join(fields)}")
        for k in sorted(set(record) - extra)
        if is_plain_name(k)  # value_problems names the others
    ]
    problems += value_problems("record", record)
    if problems:
        raise ValidationProblems("the record", problems)
    if not any(as_text(v) for v in record.values()):
        raise ValidationProblems("the record", [Problem("record", "", "has no values to match on")])


def is_plain_name(k: Any) -> bool:
    return isinstance(k, str) and len(k) <= _MAX_NAME and text_problem(k) is None


def value_problems(where: str, record: Mapping[str, Any]) -> list[Problem]:
    out = []
    for k, v in record.items():
        why = text_problem(k) if isinstance(k, str) else "must be text"
        if why is None and len(k) > _MAX_NAME:
            why = f"is longer than {_MAX_NAME} characters"
        if why is not None:
            out.append(Problem(where, _SURROGATE.sub("\ufffd", str(k))[:_MAX_NAME], f"name {why}"))
            continue
        if isinstance(v, bool) or (v is not None and not isinstance(v, str | int | float)):
            out.append(Problem(where, str(k), "must be a string or a number"))
        elif isinstance(v, float) and not math.isfinite(v):
            out.append(Problem(where, str(k), "must be a finite number"))
        elif isinstance(v, str) and len(v) > _MAX_TEXT:
            out.append(Problem(where, str(k), f"is longer than {_MAX_TEXT} characters"))
        elif isinstance(v, str) and (why := text_problem(v)):
            out.append(Problem(where, str(k), why))
    return out


def invoice_canonical(canonical: dict[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """Parse an invoice's amounts (to cents) and dates the way ingest does."""

    problems = []
    out = dict(canonical)
    for name in ("amount", "tax"):
        cents = record.get(f"{name}_cents")
        if cents is not None:
            if not isinstance(cents, int) or isinstance(cents, bool):
                problems.append(Problem("record", f"{name}_cents", "must be an integer"))
            elif not -(2**63) <= cents < 2**63:  # the store's BIGINT
                problems.append(Problem("record", f"{name}_cents", "is out of range"))
            out[f"{name}_cents"] = cents
            continue
        value, reason = parse_amount(as_text(out.get(name)), locale="en_US")
        if reason is not None and out.get(name) is not None:
            problems.append(Problem("record", name, f"cannot read amount: {reason}"))
        out[f"{name}_cents"] = value
    for name in ("invoice_date", "due_date", "updated_at"):
        value, reason = parse_date(as_text(out.get(name)), fmt=None)
        if reason is not None and out.get(name) is not None:
            problems.append(Problem("record", name, f"cannot read date: {reason}"))
        out[name] = value
    if problems:
        raise ValidationProblems("the record", problems)
    return out


def customer_canonical(canonical: dict[str, Any]) -> dict[str, Any]:
    """Parse a customer's dates the way ingest does: a partial birth date ('1987',
    '05/1987') keeps its year aside (``birth_date_partial``), as ingest keeps it."""

    problems = []
    out = dict(canonical)
    for name in ("birth_date", "updated_at"):
        text = as_text(out.get(name))
        if name == "birth_date" and text is not None and partial_year(text) is not None:
            out[name], out["birth_date_partial"] = None, text
            continue
        value, reason = parse_date(text, fmt=None)
        if reason is not None and text is not None:
            problems.append(Problem("record", name, f"cannot read date: {reason}"))
        out[name] = value
    if problems:
        raise ValidationProblems("the record", problems)
    return out


def as_text(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def plain(v: Any) -> Any:
    if isinstance(v, list | tuple | np.ndarray):
        return [plain(x) for x in v]
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v


def contract_for(index: Any, obj: str, system: str) -> Any:
    """The contract of ``system``'s ``obj`` source, or a 4xx-worthy problem naming the known ones."""
    contract = index.contracts.get(system)
    if contract is None:
        raise ValidationProblems(
            "the record",
            [
                Problem(
                    "record",
                    "system",
                    f"no {obj} contract for system {system!r}; "
                    f"known: {', '.join(sorted(index.contracts)) or 'none'}",
                )
            ],
        )
    return contract
