"""What a reviewer's decision was made on: one rule, here, for the batch and the API.

A decision lasts until the data it was made on changes in a field the model or the
reviewer could have used to tell the records apart. ``content_hash`` fingerprints
exactly those fields, by their *normalized* values — names, company, email, phone,
address parts, birth date, tax id, branch; for invoices number, amounts, currency,
dates, customer and job reference — so a new ``updated_at``, a status change or a
reformatting ("(217) 555-0123" -> "217.555.0123", "JOHN" -> "John") leaves it as it
was, and a new email changes it. A value its normalizer could not clean counts by its
raw text folded to lower-case letters and digits (so formatting alone never counts).

``row_hash`` stays what it was (every mapped value, timestamps included): the record
changed at all. Decisions compare ``content_hash``; decisions journaled before it
existed hold row hashes, which :func:`same_data` still compares as row hashes.
"""

from __future__ import annotations

PREFIX = "c1:"  # the rule's version: a hash without it is an older decision's row hash

# object -> (normalized column, raw canonical column or None): the identifying values
IDENTIFYING: dict[str, tuple[tuple[str | None, str | None], ...]] = {
    "customer": (
        ("first_name_norm", "first_name"),
        ("middle_name_norm", None),
        ("last_name_norm", "last_name"),
        ("name_suffix", None),
        ("full_name_norm", "name"),
        ("company_norm", "company"),
        ("company_legal_form", None),
        ("email_norm", "email"),
        ("phone_e164", "phone"),
        ("phone_ext", None),
        ("addr_house_number", None),
        ("addr_street", "street"),
        ("addr_unit", "unit"),
        ("city_norm", "city"),
        ("state_norm", "state"),
        ("zip5", "postal_code"),
        ("zip4", None),
        ("country_norm", "country"),
        ("address_line", "address"),
        ("birth_date", None),
        ("tax_id_norm", "tax_id"),
        (None, "branch"),
    ),
    "invoice": (
        ("invoice_number_norm", "invoice_number"),
        ("amount_cents", None),
        ("tax_cents", None),
        (None, "currency"),
        ("invoice_date", None),
        ("due_date", None),
        (None, "customer_ref"),
        (None, "job_ref"),
        (None, "branch"),
    ),
}

# never part of it: when a record was touched, and where it stands in its lifecycle
EXCLUDED = ("updated_at", "status")


def _folded(column: str) -> str:
    return f"nullif(lower(regexp_replace({column}::VARCHAR, '[^[:alnum:]@]', '', 'g')), '')"


def content_hash_sql(obj: str) -> str:
    """SQL (over a record table's columns) for its records' content hash."""
    parts = []
    for norm, raw in IDENTIFYING[obj]:
        if norm and raw:
            value = f"coalesce({norm}::VARCHAR, {_folded(raw)})"
        elif norm:
            value = f"{norm}::VARCHAR"
        else:
            value = _folded(str(raw))
        parts.append(f"coalesce({value}, chr(0))")
    return f"'{PREFIX}' || left(md5(concat_ws(chr(31), {', '.join(parts)})), 16)"


def same_data(then: str | None, content_hash: str | None, row_hash: str | None) -> bool:
    """Whether a record's data is what a decision saw (``then``: the hash it journaled)."""
    if not then:
        return False
    if then.startswith(PREFIX):
        return then == content_hash
    return then == row_hash  # a decision journaled before content hashes existed
