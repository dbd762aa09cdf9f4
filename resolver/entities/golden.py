"""Golden records by survivorship rules (rules/survivorship.yaml), and reviewers' picks.

For each field the value comes from the member whose system ranks first in that
field's preference list, then the most recent (updated_at), then the most complete
record, then the smallest record key; the record it came from is kept beside it.

A reviewer who accepts a proposal can pick, per field, the member whose value the
golden record should carry (a *pick*: field -> record key, journaled with the
decision). A pick in force comes before every survivorship rule, for as long as the
picked record is a member of the entity and has a value for the field; when two
picks on one entity name the same field, the newer decision's wins. This module is
the one place that rule lives: :func:`golden_sql` applies it in the batch, and
:func:`check_picks` is what a decision's picks are checked against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from resolver.errors import Problem, RulesError
from resolver.rulefiles import load_yaml

# golden field -> SQL over a member record (table alias m)
_TITLE = (
    "array_to_string(list_transform(string_split({x}, ' '), lambda w: upper(w[1]) || w[2:]), ' ')"
)
GOLDEN_FIELDS: dict[str, dict[str, str]] = {
    "customer": {
        "name": _TITLE.format(
            x="nullif(trim(concat_ws(' ', m.first_name_norm, "
            "m.middle_name_norm, m.last_name_norm)), '')"
        ),
        "company": "m.company_norm",
        "email": "m.email_norm",
        "phone": "m.phone_e164",
        "address": "m.address_line",
        "city": "m.city_norm",
        "state": "m.state_norm",
        "postal_code": "m.zip5",
        "status": "m.status",
        "branch": "m.branch",
    },
    "invoice": {
        "invoice_number": "m.invoice_number",
        "invoice_number_norm": "m.invoice_number_norm",
        "customer_entity_id": "m.customer_entity_id",
        "amount_cents": "m.amount_cents",
        "tax_cents": "m.tax_cents",
        "currency": "m.currency",
        "invoice_date": "m.invoice_date",
        "due_date": "m.due_date",
        "status": "m.status",
        "branch": "m.branch",
    },
}


# golden fields a reviewer can pick a member's value for (the rest are derived)
PICKABLE: dict[str, tuple[str, ...]] = {
    obj: tuple(f for f in fields if not f.endswith("_norm") and f != "customer_entity_id")
    for obj, fields in GOLDEN_FIELDS.items()
}


def check_picks(obj: str, picks: Mapping[str, str], record_keys: list[str]) -> dict[str, str]:
    """A decision's picks, checked: each a pickable field of ``obj`` naming one of the
    proposal's records. Raises ValueError naming the first bad field or record."""
    out = {}
    for field, key in picks.items():
        if field not in PICKABLE[obj]:
            raise ValueError(
                f"golden: {field!r} is not a golden field of a {obj}; "
                f"one of {', '.join(PICKABLE[obj])}"
            )
        if key not in record_keys:
            raise ValueError(f"golden.{field}: {key!r} is not a record of this proposal")
        out[field] = key
    return dict(sorted(out.items()))


# a member's position in tie-break order sits in the low bits of its key (2^40 records)
_POSITION_BITS = 40


@dataclass(frozen=True)
class Survivorship:
    prefer: dict[str, tuple[str, ...]]  # object -> default system order
    fields: dict[str, dict[str, tuple[str, ...]]]  # object -> field -> system order

    def order(self, obj: str, field: str) -> tuple[str, ...]:
        return self.fields.get(obj, {}).get(field, self.prefer.get(obj, ()))


