"""Source contracts: how one system's export maps onto a canonical object.

A contract is one YAML file per source (``rules/sources/*.yaml``)::

    system: crm
    object: customer
    file: crm/contacts.csv
    id: ContactID
    fields: {first_name: First Name, last_name: Last Name, email: Email}
    enums: {status: {Active: active, Inactive: inactive}}
    required: [last_name]
    parse: {date_format: iso, amount_locale: en_US, phone_region: US, country: US}

``parse.phone_area_code`` ("310"): the area code a source's 7-digit local phone
numbers are in; it is put in front of them.

Besides one CSV or Parquet file, ``file`` may be a glob (``exports/contacts-*.csv``:
every matching file, read as one source) or an Excel workbook (``book.xlsx`` with
``sheet: Contacts``); instead of ``file`` a contract may name ``database:`` (a table or
query; see :mod:`resolver.ingest.database`).

``extra: {region: Region, dob_text: [Day, Month, Year]}``: source columns outside the
canonical fields, stored as ``x_<name>`` (text, normalized) and considered by the
derived model like any other column.

``load_contracts`` validates every file before anything is read and raises one
:class:`~resolver.errors.ContractError` listing every problem found.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from resolver.errors import ContractError, Problem
from resolver.ingest.canonical import FIELDS, OBJECTS, STATUSES
from resolver.ingest.database import DatabaseSource, parse_database
from resolver.ingest.source_files import source_encoding
from resolver.ingest.suggest import did_you_mean
from resolver.rulefiles import load_yaml

_SYSTEM_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_EXTRA_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_TOP_KEYS = {
    "extra",
    "system",
    "object",
    "file",
    "csv",
    "id",
    "fields",
    "enums",
    "required",
    "parse",
    "min_rows_ratio",
    "allow_outside_data",
    "sheet",
    "database",
}
DEFAULT_MIN_ROWS_RATIO = 0.5  # a source loading under half its last good run stops the run
_PARSE_KEYS = {
    "date_format",
    "amount_locale",
    "phone_region",
    "phone_area_code",
    "country",
    "on_bad_value",
}
_AREA_CODE_RE = re.compile(r"^[0-9]{2,5}$")
_ON_BAD = ("reject", "blank")
_CSV_KEYS = {"delimiter", "encoding", "quotechar"}
_AMOUNT_LOCALES = ("en_US", "eu")
_BOOL_HINT = 'YAML read this value as true/false; quote it (e.g. "No", "Y", "off")'
_SOURCE_SUFFIXES = (".csv", ".parquet", ".pq", ".tsv", ".txt", ".xlsx")
_GLOB_CHARS = ("*", "?", "[")


@dataclass(frozen=True)
class Contract:
    """One validated source contract."""

    path: Path
    system: str
    object: str
    file: Path | None  # None for a database source; may be a glob pattern
    id_column: str
    fields: dict[str, str | tuple[str, ...]]
    enums: dict[str, dict[str, str]] = field(default_factory=dict)
    # extra attributes: name -> source column(s); stored as x_<name>
    extra: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    date_formats: dict[str, str] = field(default_factory=dict)
    amount_locale: str = "en_US"
    phone_region: str = "US"
    phone_area_code: str | None = None  # put in front of 7-digit local phone numbers
    country: str = "US"
    on_bad_value: str = (
        "reject"  # an unreadable optional date or amount: reject the row, or blank it
    )
    csv_options: dict[str, str] = field(default_factory=dict)
    # a run stops, publishing nothing, when this source loads no rows or fewer than
    # this share of its last good run's (0: never)
    min_rows_ratio: float = DEFAULT_MIN_ROWS_RATIO
    allow_outside_data: bool = False  # may ``file`` lie outside the data folder?
    sheet: str | None = None  # the sheet of an .xlsx workbook
    database: DatabaseSource | None = None  # a table or query instead of a file

    @property
    def name(self) -> str:
        """The source's short name, e.g. ``crm_customer``."""
        return f"{self.system}_{self.object}"

    @property
    def is_parquet(self) -> bool:
        return self.file is not None and self.file.suffix.lower() in (".parquet", ".pq")

    @property
    def is_excel(self) -> bool:
        return self.file is not None and self.file.suffix.lower() == ".xlsx"

    @property
    def is_glob(self) -> bool:
        return self.file is not None and any(ch in self.file.name for ch in _GLOB_CHARS)

    @property
    def location(self) -> str:
        """Where the source is: its file (or glob), ``book.xlsx[Sheet]`` for a sheet,
        ``postgresql:crm.contacts`` for a database table."""
        if self.database is not None:
            return self.database.location
        if self.sheet:
            return f"{self.file}[{self.sheet}]"
        return str(self.file)

    def date_format(self, canonical_field: str) -> str:
        """The declared format of one date field ("iso" unless the contract says otherwise)."""
        return self.date_formats.get(canonical_field, self.date_formats.get("*", "iso"))

    def source_columns(self) -> list[str]:
        """Every source column the contract reads, id first, without repeats."""
        cols = [self.id_column]
        for mapped in [*self.fields.values(), *self.extra.values()]:
            for col in (mapped,) if isinstance(mapped, str) else mapped:
                if col not in cols:
                    cols.append(col)
        return cols


