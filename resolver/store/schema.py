"""Table layouts of the store: the only place that knows them."""

from __future__ import annotations

from resolver.ingest.canonical import CUSTOMER_FIELDS, INVOICE_FIELDS

SCHEMA_VERSION = 1

# Columns the normalizers add beside the raw canonical values.
CUSTOMER_NORM_COLUMNS: dict[str, str] = {
    "first_name_norm": "VARCHAR",
    "middle_name_norm": "VARCHAR",
    "last_name_norm": "VARCHAR",
    "name_title": "VARCHAR",
    "name_suffix": "VARCHAR",
    "full_name_norm": "VARCHAR",
    "first_name_key": "VARCHAR",
    "first_name_phonetic": "VARCHAR",
    "last_name_phonetic": "VARCHAR",
    "name_is_company": "BOOLEAN",
    "company_norm": "VARCHAR",
    "company_key": "VARCHAR",
    "company_legal_form": "VARCHAR",
    "email_norm": "VARCHAR",
    "email_key": "VARCHAR",
    "email_reason": "VARCHAR",
    "phone_e164": "VARCHAR",
    "phone_ext": "VARCHAR",
    "phone_digits": "VARCHAR",
    "phone_reason": "VARCHAR",
    "addr_house_number": "VARCHAR",
    "addr_street": "VARCHAR",
    "addr_unit": "VARCHAR",
    "city_norm": "VARCHAR",
    "state_norm": "VARCHAR",
    "zip5": "VARCHAR",
    "zip4": "VARCHAR",
    "country_norm": "VARCHAR",
    "address_line": "VARCHAR",
    "address_reason": "VARCHAR",
    # match keys: values the columns above lose or that compare better apart
    "postal_norm": "VARCHAR",  # any country's postal code, compact; a US one is its zip5
    "name_sorted": "VARCHAR",  # sorted tokens of first + last name
    "first_initial": "VARCHAR",
    "first_name_prefix": "VARCHAR",  # first 3 characters
    "last_name_prefix": "VARCHAR",
    "company_sorted": "VARCHAR",  # sorted distinct tokens of company_key
    "email_user": "VARCHAR",  # local part of email_key
    "phone_local": "VARCHAR",  # last 7 digits of phone_digits
    "street_core": "VARCHAR",  # street name without number, unit, type, directionals
    "birth_year": "VARCHAR",  # 4 digits, from a full or a partial birth date
    "tax_id_norm": "VARCHAR",  # digits and letters only, upper case
    "first_name_variants": "VARCHAR[]",  # the name and every name it is a nickname of
}

INVOICE_NORM_COLUMNS: dict[str, str] = {
    "invoice_number_norm": "VARCHAR",
}

_KIND_TYPES = {"text": "VARCHAR", "enum": "VARCHAR", "date": "DATE", "amount": "BIGINT"}

# Every loaded record: where it came from, its canonical values, its normalized values.
RECORD_BASE_COLUMNS: dict[str, str] = {
    "record_key": "VARCHAR NOT NULL",  # "<system>:<source_id>", unique per object
    "system": "VARCHAR NOT NULL",
    "source_id": "VARCHAR NOT NULL",
    "source_file": "VARCHAR NOT NULL",
    "source_row": "BIGINT NOT NULL",  # 1-based data row (header not counted)
    "row_hash": "VARCHAR NOT NULL",  # hash of the mapped raw values: changes when data changes
    # hash of the identifying normalized values: what a decision was made on
    # (resolver.store.content_hash; timestamps and formatting never change it)
    "content_hash": "VARCHAR NOT NULL",
}


def canonical_columns(fields: dict[str, str]) -> dict[str, str]:
    """Stored columns of canonical fields: amounts become integer cents (amount -> amount_cents)."""
    return _canonical_columns(fields)


def _canonical_columns(fields: dict[str, str]) -> dict[str, str]:
    # amounts are stored as integer cents: amount -> amount_cents
    out = {}
    for name, kind in fields.items():
        out[f"{name}_cents" if kind == "amount" else name] = _KIND_TYPES[kind]
    return out


