"""The canonical objects every source contract maps onto.

A field's kind says how ingest parses and normalizes it:
``text`` is kept as given (trimmed), ``date`` is parsed to a date, ``amount`` to
integer cents, ``enum`` is mapped through the contract's enum map.
"""

from __future__ import annotations

from typing import Literal

ObjectName = Literal["customer", "invoice"]
OBJECTS: tuple[ObjectName, ...] = ("customer", "invoice")

CUSTOMER_FIELDS: dict[str, str] = {
    "name": "text",  # single-line person name ("Smith, John" or "John Smith")
    "first_name": "text",
    "last_name": "text",
    "company": "text",
    "email": "text",
    "phone": "text",
    "address": "text",  # single-line address, split by the address normalizer
    "street": "text",
    "unit": "text",
    "city": "text",
    "state": "text",
    "postal_code": "text",
    "country": "text",
    "status": "enum",
    "branch": "text",
    "birth_date": "date",  # people: date of birth, where a system keeps it
    "tax_id": "text",  # businesses: EIN / VAT number; people: a national id
    "updated_at": "date",
}

INVOICE_FIELDS: dict[str, str] = {
    "invoice_number": "text",
    "customer_ref": "text",  # the source-local customer id
    "amount": "amount",
    "currency": "text",
    "tax": "amount",
    "invoice_date": "date",
    "due_date": "date",
    "status": "enum",
    "branch": "text",
    "job_ref": "text",
    "updated_at": "date",
}

FIELDS: dict[str, dict[str, str]] = {"customer": CUSTOMER_FIELDS, "invoice": INVOICE_FIELDS}

# Canonical status values; a contract's enum map must map onto these.
STATUSES: dict[str, tuple[str, ...]] = {
    "customer": ("active", "inactive", "prospect"),
    "invoice": ("draft", "open", "paid", "void", "overdue"),
}

TABLES: dict[str, str] = {"customer": "customers", "invoice": "invoices"}


def stored_column(obj: str, field: str) -> str:
    """The store's column of a canonical field: an amount is kept in cents
    ('amount' -> 'amount_cents'); every other field under its own name."""
    return f"{field}_cents" if FIELDS[obj].get(field) == "amount" else field