def load_contracts(rules_dir: Path | str, *, data_dir: Path | str | None = None) -> list[Contract]:
    """Read and validate every contract in ``rules_dir/sources`` (or ``rules_dir`` itself).

    Relative ``file:`` paths resolve against ``data_dir`` when given, else against
    the contract's folder. Checks that each file exists and has the mapped columns.
    Raises ContractError with every problem at once.
    """
    folder, paths = contract_paths(rules_dir)
    if not paths:
        raise ContractError(
            [
                Problem(
                    str(folder), "", "no source contracts (*.yaml) found; add one per source file"
                )
            ]
        )
    problems: list[Problem] = []
    contracts = []
    for path in paths:
        contract = parse_contract(path, data_dir=data_dir, problems=problems)
        if contract is not None:
            contracts.append(contract)
    seen: dict[tuple[str, str], Path] = {}
    for c in contracts:
        key = (c.system, c.object)
        if key in seen:
            problems.append(
                Problem(
                    str(c.path),
                    "system",
                    f"{c.system}/{c.object} is already defined by {seen[key].name}; "
                    "one contract per system and object",
                )
            )
        seen[key] = c.path
    for c in contracts:
        _check_source_file(c, problems)
    if problems:
        raise ContractError(problems)
    return contracts


def contract_paths(rules_dir: Path | str) -> tuple[Path, list[Path]]:
    """The contracts' folder (``rules_dir/sources``, else ``rules_dir``) and its files."""
    rules_dir = Path(rules_dir)
    folder = rules_dir / "sources" if (rules_dir / "sources").is_dir() else rules_dir
    return folder, sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))


