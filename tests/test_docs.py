"""Docs match code: every command, rule key, contract key and canonical field is in the README."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from resolver.cli import build_parser
from resolver.ingest.canonical import FIELDS
from resolver.ingest.contracts import _TOP_KEYS as CONTRACT_KEYS
from resolver.linkage.comparisons import KINDS
from resolver.linkage.rules import _TOP_KEYS as RULE_KEYS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                full = f"{prefix}{name}"
                nested = _commands(sub, full + " ")
                out += nested or [full]
    return out


@pytest.mark.parametrize("command", _commands(build_parser()))
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"resolver {command}" in README


@pytest.mark.parametrize("key", sorted(RULE_KEYS | CONTRACT_KEYS))
def test_every_rules_and_contract_key_is_documented(key: str) -> None:
    assert f"`{key}`" in README or f"\n{key}:" in README or f" {key}:" in README


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_comparison_kind_is_documented(kind: str) -> None:
    assert f"`{kind}`" in README


@pytest.mark.parametrize("field", sorted({f for fields in FIELDS.values() for f in fields}))
def test_every_canonical_field_is_documented(field: str) -> None:
    assert f"`{field}`" in README


def test_the_shipped_rules_use_only_documented_keys() -> None:
    for path in Path("rules").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        if path.name in ("customers.yaml", "invoices.yaml"):
            for key in doc:
                assert f"`{key}`" in README, (path, key)
