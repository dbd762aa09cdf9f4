"""Derive an object's linkage rules from a profile of its data.

A rules folder holding only source contracts is a complete configuration: the
comparisons, blocking rules, training passes and prior come from which normalized
columns are actually filled (see :mod:`resolver.linkage.profile`). ``customers.yaml``
and ``invoices.yaml`` override any part (:func:`resolver.linkage.rules.merge_overrides`).

Nothing here names a data set: every choice is a function of fill rates, distinct
counts and the number of comparisons a blocking rule would generate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from resolver.errors import Problem, RulesError
from resolver.linkage.profile import (
    MAX_TOP_SHARE,
    MIN_FILLED_ROWS,
    MIN_FILLED_SHARE,
    Profile,
    pair_count,
    profile_table,
)
from resolver.linkage.rules import RULE_FILES, LinkageRules, merge_overrides, rules_from_doc

# Blocking budget: comparisons a single rule may add, and all rules together, as a
# multiple of the rows (with a floor for small files, where every pair is cheap).
PER_RULE_PAIRS = (200_000, 4.0)  # (floor, per row)
TOTAL_PAIRS = (1_000_000, 25.0)
EM_PASSES = 4
TRAININGS_PER_COMPARISON = 2
CATEGORY_MAX_DISTINCT = 50  # an extra attribute with at most this many values is a category


@dataclass(frozen=True)
class Derived:
    """A derived rules document and the reasons behind it (for `resolver train`)."""

    doc: dict[str, Any]
    notes: list[str]


def _doc(
    obj: str,
    *,
    det: list[str],
    recall: float,
    em: list[list[str]],
    blocking: list[list[str]],
    comparisons: dict[str, dict[str, Any]],
    auto_link: float,
) -> dict[str, Any]:
    """A complete rules document (README "Linkage rules" lists the keys)."""
    return {
        "object": obj,
        "prior": {"deterministic_rules": det, "recall": recall},
        "training": {
            "u_max_pairs": 2_000_000,
            "seed": 42,
            "em_max_pairs": 2_000_000,
            "em_blocking": em,
        },
        "blocking": blocking,
        "comparisons": comparisons,
        "thresholds": {"auto_link": auto_link, "review": 0.5, "auto_merge": 0.999},
        "clustering": {"duplicate_free_systems": []},
    }


def _budget(rows: int, spec: tuple[float, float]) -> int:
    floor, per_row = spec
    return int(max(floor, per_row * rows))


# ---------------------------------------------------------------- customers

# The columns each kind of customer evidence comes from: what a comparison reads and
# the keys derived from it (a pass blocked on any of them cannot train it).
FAMILIES: dict[str, frozenset[str]] = {
    "first_name": frozenset(
        {
            "first_name_norm",
            "first_name_key",
            "first_name_variants",
            "first_name_phonetic",
            "first_initial",
            "first_name_prefix",
            "name_sorted",
        }
    ),
    "last_name": frozenset(
        {"last_name_norm", "last_name_phonetic", "last_name_prefix", "name_sorted"}
    ),
    "names_swapped": frozenset({"first_name_norm", "last_name_norm", "name_sorted"}),
    "company": frozenset({"company_key", "company_sorted", "company_norm"}),
    "birth_date": frozenset({"birth_date", "birth_year"}),
    "email": frozenset({"email_norm", "email_key", "email_user"}),
    "phone": frozenset({"phone_digits", "phone_local"}),
    "address": frozenset(
        {"address_line", "addr_house_number", "addr_street", "street_core", "zip5", "postal_norm"}
    ),
    "city": frozenset({"city_norm"}),
    "tax_id": frozenset({"tax_id_norm"}),
}
FAMILIES["contact"] = FAMILIES["phone"] | FAMILIES["address"]


def _customer_comparisons(p: Profile) -> tuple[dict[str, dict[str, Any]], dict[str, set[str]]]:
    """Comparisons the customer data supports, and the columns each one reads."""
    comps: dict[str, dict[str, Any]] = {}
    family: dict[str, set[str]] = {}

    def add(name: str, opts: dict[str, Any], cols: frozenset[str] | None = None) -> None:
        comps[name] = opts
        family[name] = set(FAMILIES[name] if cols is None else cols)

    has = p.usable
    # where two records share a phone or an address, names are compared on levels of
    # their own, estimated on such pairs alone after training: a household shares a
    # surname, seldom a first name
    street = has("addr_street") or has("street_core")  # a line without one is a town
    home = [c for c in ("phone_digits",) if has(c)] + (["address_line"] if street else [])
    at_home: dict[str, Any] = {"home_columns": home} if home else {}
    # and pairs that share a home teach nothing about names elsewhere (a household is
    # another person with the same surname): no pass blocked on a key of the home
    # trains them, their keys are the names' family too
    home_family = frozenset().union(
        *(FAMILIES["phone" if c == "phone_digits" else "address"] for c in home)
    )
    if has("first_name_norm"):
        opts: dict[str, Any] = {
            "kind": "first_name",
            "column": "first_name_norm",
            "key_column": "first_name_key",
            "thresholds": [0.92, 0.8],
            "tf": True,
        }
        if "first_name_variants" in p.columns:
            opts["variants_column"] = "first_name_variants"
        add("first_name", {**opts, **at_home}, FAMILIES["first_name"] | home_family)
    if has("last_name_norm"):
        opts = {
            "kind": "string",
            "column": "last_name_norm",
            "thresholds": [0.92, 0.8],
            "tf": True,
        }
        if has("last_name_phonetic"):
            opts["phonetic_column"] = "last_name_phonetic"
        add("last_name", {**opts, **at_home}, FAMILIES["last_name"] | home_family)
    if has("first_name_norm") and has("last_name_norm"):
        add(
            "names_swapped",
            {
                "kind": "names_swapped",
                "first_column": "first_name_norm",
                "last_column": "last_name_norm",
            },
        )
    if has("company_key"):
        opts = {"kind": "company", "column": "company_key", "tf": True}
        if "company_sorted" in p.columns:
            opts["sorted_column"] = "company_sorted"
        add("company", opts)
    if has("birth_year") or has("birth_date"):
        opts = {"kind": "birth", "date_column": "birth_date"}
        if "birth_year" in p.columns:
            opts["year_column"] = "birth_year"
        add("birth_date", opts)
    if has("email_norm"):
        add(
            "email",
            {
                "kind": "email",
                "column": "email_norm",
                "key_column": "email_key",
                "user_level": False,
                "tf": True,
            },
        )
    street = has("addr_street") or has("street_core")
    postal = "postal_norm" if has("postal_norm") else ("zip5" if has("zip5") else None)
    address: dict[str, Any] = {
        "line_column": "address_line",
        "house_number_column": "addr_house_number",
        "street_column": "addr_street",
        "tf": True,
    }
    if postal:
        address["postal_column"] = postal
    if "street_core" in p.columns:
        address["street_core_column"] = "street_core"
    local = {"local_column": "phone_local"} if "phone_local" in p.columns else {}
    if has("phone_digits") and street:
        add(
            "contact",
            # no term frequencies: a value's frequency in one column says little about
            # how rare a phone *and* an address together are
            {"kind": "contact", "phone_column": "phone_digits", **local, **address, "tf": False},
        )
    elif has("phone_digits"):
        add("phone", {"kind": "phone", "column": "phone_digits", "tf": True, **local})
    if street and not has("phone_digits"):
        add("address", {"kind": "address", **address})
    if postal and not street:
        add("postal_code", {"kind": "exact", "column": postal, "tf": True}, frozenset({postal}))
    if has("city_norm") and not (street and postal):
        # a city says little beside a full address; without one it is the place evidence
        add(
            "city",
            {"kind": "string", "column": "city_norm", "thresholds": [0.9], "tf": True},
        )
    if p.identifying("tax_id_norm"):
        add("tax_id", {"kind": "code", "column": "tax_id_norm"})
    for name, opts in _extra_comparisons(p).items():
        add(name, opts, frozenset({name}))
    return comps, family


def _extra_comparisons(p: Profile) -> dict[str, dict[str, Any]]:
    """A comparison per usable extra attribute (a contract's ``extra:``, ``x_<name>``):
    a category (few distinct values: gender, cuisine, region) agrees or not; a value
    that tells records apart (a member number, a date of birth) also counts a near
    miss, a typo in one character."""
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(c for c in p.columns if c.startswith("x_")):
        if not p.usable(name):
            continue
        if p.columns[name].distinct <= CATEGORY_MAX_DISTINCT:
            out[name] = {"kind": "exact", "column": name, "tf": True}
        elif p.identifying(name):
            out[name] = {"kind": "code", "column": name, "tf": True}
        else:
            out[name] = {"kind": "string", "column": name, "thresholds": [0.9], "tf": True}
    return out


def _extra_blocks(p: Profile) -> list[list[str]]:
    """Extra attributes that identify a record on their own, as blocking candidates."""
    return [[c] for c in sorted(p.columns) if c.startswith("x_") and p.identifying(c)]


# Blocking rule candidates, most specific first. Each is tried if its columns are
# usable, and kept if the comparisons it adds fit the budget.
_CUSTOMER_BLOCKS: list[list[str]] = [
    ["email_key"],
    ["phone_digits"],
    ["tax_id_norm"],
    ["name_sorted", "birth_year"],
    ["name_sorted"],
    ["phone_local", "last_name_phonetic"],
    ["phone_local", "company_sorted"],
    ["phone_local"],
    ["email_user"],
    ["company_sorted"],
    ["company_key"],
    ["birth_date", "first_initial"],
    ["birth_date", "last_name_prefix"],
    ["birth_date"],
    ["postal_norm", "addr_house_number"],
    ["zip5", "addr_house_number"],
    ["street_core", "addr_house_number"],
    ["address_line"],
    ["last_name_phonetic", "first_initial", "city_norm"],
    ["last_name_phonetic", "first_name_phonetic"],
    ["last_name_prefix", "first_initial", "postal_norm"],
    ["last_name_prefix", "birth_year"],
    ["first_name_prefix", "birth_year", "city_norm"],
    ["last_name_phonetic", "first_initial"],
    ["first_name_norm", "city_norm"],
    ["last_name_norm", "city_norm"],
    ["last_name_norm"],
    ["first_name_norm", "birth_year"],
    ["company_sorted", "city_norm"],
    ["street_core", "city_norm"],
    ["last_name_phonetic"],
]

# Near-certain match rules for the prior, by what the data has.
_CUSTOMER_DETERMINISTIC: list[tuple[list[str], str]] = [
    (
        ["email_key", "first_name_norm"],
        "l.email_key = r.email_key AND l.first_name_key = r.first_name_key",
    ),
    (
        ["phone_digits", "first_name_norm", "last_name_norm"],
        "l.phone_digits = r.phone_digits AND l.first_name_key = r.first_name_key "
        "AND l.last_name_norm = r.last_name_norm",
    ),
    (
        ["birth_date", "first_name_norm", "last_name_norm"],
        "l.birth_date = r.birth_date AND l.first_name_norm = r.first_name_norm "
        "AND l.last_name_norm = r.last_name_norm",
    ),
    (["tax_id_norm"], "l.tax_id_norm = r.tax_id_norm"),
    (
        ["phone_digits", "company_key"],
        "l.phone_digits = r.phone_digits AND l.company_key = r.company_key",
    ),
    (
        ["company_key", "address_line"],
        "l.company_key = r.company_key AND l.address_line = r.address_line",
    ),
    (
        ["email_key", "last_name_norm"],
        "l.email_key = r.email_key AND l.last_name_norm = r.last_name_norm",
    ),
    (
        ["name_sorted", "address_line"],
        "l.name_sorted = r.name_sorted AND l.address_line = r.address_line",
    ),
    (
        ["name_sorted", "email_key"],
        "l.name_sorted = r.name_sorted AND l.email_key = r.email_key",
    ),
    (
        ["name_sorted", "city_norm"],
        "l.name_sorted = r.name_sorted AND l.city_norm = r.city_norm",
    ),
]


def affordable_blocking(
    blocks: list[list[str]], rows: int, count: Callable[[list[str]], int], notes: list[str]
) -> tuple[list[list[str]], dict[str, int]]:
    """The blocking rules, in order, that fit the budget for ``rows`` records: each
    adds at most PER_RULE_PAIRS comparisons, all together at most TOTAL_PAIRS. Used when
    deriving and again on every run's data, since a rule's comparisons grow with the
    square of the records sharing a value (a rule cheap at 5k rows is not at 1M)."""
    per_rule = _budget(rows, PER_RULE_PAIRS)
    total = _budget(rows, TOTAL_PAIRS)
    chosen: list[list[str]] = []
    counts: dict[str, int] = {}
    spent = 0
    for cols in blocks:
        n = count(cols)
        label = " + ".join(cols)
        if n > per_rule:
            notes.append(f"blocking on {label}: {n:,} comparisons, over {per_rule:,}; not used")
            continue
        if spent + n > total:
            notes.append(f"blocking on {label}: would pass the budget of {total:,}; not used")
            continue
        chosen.append(cols)
        counts[label] = n
        spent += n
    return chosen, counts


def _choose_blocking(
    candidates: list[list[str]],
    p: Profile,
    count: Callable[[list[str]], int],
    notes: list[str],
) -> tuple[list[list[str]], dict[str, int]]:
    usable: list[list[str]] = []
    for cols in candidates:
        if not all(p.usable(c, min_share=0.01) for c in cols):
            continue
        if any(set(c) <= set(cols) for c in usable):
            continue  # a rule already listed generates every pair this one would
        usable.append(cols)
    chosen, counts = affordable_blocking(usable, p.rows, count, notes)
    notes.extend(f"blocking on {label}: {n:,} comparisons" for label, n in counts.items())
    return chosen, counts


def reads_columns(comps: Mapping[str, Mapping[str, Any]]) -> dict[str, set[str]]:
    """The columns each comparison's SQL reads (as Splink sees them)."""
    out = {}
    for name, opts in comps.items():
        cols = {v for k, v in opts.items() if k.endswith("column")}
        cols |= set(opts.get("home_columns", []))
        for level in opts.get("levels", []):
            cols |= set(re.findall(r"\b([a-z_][a-z0-9_]*)_[lr]\b", level["sql"]))
        out[name] = cols
    return out


def _match_shares(
    con: duckdb.DuckDBPyConnection, table: str, blocking: list[list[str]], det: list[str]
) -> dict[str, float]:
    """Per blocking rule, the share of its pairs that a near-certain rule calls a match:
    a proxy for how mixed a training pass on it would be."""
    if not det:
        return {}
    any_det = " OR ".join(f"({d})" for d in det)
    out = {}
    for cols in blocking:
        on = " AND ".join(f"l.{c} = r.{c}" for c in cols)
        n, hit = con.execute(
            f"SELECT count(*), count(*) FILTER ({any_det}) FROM {table} l JOIN {table} r "
            f"ON l.record_key < r.record_key AND {on}"
        ).fetchall()[0]
        out[" + ".join(cols)] = hit / n if n else 0.0
    return out


def _em_passes(
    blocking: list[list[str]],
    counts: dict[str, int],
    family: dict[str, set[str]],
    reads: dict[str, set[str]],
    rows: int,
    shares: dict[str, float],
) -> list[list[str]]:
    """Training passes, until each comparison is trained by two (where the data allows).

    ``family``: the columns each comparison's evidence comes from (derived keys
    included); ``reads``: the columns its SQL reads.

    EM separates two classes, so a pass needs both: blocking rules whose pairs are
    neither nearly all matches nor nearly all non-matches (by the near-certain rules'
    share, closest to even first), with enough pairs to learn from."""
    enough = max(20, rows // 50)

    def label(cols: list[str]) -> str:
        return " + ".join(cols)

    def mixed(cols: list[str]) -> float:
        share = shares.get(label(cols), 0.5)
        return abs(share - 0.5) if 0.02 <= share <= 0.95 else 1.0 + abs(share - 0.5)

    def safe(cols: list[str]) -> bool:
        # Splink leaves out of a pass the comparisons whose SQL reads a blocked column;
        # a key derived from a comparison's column (a prefix, an initial, sorted name
        # words) is not one of them, so a pass on it would train that comparison on
        # pairs that all agree: refuse such passes
        return all(not family[n] & set(cols) or reads[n] & set(cols) for n in family)

    ranked = sorted(
        (cols for cols in blocking if counts[label(cols)] >= enough and safe(cols)),
        key=lambda cols: (mixed(cols) >= 1.0, counts[label(cols)]),
    )
    # each comparison trained by two passes where the data allows: Splink averages the
    # passes' m estimates, and one pass alone can settle on a degenerate answer (m = 0
    # for a level its two classes happen not to share)
    trained = dict.fromkeys(family, 0)
    passes: list[list[str]] = []
    while len(passes) < EM_PASSES:
        # a comparison no pass has trained yet comes before a second training of another
        least = min(trained.values(), default=TRAININGS_PER_COMPARISON)
        needy = {n for n, k in trained.items() if k == least < TRAININGS_PER_COMPARISON}
        best = next(
            (c for c in ranked if c not in passes and any(not family[n] & set(c) for n in needy)),
            None,
        )
        if best is None:  # nothing reaches the least trained: any comparison still short
            needy = {n for n, k in trained.items() if k < TRAININGS_PER_COMPARISON}
            best = next(
                (
                    c
                    for c in ranked
                    if c not in passes and any(not family[n] & set(c) for n in needy)
                ),
                None,
            )
        if best is None:
            break
        passes.append(best)
        for n in family:
            if not family[n] & set(best):
                trained[n] += 1
    return passes


def derive_customer_rules(con: duckdb.DuckDBPyConnection, table: str, profile: Profile) -> Derived:
    notes: list[str] = []
    comps, family = _customer_comparisons(profile)
    skipped = [
        c
        for c in (
            "first_name_norm",
            "last_name_norm",
            "company_key",
            "email_norm",
            "phone_digits",
            "address_line",
            "postal_norm",
            "city_norm",
            "birth_date",
            "tax_id_norm",
        )
        if c in profile.columns and not profile.usable(c)
    ]
    for col in skipped:
        share = profile.columns[col].share(profile.rows)
        notes.append(f"{col}: filled in {share:.1%} of rows; no comparison")
    at = _CUSTOMER_BLOCKS.index(["tax_id_norm"]) + 1  # with the other identifiers
    candidates = [*_CUSTOMER_BLOCKS[:at], *_extra_blocks(profile), *_CUSTOMER_BLOCKS[at:]]
    blocking, counts = _choose_blocking(
        candidates, profile, lambda cols: pair_count(con, table, cols), notes
    )
    det = [sql for cols, sql in _CUSTOMER_DETERMINISTIC if all(profile.usable(c) for c in cols)]
    det = det[:4]
    if not det and blocking:
        det = [" AND ".join(f"l.{c} = r.{c}" for c in blocking[0])]
    shares = _match_shares(con, table, blocking, det)
    doc = _doc(
        "customer",
        det=det,
        recall=0.7,
        em=_em_passes(blocking, counts, family, reads_columns(comps), profile.rows, shares),
        blocking=blocking,
        comparisons=comps,
        auto_link=0.95,
    )
    return Derived(doc=doc, notes=notes)


# ---------------------------------------------------------------- invoices

_INVOICE_BLOCKS: list[list[str]] = [
    ["invoice_number_norm"],
    ["customer_entity_id", "invoice_date"],
    ["customer_entity_id", "amount_cents"],
    ["amount_cents", "invoice_date"],
]


def derive_invoice_rules(con: duckdb.DuckDBPyConnection, table: str, profile: Profile) -> Derived:
    notes: list[str] = []
    comps: dict[str, dict[str, Any]] = {}
    family: dict[str, set[str]] = {}
    has = profile.usable
    if has("invoice_number_norm"):
        comps["invoice_number"] = {"kind": "code", "column": "invoice_number_norm", "tf": True}
        family["invoice_number"] = {"invoice_number_norm"}
    if has("customer_entity_id"):
        comps["customer"] = {"kind": "exact", "column": "customer_entity_id"}
        family["customer"] = {"customer_entity_id"}
    if has("amount_cents"):
        comps["amount"] = {
            "kind": "amount",
            "column": "amount_cents",
            "tolerance_cents": 100,
            "ratio_range": [1.0, 1.15],
        }
        family["amount"] = {"amount_cents"}
    if has("invoice_date"):
        comps["invoice_date"] = {
            "kind": "date",
            "column": "invoice_date",
            "thresholds_days": [3, 31],
        }
        family["invoice_date"] = {"invoice_date"}
    if has("invoice_number_norm") and len(profile.systems) >= 1:
        # one system numbers its invoices once: two numbers in one system are evidence
        # of two invoices (a weight EM learns, not a veto)
        comps["number_in_system"] = {
            "kind": "custom",
            "null_sql": "invoice_number_norm_l IS NULL OR invoice_number_norm_r IS NULL",
            "levels": [
                {
                    "sql": "system_l = system_r AND invoice_number_norm_l <> invoice_number_norm_r",
                    "label": "two numbers in one system",
                }
            ],
        }
        family["number_in_system"] = {"invoice_number_norm", "system"}
    for name, opts in _extra_comparisons(profile).items():
        comps[name] = opts
        family[name] = {name}
    blocking, counts = _choose_blocking(
        [*_INVOICE_BLOCKS, *_extra_blocks(profile)],
        profile,
        lambda cols: pair_count(con, table, cols),
        notes,
    )
    det = []
    if all(has(c) for c in ("invoice_number_norm", "customer_entity_id", "invoice_date")):
        det.append(
            "l.invoice_number_norm = r.invoice_number_norm AND "
            "l.customer_entity_id = r.customer_entity_id AND l.invoice_date = r.invoice_date"
        )
    elif has("invoice_number_norm"):
        det.append("l.invoice_number_norm = r.invoice_number_norm")
    elif blocking:
        det.append(" AND ".join(f"l.{c} = r.{c}" for c in blocking[0]))
    shares = _match_shares(con, table, blocking, det)
    em = _em_passes(blocking, counts, family, reads_columns(comps), profile.rows, shares)
    doc = _doc(
        "invoice",
        det=det,
        recall=0.8,
        em=em or blocking[:1],
        blocking=blocking,
        comparisons=comps,
        auto_link=0.99,
    )
    return Derived(doc=doc, notes=notes)


DERIVERS = {"customer": derive_customer_rules, "invoice": derive_invoice_rules}


# ---------------------------------------------------------------- the whole step

_INVOICE_COLUMNS = ("invoice_number_norm", "customer_entity_id", "amount_cents", "invoice_date")


def profiled_columns(obj: str, available: list[str]) -> list[str]:
    """The columns the derivation looks at, among those ``available``: every column of
    an evidence family, every blocking key, and the contract's extra attributes."""
    if obj == "invoice":
        wanted = list(_INVOICE_COLUMNS)
    else:
        wanted = sorted(
            {c for fam in FAMILIES.values() for c in fam}
            | {c for cols in _CUSTOMER_BLOCKS for c in cols}
        )
    extras = sorted(c for c in available if c.startswith("x_"))
    return [c for c in wanted if c in available] + extras


def estimate_blocking_recall(
    con: duckdb.DuckDBPyConnection, table: str, doc: dict[str, Any]
) -> float | None:
    """Share of the pairs the near-certain (prior) rules find that the blocking rules
    generate *without* blocking on the columns the near-certain rule used: how well
    blocking reaches matches that differ on any one identifier. None without data."""
    found = covered = 0
    blocks = [list(b) for b in doc.get("blocking", [])]
    for rule in doc.get("prior", {}).get("deterministic_rules", []):
        used = {c for c in _column_names(rule)}
        others = [b for b in blocks if not used & set(b)]
        if not others:
            continue
        any_block = " OR ".join(
            "(" + " AND ".join(f"l.{c} = r.{c}" for c in b) + ")" for b in others
        )
        n, hit = con.execute(
            f"SELECT count(*), count(*) FILTER ({any_block}) FROM {table} l JOIN {table} r "
            f"ON l.record_key < r.record_key AND ({rule})"
        ).fetchall()[0]
        found += n
        covered += hit
    return covered / found if found else None


def _nothing_to_compare(path: Path, obj: str, profile: Profile) -> Problem:
    """The one problem when no column of the data can be compared (a small sample, or
    contracts mapping only columns that are empty): why, and what to do."""
    return Problem(
        str(path.parent / "sources"),
        "",
        f"no field can be compared in {profile.rows:,} {obj} records: a field needs values "
        f"in at least {MIN_FILLED_ROWS} rows and {MIN_FILLED_SHARE:.0%} of rows, two or more "
        f"distinct values, and no value in {MAX_TOP_SHARE:.0%} of rows; load more rows, map more columns, or write {path} with comparisons, "
        'blocking and prior (README "Linkage rules")',
    )


def _column_names(sql: str) -> set[str]:
    return set(re.findall(r"\b[lr]\.([a-z_][a-z0-9_]*)", sql))


def derive_rules(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    *,
    rules_dir: Path | str,
    overrides: Mapping[str, Any],
    source_sql: str,
) -> tuple[LinkageRules, list[str]]:
    """Profile the rows ``source_sql`` selects, derive the rules, put the analyst's
    overrides on top and validate. Returns the rules and one-line notes on what the
    data did not support (for `resolver train`)."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW _derive_input AS {source_sql}")
    try:
        available = [r[0] for r in con.execute("DESCRIBE _derive_input").fetchall()]
        profile = profile_table(con, "_derive_input", profiled_columns(obj, available), obj=obj)
        derived = DERIVERS[obj](con, "_derive_input", profile)
        doc = merge_overrides(derived.doc, overrides)
        path = Path(rules_dir) / RULE_FILES[obj]
        if not doc.get("comparisons"):
            raise RulesError([_nothing_to_compare(path, obj, profile)])
        rules = rules_from_doc(doc, path=path, obj=obj)
        notes = list(derived.notes)
        recall = estimate_blocking_recall(con, "_derive_input", doc)
        if recall is not None:
            notes.append(
                f"estimated blocking recall {recall:.3f} (share of near-certain pairs the "
                "blocking finds without the identifier that made them near-certain)"
            )
        comps = ", ".join(doc["comparisons"])
        notes.insert(0, f"{profile.rows:,} records; comparisons: {comps}")
        return rules, notes
    finally:
        con.execute("DROP VIEW IF EXISTS _derive_input")
