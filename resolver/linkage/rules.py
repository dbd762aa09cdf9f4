"""Linkage rules (rules/customers.yaml, rules/invoices.yaml): validated, hashed, and
turned into Splink 5 settings."""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from resolver.errors import Problem, Problems, RulesError
from resolver.linkage.comparisons import check_comparison, comparison_dict
from resolver.rulefiles import load_yaml, sql_problem
from resolver.store import schema

RULE_FILES = {"customer": "customers.yaml", "invoice": "invoices.yaml"}
_TOP_KEYS = {
    "object",
    "prior",
    "training",
    "blocking",
    "comparisons",
    "vetoes",
    "thresholds",
    "clustering",
}
# Columns a rules file may use: the record columns plus, for invoices, the
# customer entity id the batch job attaches.
LINK_COLUMNS: dict[str, set[str]] = {
    "customer": set(schema.CUSTOMER_COLUMNS),
    "invoice": set(schema.INVOICE_COLUMNS) | {"customer_entity_id"},
}


# an extra attribute a contract maps outside the canonical fields (contract `extra:`)
EXTRA_COLUMN = re.compile(r"x_[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Thresholds:
    auto_link: float
    review: float


@dataclass(frozen=True)
class LinkageRules:
    """One object's linkage rules, validated."""

    object: str
    path: Path
    doc: dict[str, Any]
    thresholds: Thresholds
    vetoes: dict[str, str] = field(default_factory=dict)
    duplicate_free_systems: tuple[str, ...] = ()

    @property
    def rules_hash(self) -> str:
        """Hash of what the model depends on (not of the thresholds, vetoes, clustering)."""
        part = {
            k: self.doc.get(k) for k in ("object", "prior", "training", "blocking", "comparisons")
        }
        return hashlib.sha256(json.dumps(part, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def blocking_rules(self) -> list[str]:
        return [_block_sql(cols) for cols in self.doc["blocking"]]

    @property
    def em_blocking_rules(self) -> list[str]:
        return [_block_sql(cols) for cols in self.doc["training"].get("em_blocking", [])]

    @property
    def training(self) -> dict[str, Any]:
        return dict(self.doc.get("training") or {})

    @property
    def prior(self) -> dict[str, Any]:
        return dict(self.doc["prior"])

    @property
    def comparisons(self) -> dict[str, dict[str, Any]]:
        return dict(self.doc["comparisons"])

    def input_columns(self) -> list[str]:
        """Every column the model reads (for the table handed to Splink)."""
        cols = {"record_key", "system"}
        for o in self.comparisons.values():
            cols |= {v for k, v in o.items() if k.endswith("column")}
            if o.get("kind") == "custom":  # columns named in the levels' SQL
                sql = " ".join([str(o.get("null_sql", "")), *(str(v["sql"]) for v in o["levels"])])
                cols |= {
                    c
                    for c in re.findall(r"\b([a-z_][a-z0-9_]*)_[lr]\b", sql)
                    if _known_column(c, LINK_COLUMNS[self.object])
                }
        for block in self.doc["blocking"] + self.training.get("em_blocking", []):
            cols |= set(block)
        text = " ".join([*self.vetoes.values(), *self.prior["deterministic_rules"]])
        cols |= {c for c in LINK_COLUMNS[self.object] if f".{c}" in text}
        return sorted(cols)

    def splink_settings(self, *, at_home: bool = True) -> dict[str, Any]:
        """The Splink 5 settings dict (before training); ``at_home=False``: without the
        levels for pairs sharing a home (``comparisons.AT_HOME``), as trained."""
        return {
            "link_type": "dedupe_only",
            "unique_id_column_name": "record_key",
            "source_dataset_column_name": "system",
            "probability_two_random_records_match": 1e-4,
            "blocking_rules_to_generate_predictions": self.blocking_rules,
            "comparisons": [
                comparison_dict(n, o, at_home=at_home) for n, o in self.comparisons.items()
            ],
            "retain_matching_columns": True,
            "retain_intermediate_calculation_columns": True,
            "additional_columns_to_retain": ["system"],
            "max_iterations": int(self.training.get("em_max_iterations", 25)),
            "em_convergence": 0.0001,
        }

    def veto_sql(self) -> str | None:
        """One CASE expression naming the first veto a pair meets, or None if none."""
        if not self.vetoes:
            return None
        whens = " ".join(f"WHEN ({sql}) THEN '{name}'" for name, sql in self.vetoes.items())
        return f"CASE {whens} ELSE NULL END"


def _block_sql(cols: list[str]) -> str:
    return " AND ".join(f"l.{c} = r.{c}" for c in cols)


def read_overrides(rules_dir: Path | str, obj: str) -> dict[str, Any]:
    """The analyst's overrides for one object (``customers.yaml``): {} when absent.

    Any top-level key may be given; what is given is checked before any work starts
    (column names, option types), so a typo fails at once, naming file and key.
    """
    path = Path(rules_dir) / RULE_FILES[obj]
    where = str(path)
    if not path.is_file():
        return {}
    try:
        doc = load_yaml(path)
    except yaml.YAMLError as exc:
        raise RulesError([Problem(where, "", f"not valid YAML: {exc}")]) from exc
    if doc is None:
        return {}
    if not isinstance(doc, Mapping):
        raise RulesError([Problem(where, "", "must be a mapping")])
    problems = _check(dict(doc), where, obj, partial=True)
    if problems:
        raise RulesError(problems)
    return dict(doc)


_MERGED_BY_KEY = ("training", "thresholds", "clustering", "comparisons")


def merge_overrides(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` (derived from the data, or a saved model's rules) with the analyst's
    overrides on top. ``comparisons``, ``training``, ``thresholds`` and ``clustering``
    merge key by key (a comparison set to null is removed); every other key replaces.
    Merging twice gives the same document."""
    out = json.loads(json.dumps(dict(base)))  # a deep copy of plain data
    for key, value in overrides.items():
        if key in _MERGED_BY_KEY and isinstance(value, Mapping):
            merged = dict(out.get(key) or {})
            for k, v in value.items():
                if v is None and key == "comparisons":
                    merged.pop(k, None)
                else:
                    merged[k] = json.loads(json.dumps(v))
            out[key] = merged
        else:
            out[key] = json.loads(json.dumps(value))
    return out


def rules_from_doc(doc: Mapping[str, Any], *, path: Path | str, obj: str) -> LinkageRules:
    """Validate a complete rules document (every problem at once) into LinkageRules."""
    doc = dict(doc)
    problems = _check(doc, str(path), obj, partial=False)
    if problems:
        raise RulesError(problems)
    th = doc["thresholds"]
    vetoes = doc.get("vetoes") or {}
    clustering = doc.get("clustering") or {}
    return LinkageRules(
        object=obj,
        path=Path(path),
        doc=doc,
        thresholds=Thresholds(float(th["auto_link"]), float(th["review"])),
        vetoes={str(k): " ".join(str(v).split()) for k, v in vetoes.items()},
        duplicate_free_systems=tuple(clustering.get("duplicate_free_systems") or ()),
    )


def load_rules(
    rules_dir: Path | str, obj: str, *, models_dir: Path | str | None = None
) -> LinkageRules:
    """One object's rules, validated (every problem at once).

    A complete rules file stands alone. A partial one (or none) holds overrides: the
    rest is what the data gave at training, read from the trained model in
    ``models_dir`` (see :func:`resolver.linkage.model.load_model_and_rules`).
    """
    path = Path(rules_dir) / RULE_FILES[obj]
    overrides = read_overrides(rules_dir, obj)
    if models_dir is not None:
        # deferred: the model module builds on this one (a cycle otherwise)
        from resolver.linkage.model import load_model_and_rules

        return load_model_and_rules(models_dir, rules_dir, obj)[1]
    if not _check(overrides, str(path), obj, partial=False):
        return rules_from_doc(overrides, path=path, obj=obj)
    raise RulesError(
        [
            Problem(
                str(path),
                "",
                "holds only overrides: the rest of the rules comes from the data when "
                "`resolver train` runs; read them with models_dir (the trained model)",
            )
        ]
    )


def rules_for_model(
    rules_dir: Path | str, obj: str, model_rules: Mapping[str, Any]
) -> LinkageRules:
    """The rules a saved model was trained under, with today's overrides on top."""
    path = Path(rules_dir) / RULE_FILES[obj]
    return rules_from_doc(
        merge_overrides(model_rules, read_overrides(rules_dir, obj)), path=path, obj=obj
    )


def _check(doc: dict[str, Any], where: str, obj: str, *, partial: bool) -> list[Problem]:
    """Problems of a rules document; with ``partial``, absent keys are fine."""
    problems: list[Problem] = []
    columns = LINK_COLUMNS[obj]

    def bad(key: str, msg: str) -> None:
        problems.append(Problem(where, key, msg))

    def given(key: str) -> bool:
        return not partial or key in doc

    for key in sorted(set(doc) - _TOP_KEYS):
        bad(key, f"unknown key; allowed: {', '.join(sorted(_TOP_KEYS))}")
    if given("object") and doc.get("object") != obj:
        bad("object", f"must be {obj!r}")

    if given("prior"):
        prior = doc.get("prior")
        if not isinstance(prior, Mapping) or not prior.get("deterministic_rules"):
            bad("prior.deterministic_rules", "list at least one near-certain match rule")
        elif not isinstance(prior.get("recall"), int | float) or not 0 < prior["recall"] <= 1:
            bad("prior.recall", "must be a number in (0, 1]")
        if isinstance(prior, Mapping) and isinstance(prior.get("deterministic_rules"), list):
            for i, rule in enumerate(prior["deterministic_rules"]):
                if why := sql_problem(rule):
                    bad(f"prior.deterministic_rules[{i}]", why)

    def check_blocks(key: str, blocks: Any) -> None:
        if not isinstance(blocks, list) or not blocks:
            bad(key, "must be a non-empty list of column lists")
            return
        for i, block in enumerate(blocks):
            if not isinstance(block, list) or not block:
                bad(f"{key}[{i}]", "must be a list of columns, e.g. [email_key]")
                continue
            for col in block:
                if not _known_column(col, columns):
                    bad(f"{key}[{i}]", f"{col!r} is not a normalized column")

    if given("blocking"):
        check_blocks("blocking", doc.get("blocking"))
    training = doc.get("training") or {}
    if not isinstance(training, Mapping):
        bad("training", "must be a mapping")
        training = {}
    if given("training") and (not partial or "em_blocking" in training):
        check_blocks("training.em_blocking", training.get("em_blocking"))
    for key in ("u_max_pairs", "em_max_pairs", "seed", "sample_rows", "em_max_iterations"):
        if key in training and not isinstance(training[key], int | float):
            bad(f"training.{key}", "must be a number")

    if given("comparisons"):
        comps = doc.get("comparisons")
        if not isinstance(comps, Mapping) or (not comps and not partial):
            bad("comparisons", "must map comparison names to their options")
        else:
            for name, opts in comps.items():
                if opts is None and partial:
                    continue  # removes a derived comparison
                for key, msg in check_comparison(str(name), opts, columns | _extra_columns(opts)):
                    bad(f"comparisons.{key}", msg)

    vetoes = doc.get("vetoes") or {}
    if not isinstance(vetoes, Mapping) or not all(
        isinstance(v, str) and v.strip() for v in vetoes.values()
    ):
        bad("vetoes", "must map names to SQL conditions over l. and r. columns")
    else:
        for name, sql in vetoes.items():
            if why := sql_problem(sql):
                bad(f"vetoes.{name}", why)

    th = doc.get("thresholds") or {}
    if not isinstance(th, Mapping):
        bad("thresholds", "must be a mapping")
        th = {}
    for key in ("auto_link", "review"):
        if not given("thresholds") or (partial and key not in th):
            continue
        value = th.get(key)
        if not isinstance(value, int | float) or not 0 < value < 1:
            bad(f"thresholds.{key}", "must be a match probability strictly between 0 and 1")
    auto, review = th.get("auto_link"), th.get("review")
    numbers = all(isinstance(v, int | float) for v in (auto, review))
    if numbers and not problems and review > auto:
        bad("thresholds.review", "must not be above thresholds.auto_link")
    merge = th.get("auto_merge")
    if merge is not None and (not isinstance(merge, int | float) or not 0 < merge < 1):
        bad("thresholds.auto_merge", "must be a match probability strictly between 0 and 1")
    elif merge is not None and isinstance(auto, int | float) and not problems and merge < auto:
        bad("thresholds.auto_merge", "must not be below thresholds.auto_link")

    clustering = doc.get("clustering") or {}
    free = clustering.get("duplicate_free_systems", []) if isinstance(clustering, Mapping) else []
    if not isinstance(free, list):
        bad("clustering.duplicate_free_systems", "must be a list of system names")
    return problems


def _known_column(col: Any, columns: set[str]) -> bool:
    """A normalized column, or an extra attribute a contract maps (``x_<name>``)."""
    return isinstance(col, str) and (col in columns or EXTRA_COLUMN.fullmatch(col) is not None)


def _extra_columns(opts: Any) -> set[str]:
    if not isinstance(opts, Mapping):
        return set()
    return {
        v
        for k, v in opts.items()
        if k.endswith("column") and isinstance(v, str) and EXTRA_COLUMN.fullmatch(v)
    }


def load_all_rules(rules_dir: Path | str) -> dict[str, LinkageRules]:
    """Both objects' rules; problems in either file are reported together."""
    found = Problems()
    out = {obj: found.read(lambda obj=obj: load_rules(rules_dir, obj), None) for obj in RULE_FILES}
    found.raise_any(RulesError)
    return out


def write_thresholds(rules_dir: Path | str, obj: str, *, auto_link: float, review: float) -> Path:
    """Write chosen thresholds back to the rules file, keeping its comments and layout.

    The new file is validated before it replaces the old one: an invalid choice
    (e.g. review above auto_link, auto_link above auto_merge) leaves the file as it was.
    """

    path = Path(rules_dir) / RULE_FILES[obj]
    text = path.read_text(encoding="utf-8") if path.is_file() else f"object: {obj}\n"
    for key, value in (("auto_link", auto_link), ("review", review)):
        if not 0 < value < 1:
            raise RulesError([Problem(str(path), f"thresholds.{key}", "must be in (0, 1)")])
        text, n = re.subn(
            rf"^(\s+{key}:\s*)[0-9.eE+-]+", rf"\g<1>{value!r}", text, count=1, flags=re.M
        )
        if n != 1:
            if not re.search(r"^thresholds:\s*$", text, flags=re.M):
                text = text.rstrip("\n") + "\n\nthresholds:\n"
            text = re.sub(
                r"^thresholds:\s*$", f"thresholds:\n  {key}: {value!r}", text, count=1, flags=re.M
            )
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / RULE_FILES[obj]).write_text(text, encoding="utf-8")
        try:  # every problem at once; the real file is untouched
            doc = read_overrides(tmp, obj)
            th = doc.get("thresholds") or {}
            merge = th.get("auto_merge")
            if merge is not None and merge < th["auto_link"]:
                raise RulesError(
                    [Problem(str(path), "thresholds.auto_merge", "must not be below auto_link")]
                )
        except RulesError as exc:
            raise RulesError([Problem(str(path), p.key, p.message) for p in exc.problems]) from None
    path.write_text(text, encoding="utf-8")
    return path