def load_survivorship(rules_dir: Path | str) -> Survivorship:
    path = Path(rules_dir) / "survivorship.yaml"
    if not path.is_file():
        return Survivorship(prefer={}, fields={})
    where = str(path)
    try:
        doc = load_yaml(path) or {}
    except yaml.YAMLError as exc:
        raise RulesError([Problem(where, "", f"not valid YAML: {exc}")]) from exc
    problems = []
    prefer, fields = {}, {}
    for obj, spec in doc.items():
        if obj not in GOLDEN_FIELDS:
            problems.append(Problem(where, str(obj), "must be customer or invoice"))
            continue
        if not isinstance(spec, Mapping):
            problems.append(Problem(where, obj, "must be a mapping with prefer and fields"))
            continue
        p = spec.get("prefer", [])
        if not isinstance(p, list):
            problems.append(Problem(where, f"{obj}.prefer", "must be a list of systems"))
            p = []
        prefer[obj] = tuple(p)
        fields[obj] = {}
        for field, order in (spec.get("fields") or {}).items():
            if field not in GOLDEN_FIELDS[obj]:
                problems.append(
                    Problem(
                        where,
                        f"{obj}.fields.{field}",
                        f"unknown golden field; known: {', '.join(GOLDEN_FIELDS[obj])}",
                    )
                )
            elif not isinstance(order, list):
                problems.append(Problem(where, f"{obj}.fields.{field}", "must be a list"))
            else:
                fields[obj][field] = tuple(order)
    if problems:
        raise RulesError(problems)
    return Survivorship(prefer=prefer, fields=fields)


def golden_sql(
    obj: str, members_sql: str, rules: Survivorship, picks_table: str | None = None
) -> str:
    """SQL for one golden row per entity from ``members_sql`` (record columns + entity_id).

    Every chosen value has a ``<field>_source`` column: the record key it came from.
    ``picks_table`` (columns record_key, field, decision_id: the reviewers' picks in
    force) puts a picked member first for its field, the newest pick of an entity's
    field winning.

    The tie-break after the system rank (most recent, most complete, smallest record
    key) is the same for every field: one sort numbers the members in that order
    (``_pos``), and each field's key is its system rank in the high bits above it, so
    every choice is an ``arg_min`` over one BIGINT rather than over a struct.
    """
    fields = GOLDEN_FIELDS[obj]
    picked = picks_table is not None
    # each field's value and each distinct system ranking are computed once per member
    # (``_v<i>``, ``_r<j>``), not once in every aggregate that reads them
    value = {field: f"_v{i}" for i, field in enumerate(fields)}
    ranks: dict[str, str] = {}
    rank_of = {}
    for field in fields:
        order = rules.order(obj, field)
        rank = (
            "CASE m.system "
            + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(order))
            + f" ELSE {len(order)} END"
            if order
            else "0"
        )
        if picked:  # a pick ranks before every system: 0, the rest from 1
            rank = f"CASE WHEN list_contains(m._picked, '{field}') THEN 0 ELSE ({rank}) + 1 END"
        rank_of[field] = ranks.setdefault(rank, f"_r{len(ranks)}")
    completeness = " + ".join(f"({v} IS NOT NULL)::INT" for v in value.values())
    parts = []
    for field in fields:
        v = value[field]
        key = f"(m.{rank_of[field]}::BIGINT << {_POSITION_BITS}) + m._pos"
        parts.append(f"arg_min(m.{v}, {key}) FILTER (WHERE m.{v} IS NOT NULL) AS {field}")
        parts.append(
            f"arg_min(m.record_key, {key}) FILTER (WHERE m.{v} IS NOT NULL) AS {field}_source"
        )
    cols = ",\n       ".join(parts)
    per_member = ",\n           ".join(
        [f"{expr} AS {value[field]}" for field, expr in fields.items()]
        + [f"({rank}) AS {alias}" for rank, alias in ranks.items()]
    )
    source = f"({members_sql})"
    if picked:
        # the winning pick per (entity, field), gathered per member as a list of fields
        source = f"""(
    WITH mm AS ({members_sql}),
    win AS (
        SELECT p.record_key, p.field
        FROM {picks_table} p JOIN mm USING (record_key)
        QUALIFY row_number() OVER (PARTITION BY mm.entity_id, p.field
                                   ORDER BY p.decision_id DESC) = 1
    ),
    per AS (SELECT record_key, list(field) AS _picked FROM win GROUP BY record_key)
    SELECT mm.*, per._picked FROM mm LEFT JOIN per USING (record_key)
)"""
    return f"""
SELECT m.entity_id,
       count(*) AS member_count,
       list(DISTINCT m.system ORDER BY m.system) AS systems,
       {cols}
FROM (
    SELECT v.*,
           row_number() OVER (ORDER BY coalesce(epoch(v.updated_at), 0) DESC,
                                       ({completeness}) DESC, v.record_key) AS _pos
    FROM (
        SELECT m.entity_id, m.system, m.record_key, m.updated_at,
           {per_member}
        FROM {source} m
    ) v
) m
GROUP BY m.entity_id
"""
