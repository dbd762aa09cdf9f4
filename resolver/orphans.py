"""Orphans: records that break an expectation of rules/orphans.yaml.

Two kinds of expectation:

``counterpart``
    the record's entity has a member in another system (a billing invoice that is
    not void or draft reaches the ledger; a billing customer is known to the CRM).
``reference``
    an invoice's ``customer_ref`` names a loaded customer record of its own system.

Every orphan names the nearest candidate that could satisfy it: for a counterpart
orphan the best-scoring pair whose other record is in the counterpart system; for
a reference orphan a customer of the invoice's system reached through a linked
invoice of another system (same invoice entity, whose customer resolves).

Resolving an orphan is a reviewer decision (``link`` or ``expected``) appended to
the decisions table; the next computation honours it. An orphan's id is a hash of
its expectation and record key, so it is the same in every run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import yaml

from resolver.canonical import OBJECTS, TABLES
from resolver.errors import InvalidDecision, NotFound, Problem, RulesError
from resolver.store import decisions as store_decisions
from resolver.store import schema
from resolver.store.connection import table_exists

RULES_FILE = "orphans.yaml"
KINDS = ("counterpart", "reference")
SEVERITIES = ("critical", "high", "medium", "low")
RESOLUTIONS = ("open", "expected", "linked")
# the date an orphan's age is counted from
DATE_COLUMN = {"customer": "updated_at", "invoice": "invoice_date"}
MAX_PAGE = 500

ORPHAN_COLUMNS: dict[str, str] = {
    "orphan_id": "VARCHAR",  # "O-" + 16 hex of md5(expectation | record_key): stable across runs
    "run_id": "BIGINT",
    "object": "VARCHAR",
    "system": "VARCHAR",
    "source_id": "VARCHAR",
    "record_key": "VARCHAR",
    "expectation": "VARCHAR",
    "kind": "VARCHAR",  # counterpart | reference
    "description": "VARCHAR",
    "severity": "VARCHAR",
    "detail": "VARCHAR",  # what exactly is missing, in words
    "target_object": "VARCHAR",  # the object a link must point at
    "target_system": "VARCHAR",  # the system a link must point at
    "record_date": "DATE",
    "age_days": "BIGINT",
    "amount_cents": "BIGINT",  # invoices only
    "candidate_record_key": "VARCHAR",
    "candidate_entity_id": "VARCHAR",
    "candidate_probability": "DOUBLE",  # NULL when found through a linked invoice
    "candidate_via": "VARCHAR",  # pair | linked_invoice
    "resolution": "VARCHAR",  # open | expected | linked
    "decision_id": "BIGINT",
    "resolved_by": "VARCHAR",
    "resolution_reason": "VARCHAR",
}


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
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
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
    if ";" in cond or "?" in cond or "--" in cond:
        problems.append(Problem(where, key, "must be one SQL condition (no ; ? or --)"))
        return
    con = duckdb.connect()
    try:
        con.execute(schema.create_table_sql("r", schema.RECORD_COLUMNS[obj]))
        con.execute(f"SELECT count(*) FROM r WHERE ({cond})")
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        problems.append(Problem(where, key, f"not a valid condition over {obj} columns: {first}"))
    finally:
        con.close()


# ---------------------------------------------------------------- computing


def stage_orphans(
    con: duckdb.DuckDBPyConnection,
    rules: OrphanRules,
    *,
    prefix: str = "stage_",
    run_id: int,
    as_of: date,
) -> int:
    """Create ``{prefix}orphans`` from ``{prefix}`` records, members and pairs; return its rows.

    Orphans whose record has an effective ``expected`` decision for the expectation
    are kept with resolution ``expected``; an effective ``link`` decision satisfies
    the expectation (resolution ``linked``) until the re-run's clustering links them.
    """
    con.execute("DROP TABLE IF EXISTS _orphan_hits")
    con.execute(
        "CREATE TEMP TABLE _orphan_hits (expectation VARCHAR, kind VARCHAR, object VARCHAR, "
        "description VARCHAR, severity VARCHAR, record_key VARCHAR, target_object VARCHAR, "
        "target_system VARCHAR, detail VARCHAR)"
    )
    for exp in rules.expectations.values():
        if exp.kind == "counterpart":
            _insert_counterpart_hits(con, exp, prefix)
        else:
            _insert_reference_hits(con, exp, prefix)
    decided = _orphan_decisions(con)
    con.register("_orphan_decided", decided)
    try:
        con.execute(f"DROP TABLE IF EXISTS {prefix}orphans")
        con.execute(f"CREATE TABLE {prefix}orphans AS {_orphans_sql(prefix)}", [run_id, as_of])
    finally:
        con.unregister("_orphan_decided")
        con.execute("DROP TABLE IF EXISTS _orphan_hits")
    return int(con.execute(f"SELECT count(*) FROM {prefix}orphans").fetchall()[0][0])


def _selected(exp: Expectation, prefix: str) -> str:
    # the records the expectation applies to; the analyst's condition is rules text, not input
    cond = f" AND ({exp.where})" if exp.where else ""
    return f"(SELECT * FROM {prefix}{TABLES[exp.object]} WHERE list_contains(?, system){cond})"


def _insert_counterpart_hits(con: duckdb.DuckDBPyConnection, exp: Expectation, prefix: str) -> None:
    records = f"{prefix}{TABLES[exp.object]}"
    members = f"{prefix}{exp.object}_members"
    con.execute(
        f"""
        INSERT INTO _orphan_hits
        WITH reach AS (
            SELECT DISTINCT m.entity_id FROM {members} m JOIN {records} o USING (record_key)
            WHERE o.system = ?
        )
        SELECT ?, 'counterpart', ?, ?, ?, r.record_key, ?, ?,
               'no linked ' || ? || ' record in ' || ?
        FROM {_selected(exp, prefix)} r
        LEFT JOIN {members} m USING (record_key)
        WHERE m.entity_id IS NULL OR m.entity_id NOT IN (SELECT entity_id FROM reach)
        """,
        [
            exp.counterpart,
            exp.name,
            exp.object,
            exp.description,
            exp.severity,
            exp.object,
            exp.counterpart,
            exp.object,
            exp.counterpart,
            list(exp.systems),
        ],
    )


def _insert_reference_hits(con: duckdb.DuckDBPyConnection, exp: Expectation, prefix: str) -> None:
    con.execute(
        f"""
        INSERT INTO _orphan_hits
        SELECT ?, 'reference', ?, ?, ?, r.record_key, 'customer', r.system,
               'customer_ref ' || coalesce(r.customer_ref, '(empty)')
               || ' is not a customer of ' || r.system
        FROM {_selected(exp, prefix)} r
        WHERE NOT EXISTS (
            SELECT 1 FROM {prefix}customers c
            WHERE c.system = r.system AND c.source_id = r.customer_ref
        )
        """,
        [exp.name, exp.object, exp.description, exp.severity, list(exp.systems)],
    )


def _orphan_decisions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The effective link/expected decision per (record_key, expectation), latest winning."""
    from resolver.decisions import effective

    cols = ["record_key", "expectation", "action", "decision_id", "reviewer", "reason"]
    try:
        frames = [f for f in (effective(con, obj) for obj in OBJECTS) if not f.empty]
    except ValueError:  # not a store file: no journal, no decisions
        frames = []
    if not frames:
        return pd.DataFrame(
            {
                "record_key": pd.Series(dtype="str"),
                "expectation": pd.Series(dtype="str"),
                "action": pd.Series(dtype="str"),
                "decision_id": pd.Series(dtype="int64"),
                "reviewer": pd.Series(dtype="str"),
                "reason": pd.Series(dtype="str"),
            }
        )
    d = pd.concat(frames, ignore_index=True)
    d = d[d["action"].isin(["link", "expected"]) & d["expectation"].notna()]
    d = d.assign(record_key=d["record_keys"].map(list)).explode("record_key")
    d = d.sort_values("decision_id").drop_duplicates(["record_key", "expectation"], keep="last")
    out = d[cols].reset_index(drop=True)
    out["decision_id"] = out["decision_id"].astype("int64")
    for c in ("record_key", "expectation", "action", "reviewer", "reason"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _orphans_sql(p: str) -> str:
    """The final orphan rows: hits + record facts + nearest candidate + resolution.

    Parameters: run_id, as_of.
    """
    return f"""
    WITH recs AS (
        SELECT 'customer' AS object, record_key, system, source_id,
               updated_at AS record_date, NULL::BIGINT AS amount_cents
        FROM {p}customers
        WHERE record_key IN (SELECT record_key FROM _orphan_hits WHERE object = 'customer')
        UNION ALL
        SELECT 'invoice', record_key, system, source_id, invoice_date, amount_cents
        FROM {p}invoices
        WHERE record_key IN (SELECT record_key FROM _orphan_hits WHERE object = 'invoice')
    ),
    pair_sides AS (
        {_pair_sides_sql(p, "customer")}
        UNION ALL
        {_pair_sides_sql(p, "invoice")}
    ),
    pair_best AS (
        SELECT expectation, record_key,
               arg_max(cand, struct_pack(pr := match_probability, k := cand)) AS cand,
               max(match_probability) AS prob
        FROM pair_sides GROUP BY ALL
    ),
    ref_best AS (
        SELECT h.expectation, h.record_key,
               min(c3.record_key) AS cand,
               arg_min(cm2.entity_id, c3.record_key) AS cand_entity
        FROM _orphan_hits h
        JOIN {p}invoice_members im ON im.record_key = h.record_key
        JOIN {p}invoice_members im2
          ON im2.entity_id = im.entity_id AND im2.record_key <> im.record_key
        JOIN {p}invoices i2 ON i2.record_key = im2.record_key
        JOIN {p}customers c2 ON c2.system = i2.system AND c2.source_id = i2.customer_ref
        JOIN {p}customer_members cm2 ON cm2.record_key = c2.record_key
        JOIN {p}customer_members cm3 ON cm3.entity_id = cm2.entity_id
        JOIN {p}customers c3 ON c3.record_key = cm3.record_key AND c3.system = h.target_system
        WHERE h.kind = 'reference'
        GROUP BY ALL
    ),
    ent AS (
        SELECT record_key, entity_id FROM {p}customer_members
        WHERE record_key IN (SELECT cand FROM pair_best)
        UNION ALL
        SELECT record_key, entity_id FROM {p}invoice_members
        WHERE record_key IN (SELECT cand FROM pair_best)
    )
    SELECT 'O-' || substr(md5(h.expectation || '|' || h.record_key), 1, 16) AS orphan_id,
           ?::BIGINT AS run_id,
           h.object, r.system, r.source_id, h.record_key, h.expectation, h.kind,
           h.description, h.severity, h.detail, h.target_object, h.target_system,
           r.record_date,
           date_diff('day', r.record_date, ?::DATE)::BIGINT AS age_days,
           r.amount_cents,
           coalesce(pb.cand, rb.cand) AS candidate_record_key,
           coalesce(e.entity_id, rb.cand_entity) AS candidate_entity_id,
           pb.prob AS candidate_probability,
           CASE WHEN pb.cand IS NOT NULL THEN 'pair'
                WHEN rb.cand IS NOT NULL THEN 'linked_invoice' END AS candidate_via,
           CASE d.action WHEN 'expected' THEN 'expected' WHEN 'link' THEN 'linked'
                ELSE 'open' END AS resolution,
           d.decision_id::BIGINT AS decision_id,
           d.reviewer AS resolved_by,
           d.reason AS resolution_reason
    FROM _orphan_hits h
    JOIN recs r ON r.record_key = h.record_key AND r.object = h.object
    LEFT JOIN pair_best pb ON pb.expectation = h.expectation AND pb.record_key = h.record_key
    LEFT JOIN ref_best rb ON rb.expectation = h.expectation AND rb.record_key = h.record_key
    LEFT JOIN ent e ON e.record_key = pb.cand
    LEFT JOIN _orphan_decided d ON d.record_key = h.record_key AND d.expectation = h.expectation
    ORDER BY orphan_id
    """


def _pair_sides_sql(p: str, obj: str) -> str:
    # both orientations of every scored pair touching a counterpart orphan of this object
    return f"""
        SELECT h.expectation, h.record_key, x.record_key_r AS cand, x.match_probability
        FROM _orphan_hits h JOIN {p}{obj}_pairs x
          ON x.record_key_l = h.record_key AND x.system_r = h.target_system
        WHERE h.kind = 'counterpart' AND h.object = '{obj}'
        UNION ALL
        SELECT h.expectation, h.record_key, x.record_key_l, x.match_probability
        FROM _orphan_hits h JOIN {p}{obj}_pairs x
          ON x.record_key_r = h.record_key AND x.system_l = h.target_system
        WHERE h.kind = 'counterpart' AND h.object = '{obj}'"""


# ---------------------------------------------------------------- reviewing


def get_orphan(con: duckdb.DuckDBPyConnection, orphan_id: str) -> dict[str, Any]:
    """One orphan of the last published run; NotFound if there is none by that id."""
    if not table_exists(con, "orphans"):
        raise NotFound(f"orphan {orphan_id} not found: no run has computed orphans yet")
    cur = con.execute("SELECT * FROM orphans WHERE orphan_id = ?", [orphan_id])
    rows = cur.fetchall()
    if not rows:
        raise NotFound(f"orphan {orphan_id} not found in the last run; list orphans for ids")
    names = [c[0] for c in cur.description]
    return dict(zip(names, rows[0], strict=True))


def resolve_orphan(
    con: duckdb.DuckDBPyConnection,
    orphan_id: str,
    *,
    action: Literal["link", "expected"],
    reviewer: str,
    reason: str,
    record_key: str | None = None,
) -> int:
    """Record a reviewer's resolution of an orphan as a decision; return its decision id.

    ``link`` names the record that satisfies the expectation (a record of the
    orphan's target object and system); ``expected`` says the orphan is fine as it
    is (``reason`` required). :func:`list_orphans` shows the resolution at once
    (it overlays decisions on the run's rows); the next run honours the decision
    (link = must-link for clustering) and records it in the orphans table.
    """
    orphan = get_orphan(con, orphan_id)
    if action not in ("link", "expected"):
        raise InvalidDecision(f"action must be link or expected, got {action!r}")
    if not (reviewer or "").strip():
        raise InvalidDecision("reviewer is required: who resolved the orphan")
    if action == "expected" and not (reason or "").strip():
        raise InvalidDecision("reason is required to mark an orphan expected")
    keys = [orphan["record_key"]]
    if action == "link":
        keys.append(_check_link_target(con, orphan, record_key))
    elif record_key is not None:
        raise InvalidDecision("expected takes no record_key; use action link to name a record")
    hashes = _hashes(con, orphan["object"], orphan["target_object"], keys)
    return store_decisions.append(
        con,
        {
            "object": orphan["object"],
            "action": action,
            "record_keys": keys,
            "record_hashes": hashes,
            "expectation": orphan["expectation"],
            "reviewer": reviewer.strip(),
            "reason": reason,
        },
    )


def _check_link_target(
    con: duckdb.DuckDBPyConnection, orphan: Mapping[str, Any], record_key: str | None
) -> str:
    if not record_key:
        raise InvalidDecision(
            f"link needs record_key: a {orphan['target_object']} of {orphan['target_system']}"
        )
    if record_key == orphan["record_key"]:
        raise InvalidDecision("link needs another record than the orphan itself")
    table = TABLES[orphan["target_object"]]
    rows = con.execute(f"SELECT system FROM {table} WHERE record_key = ?", [record_key]).fetchall()
    if not rows:
        raise InvalidDecision(
            f"record {record_key} is not a loaded {orphan['target_object']}; "
            f"link needs a {orphan['target_object']} of {orphan['target_system']}"
        )
    if rows[0][0] != orphan["target_system"]:
        raise InvalidDecision(
            f"record {record_key} is in {rows[0][0]}; expectation {orphan['expectation']} "
            f"needs a {orphan['target_object']} of {orphan['target_system']}"
        )
    return record_key


def _hashes(
    con: duckdb.DuckDBPyConnection, obj: str, target_obj: str, keys: list[str]
) -> dict[str, str]:
    out = store_decisions.record_hashes(con, obj, keys[:1])
    if len(keys) > 1:
        out.update(store_decisions.record_hashes(con, target_obj, keys[1:]))
    return out


def list_orphans(
    con: duckdb.DuckDBPyConnection,
    *,
    object: str | None = None,
    system: str | None = None,
    expectation: str | None = None,
    include_resolved: bool = False,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """Orphans of the last run by orphan_id, a page at a time: (rows, next cursor or None).

    Pass the returned cursor as ``after`` for the next page; ``limit`` is capped at 500.
    """
    if not table_exists(con, "orphans"):
        return [], None
    limit = max(1, min(int(limit), MAX_PAGE))
    con.register("_orphan_decided", _orphan_decisions(con))
    try:
        cur = con.execute(
            """
            WITH o AS (
                SELECT o.* REPLACE (
                    CASE d.action WHEN 'expected' THEN 'expected' WHEN 'link' THEN 'linked'
                         ELSE o.resolution END AS resolution,
                    coalesce(d.decision_id, o.decision_id) AS decision_id,
                    coalesce(d.reviewer, o.resolved_by) AS resolved_by,
                    coalesce(d.reason, o.resolution_reason) AS resolution_reason)
                FROM orphans o
                LEFT JOIN _orphan_decided d
                  ON d.record_key = o.record_key AND d.expectation = o.expectation
            )
            SELECT * FROM o
            WHERE (?::VARCHAR IS NULL OR object = ?)
              AND (?::VARCHAR IS NULL OR system = ?)
              AND (?::VARCHAR IS NULL OR expectation = ?)
              AND (? OR resolution = 'open')
              AND (?::VARCHAR IS NULL OR orphan_id > ?)
            ORDER BY orphan_id
            LIMIT ?
            """,
            [
                object,
                object,
                system,
                system,
                expectation,
                expectation,
                include_resolved,
                after,
                after,
                limit + 1,
            ],
        )
        names = [c[0] for c in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.unregister("_orphan_decided")
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, rows[-1]["orphan_id"]
    return rows, None


def orphan_counts(con: duckdb.DuckDBPyConnection, *, prefix: str = "") -> dict[str, dict[str, int]]:
    """expectation -> {open, expected, linked} counts of ``{prefix}orphans``."""
    if not table_exists(con, f"{prefix}orphans"):
        return {}
    out: dict[str, dict[str, int]] = {}
    for exp, res, n in con.execute(
        f"SELECT expectation, resolution, count(*) FROM {prefix}orphans GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        out.setdefault(exp, dict.fromkeys(RESOLUTIONS, 0))[res] = int(n)
    return out
