"""The thresholds that turn the health report's figures into pass / warn / fail.

Every threshold has a default; ``rules/health.yaml`` may override any of them, and
may name a webhook the run posts its summary to. Unknown keys and bad values are
reported together, with the file and key, before any work starts.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from resolver.errors import Problem, RulesError
from resolver.ingest.canonical import FIELDS, stored_column
from resolver.rulefiles import load_yaml

RULES_FILE = "health.yaml"
CHECKS = (
    "completeness",
    "field_mapping",
    "error_handling",
    "timing",
    "update_handling",
    "duplicates",
    "orphans",
)
VERDICTS = ("pass", "warn", "fail")

# rates are shares (0.05 = 5%); days, hours and cents as named
DEFAULTS: dict[str, Any] = {
    "thresholds": {
        # worst mapped field of a source: share of rows with the value empty or unusable
        "completeness": {"warn": 0.10, "fail": 0.30},
        # worst field of a pair: share of linked pairs whose normalized values disagree
        "field_mapping": {"warn": 0.10, "fail": 0.25},
        # share of a source's rows rejected
        "error_handling": {"warn": 0.02, "fail": 0.10},
        # share of linked pairs where one system still holds an older value
        "update_handling": {"warn": 0.10, "fail": 0.25},
        # share of a system's records in a within-system duplicate group
        "duplicates": {"warn": 0.05, "fail": 0.15},
        # share of the records an expectation covers that break it
        "orphans": {"warn": 0.02, "fail": 0.10},
    },
    "timing": {
        # a source's newest record behind the freshest source of the run, in days
        "freshness_days": {"warn": 3, "fail": 14},
        # 95th percentile of the date gap between linked records of two systems, in days
        "sync_lag_days": {"warn": 7, "fail": 30},
        # rows loaded against the last run: a drop (share lost) and a rise (share gained)
        "volume_drop": {"warn": 0.10, "fail": 0.25},
        "volume_rise": {"warn": 0.50, "fail": 2.0},
        # hours between the last complete run and this one
        "run_gap_hours": {"warn": 26, "fail": 50},
        # the newest record of any source against the run time, in days; null: not checked
        "max_age_days": None,
    },
    # the canonical fields each source must fill, graded by completeness (the worst
    # grades); other mapped fields are listed only. by_system: {system: {object: [...]}}
    # gives a system its own list in place of its object's
    "completeness_fields": {
        "customer": ["email", "phone", "address", "street", "postal_code", "name", "last_name"],
        "invoice": ["amount", "invoice_date", "customer_ref", "invoice_number"],
        "by_system": {},
    },
    # money at stake that lifts a verdict whatever the rate (cents)
    "money": {"warn_cents": 100_000, "fail_cents": 1_000_000},
    # post the summary here after each run; null: no post
    "webhook": {"url": None, "timeout_seconds": 10},
}


@dataclass(frozen=True)
class HealthRules:
    """The merged thresholds (defaults, then the file) and where they came from."""

    doc: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS))
    path: str = ""
    rules_dir: str = "rules"  # the folder the run read its rules from, for next steps

    def threshold(self, check: str) -> dict[str, float]:
        return self.doc["thresholds"][check]

    def timing(self, key: str) -> Any:
        return self.doc["timing"][key]

    def completeness_columns(self, obj: str, system: str) -> set[str]:
        """The store columns completeness grades for ``system``'s ``obj`` records."""
        fields = self.doc["completeness_fields"]
        names = fields["by_system"].get(system, {}).get(obj, fields.get(obj, []))
        return {stored_column(obj, f) for f in names}

    @property
    def money(self) -> dict[str, int]:
        return self.doc["money"]

    @property
    def webhook_url(self) -> str | None:
        return self.doc["webhook"]["url"]

    @property
    def webhook_timeout(self) -> float:
        return float(self.doc["webhook"]["timeout_seconds"])


def load_health_rules(rules_dir: Path | str, *, systems: set[str] | None = None) -> HealthRules:
    """Defaults overridden by ``rules_dir/health.yaml`` (absent: the defaults).
    ``systems``: the contracts' systems, which ``completeness_fields.by_system`` names."""
    path = Path(rules_dir) / RULES_FILE
    if not path.is_file():
        return HealthRules(path="", rules_dir=str(rules_dir))
    try:
        doc = load_yaml(path) or {}
    except yaml.YAMLError as exc:
        raise RulesError([Problem(str(path), "", f"not valid YAML: {exc}")]) from exc
    rules = parse_health_rules(doc, where=str(path), systems=systems)
    return dataclasses.replace(rules, rules_dir=str(rules_dir))


