"""Source profiles: completeness and values per system and field, before and after
normalization, and rejected rows by reason."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
from splink import DuckDBAPI
from splink.exploratory import completeness_chart as splink_completeness
from splink.exploratory import profile_columns

from resolver.ingest.canonical import OBJECTS, TABLES
from resolver.store import analysis as store_analysis
from resolver.store import records as store_records
from resolver.store.connection import table_columns

# canonical field -> the normalized column ingest derives from it
NORMALIZED: dict[str, dict[str, str]] = {
    "customer": {
        "name": "full_name_norm",
        "first_name": "first_name_norm",
        "last_name": "last_name_norm",
        "company": "company_norm",
        "email": "email_norm",
        "phone": "phone_e164",
        "address": "address_line",
        "street": "addr_street",
        "city": "city_norm",
        "state": "state_norm",
        "postal_code": "zip5",
        "country": "country_norm",
        "tax_id": "tax_id_norm",
    },
    "invoice": {"invoice_number": "invoice_number_norm"},
}
# canonical fields worth profiling that have no normalized twin
_PLAIN: dict[str, tuple[str, ...]] = {
    "customer": ("unit", "status", "branch", "birth_date", "updated_at"),
    "invoice": (
        "customer_ref",
        "amount_cents",
        "currency",
        "tax_cents",
        "invoice_date",
        "due_date",
        "status",
        "branch",
        "job_ref",
        "updated_at",
    ),
}


def profile(con: duckdb.DuckDBPyConnection, obj: str | None = None) -> pd.DataFrame:
    """Completeness and distinct values of each field per system, raw and normalized.

    One row per (object, system, field): ``records``, ``raw_filled``, ``raw_complete``
    (share), ``raw_distinct``, and for fields with a normalized column ``norm_column``,
    ``norm_filled``, ``norm_complete``, ``norm_distinct`` (NaN otherwise). A drop from
    raw to normalized completeness is values the normalizer refused (say an email
    without a domain); a drop in distinct values is spelling variants it merged.
    """
    frames = []
    for o in [obj] if obj else OBJECTS:
        table = TABLES[o]
        present = set(table_columns(con, table))
        fields = [f for f in NORMALIZED[o] if f in present] + [f for f in _PLAIN[o] if f in present]
        for field in fields:
            norm = NORMALIZED[o].get(field)
            norm = norm if norm in present else None
            df = store_analysis.field_counts(con, o, field, norm)
            frames.append(df.assign(object=o, field=field, norm_column=norm))
    out = pd.concat(frames, ignore_index=True)
    out["raw_complete"] = out["raw_filled"] / out["records"]
    out["norm_complete"] = out["norm_filled"].astype("Float64") / out["records"]
    cols = [
        "object",
        "system",
        "field",
        "records",
        "raw_filled",
        "raw_complete",
        "raw_distinct",
        "norm_column",
        "norm_filled",
        "norm_complete",
        "norm_distinct",
    ]
    return out[cols]


def value_profile(
    con: duckdb.DuckDBPyConnection, obj: str, field: str, *, top_n: int = 10
) -> pd.DataFrame:
    """The normalized values that gather the most raw spellings of ``field``.

    Columns: norm (the normalized value), variants (distinct raw values), records,
    systems, examples (up to five raw spellings). Shows what normalization merges.
    """
    norm = NORMALIZED[obj].get(field)
    if norm is None:
        raise ValueError(
            f"{obj} field {field!r} has no normalized column; one of: {', '.join(NORMALIZED[obj])}"
        )
    return store_analysis.merged_spellings(con, obj, field, norm, top_n=top_n)


def refused_values(
    con: duckdb.DuckDBPyConnection, obj: str, field: str, *, limit: int = 10
) -> pd.DataFrame:
    """Raw values the normalizer turned into nothing: (system, raw value, records)."""
    norm = NORMALIZED[obj][field]
    return store_analysis.refused_values(con, obj, field, norm, limit=limit)


def profile_chart(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    columns: list[str],
    *,
    top_n: int = 10,
    bottom_n: int = 5,
) -> Any:
    """Splink's ``profile_columns`` chart over the store's ``columns`` of ``obj``; the
    columns that hold no value are left out and named (Splink refuses a chart of none:
    then the note alone is returned, a string)."""

    present = set(table_columns(con, TABLES[obj]))
    missing = [c for c in columns if c not in present]
    if missing:
        raise ValueError(f"{TABLES[obj]} has no column(s) {missing}")
    frame = store_records.record_columns(con, obj, columns)
    filled = [c for c in columns if frame[c].notna().any()]
    if not filled:
        return f"{TABLES[obj]}: no value in {', '.join(columns)} to profile"
    if len(filled) < len(columns):
        empty = ", ".join(c for c in columns if c not in filled)
        print(f"{TABLES[obj]}: no value in {empty}; profiling {', '.join(filled)}")
    sdf = DuckDBAPI(duckdb.connect()).register(frame[filled], table_name=f"profile_{obj}")
    return profile_columns(sdf, filled, top_n=top_n, bottom_n=bottom_n)


def completeness_chart(con: duckdb.DuckDBPyConnection, obj: str, columns: list[str]) -> Any:
    """Splink's completeness chart of ``columns``, one table per system."""

    db_api = DuckDBAPI(duckdb.connect())
    systems = store_records.systems(con, obj)
    sdfs = []
    for system in systems:
        frame = store_records.record_columns(con, obj, columns, system=system)
        sdfs.append(db_api.register(frame, table_name=f"{obj}_{system}"))
    return splink_completeness(sdfs, cols=columns, table_names_for_chart=systems)
