"""The ingest stage: read every source through its contract into canonical tables.

Every row read is either loaded into ``customers``/``invoices`` (raw values beside
normalized ones, the source row kept as JSON) or written to ``rejects`` with a
reason naming file, row and column: rows read = rows loaded + rows rejected.
Loaded values the normalizers cannot use (an invalid phone, a malformed email,
an unparsed address, an unreadable birth date) are counted per field beside
that identity (``SourceLoad.unusable``, ``source_loads.unusable``). A partial
birth date ("1987-05") is not a reject: ``birth_date`` stays empty, the record's
``issues`` say so and ``birth_year`` keeps the year.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import numpy as np
import pandas as pd

from resolver import store
from resolver.errors import ResolverError
from resolver.ingest.canonical import FIELDS, TABLES
from resolver.ingest.contracts import Contract
from resolver.ingest.read import LOCATION_COLUMNS, read_any
from resolver.ingest.source_files import read_source, rows_as_json
from resolver.normalize import (
    normalize_customer_frame,
    normalize_invoice_frame,
    parse_amount_column,
    parse_date_column,
)
from resolver.normalize._distinct import WorkerPool, over_distinct
from resolver.normalize.date import partial_year
from resolver.normalize.extra import normalize_extra_column
from resolver.normalize.nickname_variants import first_name_variants_column
from resolver.normalize.tax_id import normalize_tax_id_column
from resolver.normalize.unusable import Unusable, count_unusable, format_unusable, unusable_json
from resolver.progress import Progress
from resolver.store import records, schema, source_loads


@dataclass
class SourceLoad:
    """What one source contributed: the row-count identity and the reject reasons."""

    system: str
    object: str
    file: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    reasons: Counter = field(default_factory=Counter)
    unusable: Unusable = field(default_factory=dict)  # field -> {kind: count}

    def format(self) -> str:
        line = (
            f"{self.system:<10} {self.object:<8} read {self.rows_read:>9,}  "
            f"loaded {self.rows_loaded:>9,}  rejected {self.rows_rejected:>6,}"
        )
        if self.reasons:
            top = ", ".join(f"{k} {v}" for k, v in self.reasons.most_common(4))
            line += f"  ({top})"
        unusable = format_unusable(self.unusable)
        if unusable:
            line += f"; unusable: {unusable}"
        return line


def ingest(
    con: duckdb.DuckDBPyConnection,
    contracts: list[Contract],
    *,
    progress: Progress | None = None,
    publish: bool = True,
    pool: WorkerPool | None = None,
) -> list[SourceLoad]:
    """Load every contract's source into staging tables, then publish them at once.

    With ``publish=False`` the staged tables (``stage_customers``, ...) are left for
    the caller (the batch job) to publish with the rest of its run. ``pool`` maps the
    costly normalizers over distinct values (default: local worker processes).
    """
    progress = progress or Progress()
    columns = {obj: record_columns(obj, contracts) for obj in schema.RECORD_COLUMNS}
    stages = {
        "customers": store.create_stage(con, "customers", columns["customer"]),
        "invoices": store.create_stage(con, "invoices", columns["invoice"]),
        "rejects": store.create_stage(con, "rejects", schema.REJECT_COLUMNS),
        "source_loads": store.create_stage(con, "source_loads", schema.SOURCE_LOAD_COLUMNS),
    }
    loads = []
    # one pool for every source: its workers start once, not once per source
    with contextlib.nullcontext(pool) if pool is not None else WorkerPool() as shared:
        for contract in sorted(contracts, key=lambda c: (c.object, c.system)):
            one = _ingest_one(con, contract, stages, columns[contract.object], progress, shared)
            loads.append(one)
    if publish:
        store.publish(con, list(stages))
    return loads


def record_columns(obj: str, contracts: list[Contract]) -> dict[str, str]:
    """The stored columns of ``obj``'s records: the schema's, then ``x_<name>`` for every
    extra attribute any of its contracts maps (empty in the others' rows)."""
    extra = sorted({f"x_{n}" for c in contracts if c.object == obj for n in c.extra})
    return {**schema.RECORD_COLUMNS[obj], **dict.fromkeys(extra, "VARCHAR")}


def _ingest_one(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    stages: dict[str, str],
    columns: dict[str, str],
    progress: Progress,
    pool: WorkerPool | None = None,
) -> SourceLoad:
    with progress.stage(f"read {contract.system}/{contract.object}", total=1, unit="files") as done:
        source = read_any(contract)
        raw, bad_rows = source.rows, source.bad
        done(1)
    n = len(raw) + len(bad_rows)
    with progress.stage(f"{contract.system}/{contract.object}", total=n) as advance:
        canonical, problems = map_to_canonical(contract, raw)
        ok = problems.isna().to_numpy()
        loaded = canonical.loc[ok].copy()
        if contract.object == "customer":
            norm = normalize_customer_frame(
                loaded,
                phone_region=contract.phone_region,
                default_country=contract.country,
                phone_area_code=contract.phone_area_code,
                progress=advance,
                pool=pool,
            )
        else:
            norm = normalize_invoice_frame(loaded)
            advance(len(loaded))
        loaded = pd.concat([loaded, norm], axis=1)
        if contract.object == "customer":
            loaded["tax_id_norm"] = normalize_tax_id_column(loaded["tax_id"])
            loaded["first_name_variants"] = first_name_variants_column(loaded["first_name_norm"])
            birth_raw = _mapped_values(raw.loc[ok], contract.fields.get("birth_date"))
            unusable = count_unusable(loaded, birth_raw)
        else:
            unusable = {}
        rejects = _rejects_frame(
            contract, raw.loc[~ok], problems.loc[~ok], bad_rows, by_key=source.by_key
        )
        advance(len(rejects))
        records.insert_rows(
            con,
            stages[TABLES[contract.object]],
            loaded,
            columns,
            obj=contract.object,
        )
        records.insert_rows(con, stages["rejects"], rejects, schema.REJECT_COLUMNS)
    load = SourceLoad(
        system=contract.system,
        object=contract.object,
        file=contract.location,
        rows_read=n,
        rows_loaded=len(loaded),
        rows_rejected=len(rejects),
        reasons=Counter(rejects["reason_kind"]) if len(rejects) else Counter(),
        unusable=unusable,
    )
    if load.rows_loaded + load.rows_rejected != load.rows_read:  # the identity must hold
        raise ResolverError(f"{contract.location}: rows lost between read and load")
    source_loads.record_load(
        con,
        stages["source_loads"],
        [
            contract.system,
            contract.object,
            contract.location,
            source.sha256,
            str(contract.path),
            load.rows_read,
            load.rows_loaded,
            load.rows_rejected,
            datetime.now(UTC).replace(tzinfo=None),
            unusable_json(unusable),
        ],
    )
    return load


def map_to_canonical(contract: Contract, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Map source columns to canonical fields; return it and one problem text per row."""
    kinds = FIELDS[contract.object]
    out = pd.DataFrame(index=raw.index)
    out["system"] = contract.system
    out["source_id"] = raw[contract.id_column]
    out["source_file"] = raw.get("_file", contract.location)
    out["source_row"] = raw["_file_row"] if "_file_row" in raw else raw["_row"]
    problems: list[pd.Series] = []
    issues: list[pd.Series] = []

    def problem(mask: pd.Series, column: str, message: str | pd.Series) -> None:
        if mask.any():
            text = f"column {column!r}: " + (
                message if isinstance(message, str) else message.astype(str)
            )
            problems.append(pd.Series(np.where(mask, text, None), index=raw.index, dtype=object))

    ids = raw[contract.id_column]
    problem(ids.isna(), contract.id_column, "missing source id [missing_required]")
    _repeated_ids(raw, contract, problem)
    for name in kinds:
        mapped = contract.fields.get(name)
        col = mapped if isinstance(mapped, str) or mapped is None else mapped[0]
        values = _mapped_values(raw, mapped)
        kind = kinds[name]
        if name in contract.required:
            problem(values.isna(), col, f"required field {name} is empty [missing_required]")
        if kind == "enum" and col:
            mapping = {k.strip().lower(): v for k, v in contract.enums.get(name, {}).items()}
            if mapping:
                mapped = values.str.lower().map(mapping)
                problem(
                    values.notna() & mapped.isna(),
                    col,
                    "value " + values.astype(str) + f" is not in the enum map of {name} [bad_enum]",
                )
                values = mapped.where(values.notna(), None)
            else:
                values = values.str.lower()
        elif kind in ("date", "amount") and col:
            if kind == "date":
                parsed = parse_date_column(values, fmt=_strptime(contract.date_format(name)))
            else:
                parsed = parse_amount_column(values, locale=contract.amount_locale)
                name = f"{name}_cents"
            unreadable = parsed["reason"].notna() & values.notna()
            if name == "birth_date":
                # '1987', '1987-05': kept as birth_year, noted, never a reject
                years = over_distinct(values, lambda v: (partial_year(v),), ("y",))["y"]
                partial = unreadable & years.notna()
                unreadable &= ~partial
                out["birth_date_partial"] = values.where(partial, None)
                if partial.any():
                    issues.append(
                        pd.Series(
                            np.where(
                                partial,
                                f"column {col!r}: partial birth date "
                                + values.astype(str)
                                + ": birth_date left empty, birth_year kept [partial_date]",
                                None,
                            ),
                            index=raw.index,
                            dtype=object,
                        )
                    )
            message = (
                f"cannot read {kind} "
                + values.astype(str)
                + ": "
                + parsed["reason"].astype(str)
                + f" [bad_{kind}]"
            )
            if (
                contract.on_bad_value == "blank"
                and name.removesuffix("_cents") not in contract.required
            ):
                # kept as missing; the record says why, its raw row keeps the value
                if unreadable.any():
                    issues.append(
                        pd.Series(
                            np.where(unreadable, f"column {col!r}: " + message, None),
                            index=raw.index,
                            dtype=object,
                        )
                    )
            else:
                problem(unreadable, col, message)
            values = parsed["value"]
        out[name] = values
    for name, mapped in contract.extra.items():
        out[f"x_{name}"] = normalize_extra_column(_mapped_values(raw, mapped))
    if "country" in kinds:
        out["country"] = out["country"].fillna(contract.country)
    out["record_key"] = contract.system + ":" + out["source_id"].fillna("").astype(str)
    out["row_hash"] = None  # computed by DuckDB at insert, over the canonical values
    out["content_hash"] = None  # and this over the identifying normalized values
    source_cols = [c for c in raw.columns if c not in LOCATION_COLUMNS]
    out["raw"] = rows_as_json(raw[source_cols])
    out["issues"] = _joined(issues, raw.index)
    text = _joined(problems, raw.index)
    return out, text


def _mapped_values(raw: pd.DataFrame, mapped: str | tuple[str, ...] | None) -> pd.Series:
    """One canonical field's values: a column, several joined by a space, or all missing."""
    if mapped is None:
        return pd.Series(None, index=raw.index, dtype=object)
    if isinstance(mapped, str):
        return raw[mapped]
    parts = raw[list(mapped)].fillna("")
    joined = parts.iloc[:, 0].astype(str)
    for col in parts.columns[1:]:
        joined = joined + " " + parts[col].astype(str)
    joined = joined.str.split().str.join(" ")
    return joined.where(joined != "", None)


def _repeated_ids(raw: pd.DataFrame, contract: Contract, problem) -> None:
    """A repeated id is decided by content, never by row order.

    Identical rows (an export written twice) keep their first copy; rows that share
    an id but differ are all rejected, since nothing says which one the id belongs to.
    """
    ids = raw[contract.id_column]
    repeated = ids.notna() & ids.duplicated(keep=False)
    if not repeated.any():
        return
    cols = [c for c in raw.columns if c not in LOCATION_COLUMNS]
    rep = raw[repeated]  # hash only the rows that share an id
    content = pd.util.hash_pandas_object(rep[cols].fillna("\x00"), index=False)
    sub = pd.DataFrame(
        {"id": ids[repeated], "h": content.to_numpy(), "row": rep["_row"]}, index=rep.index
    )
    variants = sub.groupby("id")["h"].transform("nunique")
    first_row = sub.groupby("id")["row"].transform("min")
    same = (variants == 1) & (sub["row"] != first_row)
    clash = variants > 1
    col = contract.id_column
    msg_same = "duplicate row: identical to row " + first_row.astype(str) + " [duplicate_id]"
    problem(same.reindex(raw.index, fill_value=False), col, msg_same.reindex(raw.index))
    if clash.any():  # the rows of each id listed only where they differ (most repeats are copies)
        clashing = sub[clash]
        rows_of = clashing.groupby("id")["row"].transform(lambda r: ", ".join(map(str, sorted(r))))
        msg_clash = (
            "source id "
            + clashing["id"].astype(str)
            + " is used by different rows ("
            + rows_of
            + "); fix the source, none of them is loaded [id_conflict]"
        )
        problem(clash.reindex(raw.index, fill_value=False), col, msg_clash.reindex(raw.index))


def _joined(parts: list[pd.Series], index: pd.Index) -> pd.Series:
    """One "; "-joined text per row from several columns of messages (None where none)."""
    if not parts:
        return pd.Series(None, index=index, dtype=object)
    joined = pd.concat(parts, axis=1)
    out = pd.Series(None, index=index, dtype=object)
    some = joined.notna().any(axis=1).to_numpy()
    if some.any():  # most rows have no message: join only where there is one
        out[some] = [
            "; ".join(v for v in row if v is not None)
            for row in joined[some].itertuples(index=False, name=None)
        ]
    return out


def _strptime(fmt: str) -> str | None:
    return None if fmt.lower() in ("iso", "auto", "") else fmt


def _rejects_frame(
    contract: Contract,
    raw: pd.DataFrame,
    problems: pd.Series,
    bad_rows: pd.DataFrame,
    *,
    by_key: bool = False,
) -> pd.DataFrame:
    """One reject per row, located by file and row (a table's rows: by table and key)."""
    file = raw["_file"] if "_file" in raw else pd.Series(contract.location, index=raw.index)
    row = raw["_file_row"] if "_file_row" in raw else raw["_row"]
    first_col = problems.str.extract(r"^column '([^']*)'", expand=False)
    kind = problems.str.extract(r"\[(\w+)\]", expand=False)
    at = ": row " + row.astype(str)
    if by_key:  # a table: its key, where the row has one
        ids = raw[contract.id_column]
        at = (": key " + ids.astype(str)).where(ids.notna(), at)
    rejects = pd.DataFrame(
        {
            "system": contract.system,
            "object": contract.object,
            "source_file": file.astype(str),
            "source_row": row.astype("int64"),
            "source_id": raw[contract.id_column],
            "column_name": first_col,
            "reason": file.astype(str) + at + ": " + problems,
            "raw": rows_as_json(raw[[c for c in raw.columns if c not in LOCATION_COLUMNS]]),
            "reason_kind": kind,
        }
    )
    if len(bad_rows):  # rows the reader could not read as data, each with its reason
        line = bad_rows["_line"].astype("Int64").astype(str).radd(" (line ").add(")")
        bad_file = bad_rows["_file"].astype(str) if "_file" in bad_rows else contract.location
        bad_row = bad_rows["_file_row"] if "_file_row" in bad_rows else bad_rows["_row"]
        unreadable = pd.DataFrame(
            {
                "system": contract.system,
                "object": contract.object,
                "source_file": bad_file,
                "source_row": bad_row.astype("int64"),
                "source_id": bad_rows["_source_id"],
                "column_name": bad_rows["_column"],
                "reason": bad_file
                + ": row "
                + bad_row.astype(str)
                + line.where(bad_rows["_line"].notna(), "")
                + ": "
                + bad_rows["_reason"],
                "raw": bad_rows["_raw"],
                "reason_kind": bad_rows["_kind"],
            }
        )
        rejects = pd.concat([rejects, unreadable], ignore_index=True)
    return rejects.sort_values(["source_file", "source_row"], kind="stable").reset_index(drop=True)


__all__ = ["SourceLoad", "ingest", "read_source"]