def parse_health_rules(
    doc: Any, *, where: str = RULES_FILE, systems: set[str] | None = None
) -> HealthRules:
    """Merge ``doc`` over the defaults; raise RulesError listing every problem."""
    problems: list[Problem] = []
    merged = copy.deepcopy(DEFAULTS)
    if not isinstance(doc, dict):
        raise RulesError([Problem(where, "", "must be a mapping of sections")])
    doc = dict(doc)
    fields = doc.pop("completeness_fields", None)
    _merge(doc, DEFAULTS, merged, "", where, problems)
    if fields is not None:
        _completeness_fields(fields, merged["completeness_fields"], systems, where, problems)
    for check, t in merged["thresholds"].items():
        _ordered(t, f"thresholds.{check}", where, problems)
    for key, t in merged["timing"].items():
        if isinstance(t, dict):
            _ordered(t, f"timing.{key}", where, problems)
    m = merged["money"]
    if m["warn_cents"] > m["fail_cents"]:
        problems.append(Problem(where, "money", "warn_cents must not exceed fail_cents"))
    url = merged["webhook"]["url"]
    if url is not None and not str(url).startswith(("http://", "https://")):
        problems.append(Problem(where, "webhook.url", f"{url!r} is not an http(s) URL"))
    if problems:
        raise RulesError(problems)
    return HealthRules(doc=merged, path=where)


def _merge(
    doc: dict, defaults: dict, out: dict, prefix: str, where: str, problems: list[Problem]
) -> None:
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if key not in defaults:
            known = ", ".join(sorted(defaults))
            problems.append(Problem(where, name, f"unknown key; known keys: {known}"))
            continue
        default = defaults[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                problems.append(Problem(where, name, "must be a mapping"))
                continue
            _merge(value, default, out[key], f"{name}.", where, problems)
        elif key == "url":
            out[key] = value
        elif value is None and (default is None or key == "max_age_days"):
            out[key] = None
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            problems.append(Problem(where, name, f"must be a number >= 0, not {value!r}"))
        else:
            out[key] = value


def _completeness_fields(
    doc: Any,
    out: dict[str, Any],
    systems: set[str] | None,
    where: str,
    problems: list[Problem],
) -> None:
    """``completeness_fields``: {object: [field, ...], by_system: {system: {object: [...]}}}."""
    name = "completeness_fields"
    if not isinstance(doc, dict):
        problems.append(Problem(where, name, "must be a mapping of object: [fields]"))
        return
    for key, value in doc.items():
        if key == "by_system":
            if not isinstance(value, dict):
                problems.append(Problem(where, f"{name}.by_system", "must be a mapping"))
                continue
            for system, lists in value.items():
                at = f"{name}.by_system.{system}"
                if systems is not None and system not in systems:
                    known = ", ".join(sorted(systems))
                    problems.append(Problem(where, at, f"no contract has this system; {known}"))
                if not isinstance(lists, dict):
                    problems.append(Problem(where, at, "must be a mapping of object: [fields]"))
                    continue
                got = {
                    obj: fs
                    for obj, fs in lists.items()
                    if _field_list(obj, fs, f"{at}.{obj}", where, problems)
                }
                out["by_system"][system] = got
        elif _field_list(key, value, f"{name}.{key}", where, problems):
            out[key] = list(value)


def _field_list(obj: Any, value: Any, at: str, where: str, problems: list[Problem]) -> bool:
    """Whether ``value`` is a list of canonical fields of ``obj`` (else say why)."""
    if obj not in FIELDS:
        known = ", ".join(FIELDS)
        problems.append(Problem(where, at, f"unknown object; objects: {known}"))
        return False
    if not isinstance(value, list):
        problems.append(Problem(where, at, "must be a list of canonical fields"))
        return False
    bad = [f for f in value if f not in FIELDS[obj]]
    for f in bad:
        known = ", ".join(FIELDS[obj])
        problems.append(Problem(where, at, f"unknown field {f!r}; {obj} fields: {known}"))
    return not bad


def _ordered(t: dict, name: str, where: str, problems: list[Problem]) -> None:
    if t.get("warn") is not None and t.get("fail") is not None and t["warn"] > t["fail"]:
        problems.append(Problem(where, name, f"warn ({t['warn']}) must not exceed fail"))