def parse_contract(
    path: Path, *, data_dir: Path | str | None, problems: list[Problem]
) -> Contract | None:
    """One contract file, or None with what is wrong appended to ``problems``. The
    source file itself is not opened (``load_contracts`` checks it)."""
    where = str(path)
    try:
        doc = load_yaml(path)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(Problem(where, "", f"not valid YAML: {exc}"))
        return None
    if not isinstance(doc, Mapping):
        problems.append(
            Problem(where, "", "must be a mapping with system, object, file, id, fields")
        )
        return None
    before = len(problems)

    def need_str(key: str) -> str:
        value = doc.get(key)
        if isinstance(value, bool):
            problems.append(Problem(where, key, _BOOL_HINT))
            return ""
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(where, key, "is required and must be a non-empty string"))
            return ""
        return value.strip()

    for key in sorted(set(doc) - _TOP_KEYS):
        problems.append(
            Problem(where, str(key), f"unknown key; allowed: {', '.join(sorted(_TOP_KEYS))}")
        )
    system = need_str("system")
    if system and not _SYSTEM_RE.match(system):
        problems.append(Problem(where, "system", f"{system!r} must match [a-z][a-z0-9_]*"))
    obj = need_str("object")
    if obj and obj not in OBJECTS:
        problems.append(Problem(where, "object", f"{obj!r} is not one of {', '.join(OBJECTS)}"))
    base = Path(data_dir) if data_dir is not None else path.parent
    database = None
    if "database" in doc:
        database = parse_database(doc["database"], where=where, base=base, problems=problems)
        file_name = ""
        if "file" in doc or "sheet" in doc:
            problems.append(
                Problem(where, "database", "a contract reads a file or a database, not both")
            )
    else:
        file_name = need_str("file")
    if file_name and Path(file_name).suffix.lower() not in _SOURCE_SUFFIXES:
        problems.append(
            Problem(
                where,
                "file",
                f"{file_name!r}: only CSV, Parquet and Excel (.xlsx) files can be read",
            )
        )
    sheet = doc.get("sheet")
    if file_name.lower().endswith(".xlsx") and (not isinstance(sheet, str) or not sheet.strip()):
        problems.append(
            Problem(where, "sheet", "an .xlsx source must name its sheet: sheet: Contacts")
        )
    elif sheet is not None and not file_name.lower().endswith(".xlsx"):
        problems.append(Problem(where, "sheet", "only an .xlsx file has sheets"))
    id_column = need_str("id")
    canonical = FIELDS.get(obj, {})

    fields_doc = doc.get("fields")
    fields: dict[str, str] = {}
    if not isinstance(fields_doc, Mapping) or not fields_doc:
        problems.append(Problem(where, "fields", "must map canonical fields to source columns"))
    else:
        for name, col in fields_doc.items():
            if canonical and name not in canonical:
                problems.append(
                    Problem(
                        where,
                        f"fields.{name}",
                        f"unknown canonical field for {obj}"
                        f"{did_you_mean(str(name), canonical, quote=False)}; "
                        f"known: {', '.join(canonical)}",
                    )
                )
            elif isinstance(col, bool):
                problems.append(Problem(where, f"fields.{name}", _BOOL_HINT))
            elif isinstance(col, list) and col and all(isinstance(c, str) and c for c in col):
                # several source columns joined by a space: [street_number, street_name]
                fields[str(name)] = tuple(col)
            elif not isinstance(col, str) or not col:
                problems.append(
                    Problem(where, f"fields.{name}", "must be a source column or a list of them")
                )
            else:
                fields[str(name)] = col

    extra = _extra(doc.get("extra"), canonical, obj, where, problems)

    enums: dict[str, dict[str, str]] = {}
    for name, mapping in (doc.get("enums") or {}).items():
        key = f"enums.{name}"
        if name not in fields:
            problems.append(Problem(where, key, "enum for a field the contract does not map"))
            continue
        if not isinstance(mapping, Mapping) or not mapping:
            problems.append(Problem(where, key, "must map source values to canonical values"))
            continue
        allowed = STATUSES.get(obj, ()) if name == "status" else ()
        for src, dst in mapping.items():
            if isinstance(src, bool) or isinstance(dst, bool):
                problems.append(Problem(where, f"{key}.{src}", _BOOL_HINT))
            elif allowed and dst not in allowed:
                problems.append(
                    Problem(where, f"{key}.{src}", f"{dst!r} is not one of {', '.join(allowed)}")
                )
        enums[name] = {str(k): str(v) for k, v in mapping.items()}

    required_doc = doc.get("required") or []
    if not isinstance(required_doc, list):
        problems.append(Problem(where, "required", "must be a list of canonical fields"))
        required_doc = []
    for name in required_doc:
        if name not in fields:
            problems.append(
                Problem(where, f"required.{name}", "required field is not mapped in fields")
            )

    parse_doc = doc.get("parse") or {}
    if not isinstance(parse_doc, Mapping):
        problems.append(Problem(where, "parse", "must be a mapping"))
        parse_doc = {}
    for key in sorted(set(parse_doc) - _PARSE_KEYS):
        problems.append(
            Problem(
                where, f"parse.{key}", f"unknown key; allowed: {', '.join(sorted(_PARSE_KEYS))}"
            )
        )
    date_formats = _date_formats(parse_doc.get("date_format", "iso"), canonical, where, problems)
    locale = parse_doc.get("amount_locale", "en_US")
    if locale not in _AMOUNT_LOCALES:
        problems.append(
            Problem(where, "parse.amount_locale", f"{locale!r} is not one of {_AMOUNT_LOCALES}")
        )
    on_bad = parse_doc.get("on_bad_value", "reject")
    if on_bad not in _ON_BAD:
        problems.append(
            Problem(where, "parse.on_bad_value", f"{on_bad!r} is not one of {', '.join(_ON_BAD)}")
        )
    area_code = _area_code(parse_doc.get("phone_area_code"), where, problems)
    csv_doc = doc.get("csv") or {}
    if not isinstance(csv_doc, Mapping) or set(csv_doc) - _CSV_KEYS:
        problems.append(Problem(where, "csv", f"allowed keys: {', '.join(sorted(_CSV_KEYS))}"))
        csv_doc = {}

    ratio = doc.get("min_rows_ratio", DEFAULT_MIN_ROWS_RATIO)
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 <= ratio <= 1:
        problems.append(Problem(where, "min_rows_ratio", f"{ratio!r} must be a number from 0 to 1"))
    outside = doc.get("allow_outside_data", False)
    if not isinstance(outside, bool):
        problems.append(Problem(where, "allow_outside_data", "must be true or false"))

    if len(problems) > before:
        return None
    file_path = Path(file_name) if file_name else None
    if file_path is not None and not file_path.is_absolute():
        file_path = base / file_path
    if database is not None and database.path is not None:
        file_path, sqlite_file = None, database.path
    else:
        sqlite_file = None
    outside_path = file_path or sqlite_file
    if outside_path is not None and not outside and not _inside(outside_path, base):
        problems.append(
            Problem(
                where,
                "file",
                f"{file_name or str(sqlite_file)!r} is outside the data folder {base}: a contract reads only "
                "under --data (or its own folder); set allow_outside_data: true to allow it",
            )
        )
        return None
    return Contract(
        path=path,
        system=system,
        object=obj,
        file=file_path,
        id_column=id_column,
        fields=fields,
        enums=enums,
        extra=extra,
        required=tuple(required_doc),
        date_formats=date_formats,
        amount_locale=str(locale),
        on_bad_value=str(on_bad),
        phone_region=str(parse_doc.get("phone_region", "US")),
        phone_area_code=area_code,
        country=str(parse_doc.get("country", "US")),
        csv_options={str(k): str(v) for k, v in csv_doc.items()},
        min_rows_ratio=float(ratio),
        allow_outside_data=outside,
        sheet=sheet.strip() if isinstance(sheet, str) else None,
        database=database,
    )


