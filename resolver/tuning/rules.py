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

from resolver.fixtures import RULES
from resolver.linkage.rules import LinkageRules, load_all_rules

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


def load_rules(rules_dir: Path | str | None = None) -> dict[str, LinkageRules]:
    """Every object's linkage rules (``{"customer": ..., "invoice": ...}``) from
    ``rules_dir`` (default: :func:`rules_folder`); problems in any file are reported
    together (``resolver.linkage.rules.RulesError``)."""
    return load_all_rules(rules_folder() if rules_dir is None else Path(rules_dir))
