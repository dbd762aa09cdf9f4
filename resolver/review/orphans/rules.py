"""The expectations of rules/orphans.yaml: parsed and checked, every problem at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from resolver.errors import Problem, RulesError
from resolver.ingest.canonical import OBJECTS
from resolver.rulefiles import SANDBOX_CONFIG, load_yaml, sql_problem
from resolver.store import schema

RULES_FILE = "orphans.yaml"
KINDS = ("counterpart", "reference")
SEVERITIES = ("critical", "high", "medium", "low")
RESOLUTIONS = ("open", "expected", "linked")
# the resolution a reviewer's decision gives an orphan (without one it is open)
RESOLUTION_OF = {"expected": "expected", "link": "linked"}


@dataclass(frozen=True)
class Expectation:
    name: str
    description: str
    object: str
    kind: str
    systems: tuple[str, ...]
    where: str | None
    counterpart: str | None
    severity: str


@dataclass(frozen=True)
class OrphanRules:
    expectations: dict[str, Expectation]
    path: str = ""


# ---------------------------------------------------------------- rules


def load_orphan_rules(
    rules_dir: Path | str, *, systems: Iterable[str] | None = None
) -> OrphanRules:
    """Read and validate rules/orphans.yaml; raise RulesError listing every problem.

    ``systems``, when given (the systems the contracts load), is checked against
    every system the file names. A missing file means no expectations.
    """
    path = Path(rules_dir) / RULES_FILE
    if not path.is_file():
        return OrphanRules({}, str(path))
    try:
        doc = load_yaml(path)
    except yaml.YAMLError as exc:
        raise RulesError([Problem(str(path), "", f"not valid YAML: {exc}")]) from exc
    return parse_orphan_rules(doc, where=str(path), systems=systems)


def parse_orphan_rules(
    doc: Any, *, where: str = RULES_FILE, systems: Iterable[str] | None = None
) -> OrphanRules:
    """Validate an already-parsed orphans document (see :func:`load_orphan_rules`)."""
    known = set(systems) if systems is not None else None
    problems: list[Problem] = []
    if not isinstance(doc, Mapping) or not isinstance(doc.get("expectations"), Mapping):
        raise RulesError(
            [Problem(where, "expectations", "must be a mapping of expectation name -> spec")]
        )
    unknown_top = sorted(set(doc) - {"expectations"})
    for key in unknown_top:
        problems.append(Problem(where, str(key), "unknown key; the file holds `expectations`"))
    out: dict[str, Expectation] = {}
    for name, spec in doc["expectations"].items():
        exp = _parse_expectation(str(name), spec, where, known, problems)
        if exp is not None:
            out[exp.name] = exp
    if problems:
        raise RulesError(problems)
    return OrphanRules(out, where)


_SPEC_KEYS = {"description", "object", "kind", "from", "counterpart", "severity"}


def _parse_expectation(
    name: str,
    spec: Any,
    where: str,
    known: set[str] | None,
    problems: list[Problem],
) -> Expectation | None:
    key = f"expectations.{name}"
    if not isinstance(spec, Mapping):
        problems.append(Problem(where, key, "must be a mapping (object, kind, from, severity)"))
        return None
    start = len(problems)
    for extra in sorted(set(spec) - _SPEC_KEYS):
        problems.append(
            Problem(where, f"{key}.{extra}", f"unknown key; known: {', '.join(sorted(_SPEC_KEYS))}")
        )
    obj = spec.get("object")
    if obj not in OBJECTS:
        problems.append(Problem(where, f"{key}.object", "must be customer or invoice"))
    kind = spec.get("kind", "counterpart")
    if kind not in KINDS:
        problems.append(Problem(where, f"{key}.kind", f"must be one of {', '.join(KINDS)}"))
    elif kind == "reference" and obj != "invoice":
        problems.append(
            Problem(where, f"{key}.kind", "reference applies to invoices (their customer_ref)")
        )
    severity = spec.get("severity")
    if severity not in SEVERITIES:
        problems.append(
            Problem(where, f"{key}.severity", f"must be one of {', '.join(SEVERITIES)}")
        )
    description = spec.get("description") or name.replace("_", " ")
    if not isinstance(description, str):
        problems.append(Problem(where, f"{key}.description", "must be text"))
    systems, cond = _parse_from(spec.get("from"), f"{key}.from", where, known, problems)
    if cond is not None and obj in OBJECTS:
        _check_where(cond, obj, f"{key}.from.where", where, problems)
    counterpart = _parse_counterpart(spec, kind, systems, key, where, known, problems)
    if len(problems) > start:
        return None
    return Expectation(
        name=name,
        description=str(description),
        object=str(obj),
        kind=str(kind),
        systems=systems,
        where=cond,
        counterpart=counterpart,
        severity=str(severity),
    )


def _parse_from(
    value: Any, key: str, where: str, known: set[str] | None, problems: list[Problem]
) -> tuple[tuple[str, ...], str | None]:
    if not isinstance(value, Mapping) or "system" not in value:
        problems.append(Problem(where, key, "must be a mapping with system (and optional where)"))
        return (), None
    for extra in sorted(set(value) - {"system", "where"}):
        problems.append(Problem(where, f"{key}.{extra}", "unknown key; known: system, where"))
    raw = value["system"]
    systems = tuple(raw) if isinstance(raw, list) else (raw,)
    if not systems or not all(isinstance(s, str) and s for s in systems):
        problems.append(Problem(where, f"{key}.system", "must be a system name or a list of them"))
        systems = ()
    _check_known(systems, f"{key}.system", where, known, problems)
    cond = value.get("where")
    if cond is not None and (not isinstance(cond, str) or not cond.strip()):
        problems.append(Problem(where, f"{key}.where", "must be a non-empty SQL condition"))
        cond = None
    return systems, cond


def _parse_counterpart(
    spec: Mapping[str, Any],
    kind: Any,
    systems: tuple[str, ...],
    key: str,
    where: str,
    known: set[str] | None,
    problems: list[Problem],
) -> str | None:
    value = spec.get("counterpart")
    if kind == "reference":
        if value is not None:
            problems.append(
                Problem(where, f"{key}.counterpart", "a reference expectation has no counterpart")
            )
        return None
    if kind != "counterpart":
        return None
    if not isinstance(value, Mapping) or not isinstance(value.get("system"), str):
        problems.append(
            Problem(where, f"{key}.counterpart", "must be a mapping with system: <one system>")
        )
        return None
    system = value["system"]
    _check_known((system,), f"{key}.counterpart.system", where, known, problems)
    if system in systems:
        problems.append(
            Problem(where, f"{key}.counterpart.system", "must differ from the from system(s)")
        )
    return system


def _check_known(
    systems: Iterable[str], key: str, where: str, known: set[str] | None, problems: list[Problem]
) -> None:
    if known is None:
        return
    for s in systems:
        if s not in known:
            problems.append(
                Problem(where, key, f"unknown system {s!r}; known: {', '.join(sorted(known))}")
            )


def _check_where(cond: str, obj: str, key: str, where: str, problems: list[Problem]) -> None:
    """The condition must be one SQL expression over the object's canonical columns."""
    if why := sql_problem(cond):
        problems.append(Problem(where, key, why))
        return
    con = duckdb.connect(config=SANDBOX_CONFIG)
    try:
        con.execute(schema.create_table_sql("r", schema.RECORD_COLUMNS[obj]))
        con.execute(f"SELECT count(*) FROM r WHERE ({cond})")
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        problems.append(Problem(where, key, f"not a valid condition over {obj} columns: {first}"))
    finally:
        con.close()