def _extra(
    doc: Any, canonical: Mapping[str, str], obj: str, where: str, problems: list[Problem]
) -> dict[str, str | tuple[str, ...]]:
    """The ``extra:`` mapping: attribute name -> source column, or a list joined by spaces."""
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        problems.append(Problem(where, "extra", "must map attribute names to source columns"))
        return {}
    out: dict[str, str | tuple[str, ...]] = {}
    for name, col in doc.items():
        key = f"extra.{name}"
        if not isinstance(name, str) or not _EXTRA_NAME_RE.match(name):
            problems.append(Problem(where, key, "a name must match [a-z][a-z0-9_]*"))
        elif name in canonical:
            problems.append(
                Problem(where, key, f"{name} is a canonical field of {obj}: map it under fields")
            )
        elif isinstance(col, list) and col and all(isinstance(c, str) and c for c in col):
            out[name] = tuple(col)
        elif isinstance(col, str) and col:
            out[name] = col
        else:
            problems.append(Problem(where, key, "must be a source column or a list of them"))
    return out


def _inside(file: Path, folder: Path) -> bool:
    """Whether ``file`` lies under ``folder`` once ``..`` and ``.`` are resolved (by the
    paths' text: a symbolic link inside the folder is where its owner put it)."""

    f = os.path.normpath(os.path.abspath(file))
    d = os.path.normpath(os.path.abspath(folder))
    return os.path.commonpath([f, d]) == d


