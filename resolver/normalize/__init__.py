"""Normalizers: pure functions of one value, applied over a column's distinct values.

Every scalar normalizer never raises, is idempotent on its string outputs and
treats None/NaN/empty/whitespace as missing (all outputs None, reason None).
The frame entry points below are what the ingest stage calls.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from resolver.normalize._distinct import (
    MIN_PARALLEL,
    WorkerPool,
    over_distinct_later,
    present,
    row_mask,
)
from resolver.normalize.address import (
    ADDRESS_COLUMNS,
    AddressResult,
    has_address_content,
    normalize_address,
    normalize_address_column,
    normalize_line_address_columns,
    normalize_split_address_columns,
)
from resolver.normalize.amount import format_cents, parse_amount, parse_amount_column
from resolver.normalize.company import (
    COMPANY_COLUMNS,
    CompanyResult,
    looks_like_company,
    normalize_company,
    normalize_company_column,
)
from resolver.normalize.date import DATE_DTYPE, parse_date, parse_date_column
from resolver.normalize.email import (
    EMAIL_COLUMNS,
    EmailResult,
    normalize_email,
    normalize_email_column,
)
from resolver.normalize.invoice_number import (
    normalize_invoice_number,
    normalize_invoice_number_column,
)
from resolver.normalize.keys import KEY_COLUMNS, key_columns
from resolver.normalize.name import (
    NAME_COLUMNS,
    NameResult,
    first_name_key,
    normalize_name,
    normalize_name_column,
    normalize_name_parts,
    normalize_name_parts_columns,
)
from resolver.normalize.one_record import normalize_customer_record
from resolver.normalize.phone import (
    PHONE_COLUMNS,
    PhoneResult,
    normalize_phone,
    normalize_phone_column,
)

CUSTOMER_INPUT_COLUMNS = (
    "name",
    "first_name",
    "last_name",
    "company",
    "email",
    "phone",
    "address",
    "street",
    "unit",
    "city",
    "state",
    "postal_code",
    "country",
    "birth_date",  # a date (or a date text): gives birth_year
    "birth_date_partial",  # ingest's raw text of a partial birth date ('1987-05'), if any
)
ADDRESS_KEY_COLUMNS = (*ADDRESS_COLUMNS, "postal_norm")
CUSTOMER_OUTPUT_COLUMNS = (
    *NAME_COLUMNS,
    *COMPANY_COLUMNS,
    *EMAIL_COLUMNS,
    *PHONE_COLUMNS,
    *ADDRESS_KEY_COLUMNS,
    *KEY_COLUMNS,
)

__all__ = [
    "ADDRESS_COLUMNS",
    "COMPANY_COLUMNS",
    "CUSTOMER_INPUT_COLUMNS",
    "CUSTOMER_OUTPUT_COLUMNS",
    "DATE_DTYPE",
    "EMAIL_COLUMNS",
    "KEY_COLUMNS",
    "MIN_PARALLEL",
    "NAME_COLUMNS",
    "PHONE_COLUMNS",
    "AddressResult",
    "CompanyResult",
    "EmailResult",
    "NameResult",
    "PhoneResult",
    "WorkerPool",
    "first_name_key",
    "format_cents",
    "looks_like_company",
    "normalize_address",
    "normalize_address_column",
    "normalize_company",
    "normalize_company_column",
    "normalize_customer_frame",
    "normalize_customer_record",
    "normalize_email",
    "normalize_email_column",
    "normalize_invoice_frame",
    "normalize_invoice_number",
    "normalize_invoice_number_column",
    "normalize_line_address_columns",
    "normalize_name",
    "normalize_name_column",
    "normalize_name_parts",
    "normalize_name_parts_columns",
    "normalize_phone",
    "normalize_phone_column",
    "normalize_split_address_columns",
    "parse_amount",
    "parse_amount_column",
    "parse_date",
    "parse_date_column",
]


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name].astype(object)
    return pd.Series([None] * len(df), index=df.index, dtype=object)


def _address_content(series: pd.Series) -> np.ndarray:
    """Rows where this column holds address content."""
    return row_mask(series, has_address_content)


def normalize_customer_frame(
    df: pd.DataFrame,
    *,
    phone_region: str = "US",
    default_country: str = "US",
    phone_area_code: str | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
    pool: WorkerPool | None = None,
) -> pd.DataFrame:
    """Normalize the canonical customer text columns into ``CUSTOMER_OUTPUT_COLUMNS``.

    Missing input columns count as all null. ``first_name``/``last_name`` win
    over ``name`` row by row; a company in the name field (with ``company``
    empty) fills the company fields and leaves the person fields null; split
    address fields win over the single-line ``address``, except that a row with no
    ``street`` reads its ``address`` as the street line. The match keys
    (``KEY_COLUMNS``, ``postal_norm``) follow from the normalized values;
    ``phone_area_code`` goes in front of 7-digit phone numbers. ``progress(n)`` is
    called with the number of rows completed since the previous call (the
    calls sum to ``len(df)``), so ``progress=tqdm_bar.update`` works; the work
    goes kind by kind, so it advances in five steps.

    ``workers``: processes for the costly kinds (names, email, phone, addresses)
    when a kind has more than ``MIN_PARALLEL`` distinct values; None reads
    ``$RESOLVER_WORKERS`` and defaults to the CPU count, 1 keeps everything in this
    process. The output does not depend on it. ``pool``: a pool to use instead (kept
    open), such as the Spark engine's (:class:`resolver.spark.normalize.SparkPool`).
    """
    if pool is not None:
        return _customer_frame(df, phone_region, default_country, phone_area_code, progress, pool)
    with WorkerPool(workers) as own:
        return _customer_frame(df, phone_region, default_country, phone_area_code, progress, own)


def _customer_frame(
    df: pd.DataFrame,
    phone_region: str,
    default_country: str,
    phone_area_code: str | None,
    progress: Callable[[int], None] | None,
    pool: WorkerPool,
) -> pd.DataFrame:
    n = len(df)
    index = df.index
    steps = [n * k // 5 - n * (k - 1) // 5 for k in range(1, 6)]

    def tick(step: int) -> None:
        if progress is not None and steps[step]:
            progress(steps[step])

    col = {name: _column(df, name) for name in CUSTOMER_INPUT_COLUMNS}

    # names: split fields where given, else the single line. One-line names, emails and
    # phones go to the workers, in that order; this process splits the name fields
    # meanwhile, then does companies (which need the names) while the workers finish
    # (with a serial pool each simply runs when collected)
    split = present(col["first_name"]) | present(col["last_name"])
    names_later = over_distinct_later(
        col["name"].where(~split, None), normalize_name, NAME_COLUMNS, pool=pool
    )
    emails_later = over_distinct_later(col["email"], normalize_email, EMAIL_COLUMNS, pool=pool)
    phones_later = over_distinct_later(
        col["phone"],
        partial(normalize_phone, region=phone_region, area_code=phone_area_code),
        PHONE_COLUMNS,
        pool=pool,
    )
    parts = (
        normalize_name_parts_columns(col["first_name"][split], col["last_name"][split])
        if split.any()
        else None
    )
    names = names_later()
    if parts is not None:
        names.loc[split, list(NAME_COLUMNS)] = parts.to_numpy()
    tick(0)

    # company: the company field, else a company sitting in the name field(s)
    is_company = names["name_is_company"].to_numpy(dtype=bool)
    company_src = col["company"].copy()
    from_name = is_company & ~present(col["company"])
    if from_name.any():
        joined = (
            col["first_name"].fillna("").astype(str) + " " + col["last_name"].fillna("").astype(str)
        ).str.strip()
        company_src[from_name] = np.where(
            split[from_name], joined[from_name], col["name"][from_name]
        )
    companies = normalize_company_column(company_src)
    tick(1)

    emails = emails_later()
    tick(2)
    phones = phones_later()
    tick(3)

    # A one-line address beside separate city/state/postcode columns, with no street
    # column filled, is that row's street line: otherwise the split fields would win and
    # the number and street be dropped without a trace. Each column's content mask is
    # taken once (a street that took its line has the line's content).
    parts_of = ("street", "address", "city", "state", "postal_code")
    content = {k: _address_content(col[k]) for k in parts_of}
    street_as_line = (
        ~content["street"]
        & content["address"]
        & (content["city"] | content["state"] | content["postal_code"])
    )
    if street_as_line.any():
        col["street"] = col["street"].where(~street_as_line, col["address"])
        content["street"] = content["street"] | street_as_line
    split_addr = content["street"] | content["city"] | content["state"] | content["postal_code"]
    line_rows = ~split_addr & (
        present(col["address"]) | present(col["unit"]) | present(col["country"])
    )
    addresses = pd.DataFrame(
        np.full((n, len(ADDRESS_KEY_COLUMNS)), None, dtype=object),
        index=index,
        columns=list(ADDRESS_KEY_COLUMNS),
    )
    if split_addr.any():
        sub = {
            k: col[k][split_addr]
            for k in ("street", "unit", "city", "state", "postal_code", "country")
        }
        addresses.loc[split_addr, list(ADDRESS_KEY_COLUMNS)] = normalize_split_address_columns(
            sub["street"],
            sub["unit"],
            sub["city"],
            sub["state"],
            sub["postal_code"],
            sub["country"],
            default_country=default_country,
            pool=pool,
            keys=True,
        ).to_numpy()
    if line_rows.any():
        addresses.loc[line_rows, list(ADDRESS_KEY_COLUMNS)] = normalize_line_address_columns(
            col["address"][line_rows],
            col["unit"][line_rows],
            col["country"][line_rows],
            default_country=default_country,
            pool=pool,
            keys=True,
        ).to_numpy()

    out = pd.concat([names, companies, emails, phones, addresses], axis=1)
    keys = key_columns(out, col["birth_date"], col["birth_date_partial"])
    out = pd.concat([out, keys], axis=1)
    tick(4)
    out["name_is_company"] = out["name_is_company"].astype(bool)
    return out[list(CUSTOMER_OUTPUT_COLUMNS)]


def normalize_invoice_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``invoice_number`` -> a new frame on the same index with ``invoice_number_norm``."""
    numbers = _column(df, "invoice_number")
    return pd.DataFrame(
        {"invoice_number_norm": normalize_invoice_number_column(numbers)}, index=df.index
    )