CUSTOMER_COLUMNS: dict[str, str] = {
    **RECORD_BASE_COLUMNS,
    **_canonical_columns(CUSTOMER_FIELDS),
    **CUSTOMER_NORM_COLUMNS,
    "issues": "VARCHAR",  # values read as missing (contract on_bad_value: blank), and why
    "raw": "VARCHAR",  # the source row as JSON, every column, for traceability
}

INVOICE_COLUMNS: dict[str, str] = {
    **RECORD_BASE_COLUMNS,
    **_canonical_columns(INVOICE_FIELDS),
    **INVOICE_NORM_COLUMNS,
    "issues": "VARCHAR",
    "raw": "VARCHAR",
}

RECORD_COLUMNS: dict[str, dict[str, str]] = {
    "customer": CUSTOMER_COLUMNS,
    "invoice": INVOICE_COLUMNS,
}

REJECT_COLUMNS: dict[str, str] = {
    "system": "VARCHAR NOT NULL",
    "object": "VARCHAR NOT NULL",
    "source_file": "VARCHAR NOT NULL",
    "source_row": "BIGINT NOT NULL",
    "source_id": "VARCHAR",
    "column_name": "VARCHAR",  # the source column at fault (first of several)
    "reason": "VARCHAR NOT NULL",  # every problem of the row, "; "-joined
    "raw": "VARCHAR",
}

SOURCE_LOAD_COLUMNS: dict[str, str] = {
    "system": "VARCHAR NOT NULL",
    "object": "VARCHAR NOT NULL",
    "source_file": "VARCHAR NOT NULL",
    "file_sha256": "VARCHAR NOT NULL",
    "contract": "VARCHAR NOT NULL",
    "rows_read": "BIGINT NOT NULL",
    "rows_loaded": "BIGINT NOT NULL",
    "rows_rejected": "BIGINT NOT NULL",
    "loaded_at": "TIMESTAMP NOT NULL",
    # loaded values that could not be used, per field: {"phone": {"invalid": 38, ...}}
    "unusable": "JSON",
}


# the layout of <object>_proposals (resolver.store.proposals' SELECT makes
# the same columns)
PROPOSAL_COLUMNS: dict[str, str] = {
    "proposal_id": "VARCHAR",
    "object": "VARCHAR",
    "kind": "VARCHAR",
    "entity_ids": "VARCHAR[]",
    "record_keys": "VARCHAR[]",
    "systems": "VARCHAR[]",
    "confidence": "DOUBLE",
    "suggested_action": "VARCHAR",
    "stake_cents": "BIGINT",
    "records_affected": "BIGINT",
    "version": "VARCHAR",
    "members_key": "VARCHAR",
    "evidence": "VARCHAR",
    "run_id": "INTEGER",
}

# the layout of <object>_pairs: scored pairs, with the vetoes and the band they fell in
PAIR_COLUMNS: dict[str, str] = {
    "record_key_l": "VARCHAR",
    "record_key_r": "VARCHAR",
    "system_l": "VARCHAR",
    "system_r": "VARCHAR",
    "match_weight": "DOUBLE",
    "match_probability": "DOUBLE",
    "mw_term_frequency": "DOUBLE",
    "veto": "VARCHAR",
    "band": "VARCHAR",
}

# the layout of <object>_members: each record's entity
MEMBER_COLUMNS: dict[str, str] = {"record_key": "VARCHAR", "entity_id": "VARCHAR"}


# the layout of reports: a run's health report snapshot as JSON
REPORTS_COLUMNS: dict[str, str] = {"run_id": "BIGINT", "created_at": "TIMESTAMP", "json": "VARCHAR"}


def create_table_sql(name: str, columns: dict[str, str]) -> str:
    body = ",\n  ".join(f"{col} {typ}" for col, typ in columns.items())
    return f"CREATE TABLE IF NOT EXISTS {name} (\n  {body}\n)"