def _area_code(value: Any, where: str, problems: list[Problem]) -> str | None:
    """``parse.phone_area_code``: 2 to 5 digits (a string; YAML may read 310 as a number)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        problems.append(
            Problem(where, "parse.phone_area_code", f'{value!r} must be 2 to 5 digits, e.g. "310"')
        )
        return None
    text = str(value).strip()
    if not _AREA_CODE_RE.match(text):
        problems.append(
            Problem(
                where,
                "parse.phone_area_code",
                f'{value!r} must be 2 to 5 digits (only digits), e.g. "310"',
            )
        )
        return None
    return text


def _date_formats(
    value: Any, canonical: Mapping[str, str], where: str, problems: list[Problem]
) -> dict[str, str]:
    if isinstance(value, str):
        return {"*": value}
    if isinstance(value, Mapping):
        out = {}
        for name, fmt in value.items():
            if canonical.get(name) != "date":
                problems.append(Problem(where, f"parse.date_format.{name}", "is not a date field"))
            out[str(name)] = str(fmt)
        return out
    problems.append(Problem(where, "parse.date_format", "must be a format string or a mapping"))
    return {}


def _check_source_file(c: Contract, problems: list[Problem]) -> None:
    # deferred: reading a source builds on the contract types here (a cycle otherwise)
    from resolver.ingest.read import check_source

    if c.database is not None or c.is_glob or c.is_excel:
        check_source(c, problems)
        return
    check_one_file(c, problems)


def check_one_file(c: Contract, problems: list[Problem]) -> None:
    """Check that a CSV or Parquet source exists and has the mapped columns."""
    where = str(c.path)
    if not c.file.is_file():
        problems.append(Problem(where, "file", f"{c.file} does not exist"))
        return
    try:
        header = read_header(c)
    except Exception as exc:  # unreadable file: report, do not crash
        problems.append(Problem(where, "file", f"{c.file} cannot be read: {exc}"))
        return
    if not header:
        problems.append(Problem(where, "file", f"{c.file} is empty (not even a header)"))
        return
    undecodable = _undecodable_header(c, header)
    if undecodable:
        problems.append(Problem(where, "csv.encoding", undecodable))
        return
    wanted = c.source_columns()
    if not c.is_parquet and not set(wanted) <= set(header):
        hint = _delimiter_hint(c, wanted)
        if hint:
            problems.append(Problem(where, "csv.delimiter", hint))
            return
    problems += missing_columns(c, header, c.file.name)


def missing_columns(c: Contract, header: list[str], location: str) -> list[Problem]:
    """A problem for each column the contract names (id, fields, extra) that ``header``
    (the columns found at ``location``) does not have, with the closest column offered."""
    named = [("id", c.id_column)]
    for key, mapped in [
        *((f"fields.{n}", m) for n, m in c.fields.items()),
        *((f"extra.{n}", m) for n, m in c.extra.items()),
    ]:
        named += [(key, col) for col in ((mapped,) if isinstance(mapped, str) else mapped)]
    return [
        Problem(str(c.path), key, f"column {col!r} not in {location}{did_you_mean(col, header)}")
        for key, col in named
        if col not in header
    ]


def read_header(c: Contract, delimiter: str | None = None) -> list[str]:
    """The column names of a contract's source file (read with ``delimiter`` instead of
    the contract's, if given)."""
    if c.is_parquet:
        return list(pq.read_schema(c.file).names)

    # undecodable bytes come back escaped (U+DC80-U+DCFF): a row after the header, read
    # in the same buffer, is ingest's to reject (bad_encoding), not a reason to refuse
    with c.file.open(encoding=source_encoding(c), errors="surrogateescape", newline="") as fh:
        reader = csv.reader(
            fh,
            delimiter=delimiter or c.csv_options.get("delimiter", ","),
            quotechar=c.csv_options.get("quotechar", '"'),
        )
        return next(reader, [])


def _undecodable_header(c: Contract, header: list[str]) -> str | None:
    """When the header holds bytes the declared encoding cannot decode: say which and
    what to set, instead of listing its columns as missing."""
    escaped = next((ch for name in header for ch in name if "\udc80" <= ch <= "\udcff"), None)
    if escaped is None:
        return None
    byte = ord(escaped) - 0xDC00
    return (
        f"{c.file.name}: line 1 (the header) cannot be decoded as "
        f"{c.csv_options.get('encoding', 'utf-8')} "
        f"(byte 0x{byte:02x}); set csv: {{encoding: ...}} to the file's encoding (an export "
        "from Windows is often cp1252)"
    )


_DELIMITERS = (",", ";", "\t", "|")


def _delimiter_hint(c: Contract, wanted: list[str]) -> str | None:
    """When the header, split on another common delimiter, holds every mapped column:
    say so, instead of listing each column as missing."""
    declared = c.csv_options.get("delimiter", ",")
    for other in _DELIMITERS:
        if other == declared:
            continue
        try:
            header = read_header(c, delimiter=other)
        except Exception:
            return None
        if set(wanted) <= set(header):
            shown = other.encode("unicode_escape").decode()
            return (
                f"{c.file.name} looks '{shown}'-delimited, not {declared!r}: its header splits "
                f"on '{shown}' into the mapped columns; set csv: {{delimiter: \"{shown}\"}}"
            )
    return None
