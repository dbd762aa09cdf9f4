"""The rules the notebooks and the tuning functions work with: one place to get them.

``RESOLVER_RULES`` names the rules folder (your own, e.g. one holding only
``sources/``); unset, it is the repository's ``rules/``. Every notebook gets its
linkage rules through :func:`load_rules`, so how rules are obtained (read from
``customers.yaml`` / ``invoices.yaml`` today) changes here and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from resolver.demo.fixtures import MODELS, RULES
from resolver.errors import Problem, Problems, RulesError
from resolver.ingest.contracts import contract_paths, parse_contract
from resolver.linkage.model import load_model_and_rules
from resolver.linkage.rules import RULE_FILES, LinkageRules

RULES_ENV = "RESOLVER_RULES"


def rules_folder(env: Mapping[str, str] | None = None) -> Path:
    """The rules folder: ``RESOLVER_RULES`` (relative to the working directory) when
    set, else the repository's ``rules/``. Raises FileNotFoundError when it names no
    folder."""
    env = os.environ if env is None else env
    given = env.get(RULES_ENV)
    if not given:
        return RULES
    folder = Path(given).expanduser().resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"{RULES_ENV}={given} is not a folder")
    return folder


def load_rules(
    rules_dir: Path | str | None = None, models_dir: Path | str | None = None
) -> dict[str, LinkageRules]:
    """Every object's linkage rules (``{"customer": ..., "invoice": ...}``): what the
    trained models in ``models_dir`` (default ``RESOLVER_MODELS``, else ``models/``)
    were derived under, with the overrides of ``rules_dir`` (default:
    :func:`rules_folder`) on top; problems in any file are reported together."""
    rules_dir = rules_folder() if rules_dir is None else Path(rules_dir)
    if models_dir is None:
        models_dir = Path(os.environ.get("RESOLVER_MODELS") or MODELS)
    found = Problems()
    out = {
        obj: found.read(lambda obj=obj: load_model_and_rules(models_dir, rules_dir, obj)[1], None)
        for obj in _delivered_objects(rules_dir)
    }
    found.raise_any(RulesError)
    return out


def _delivered_objects(rules_dir: Path) -> list[str]:
    """The objects some contract of ``rules_dir`` delivers (a customers-only deployment
    has no invoice model to read); every object when the folder holds no contract."""
    problems: list[Problem] = []
    objects = {
        c.object
        for path in contract_paths(rules_dir)[1]
        if (c := parse_contract(path, data_dir=None, problems=problems)) is not None
    }
    return [obj for obj in RULE_FILES if obj in objects] or list(RULE_FILES)
