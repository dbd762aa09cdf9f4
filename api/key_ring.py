"""API keys: roles and the keys file.

A key is never stored: the keys file (YAML or JSON) and ``$RESOLVER_API_KEYS`` hold
the sha256 of each key, with the identity a decision is recorded under and a role::

    keys:
      - name: alice                  # recorded as the reviewer of alice's decisions
        role: reviewer               # viewer | reviewer | admin
        sha256: 9f86d081884c7d65...  # sha256 hex of the key itself

``RESOLVER_API_KEYS`` holds ``name:role:sha256`` entries separated by commas.
``python -m api.keys new alice reviewer`` makes a key and its entry (:mod:`api.keys`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from resolver.rulefiles import load_yaml

Role = Literal["viewer", "reviewer", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "reviewer", "admin")  # each includes the ones before it
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")


class KeysError(ValueError):
    """The keys file or variable is malformed."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the identity behind the key and its role."""

    name: str
    role: Role

    def can(self, role: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def __repr__(self) -> str:  # never shows anything secret (there is nothing secret here)
        return f"Principal({self.name!r}, {self.role!r})"


def hash_key(key: str) -> str:
    """sha256 hex of a key, as the keys file stores it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyRing:
    """sha256 -> Principal. Looks a presented key up by its hash; never keeps a key."""

    def __init__(self, entries: Mapping[str, Principal]) -> None:
        self._by_hash = dict(entries)

    def __len__(self) -> int:
        return len(self._by_hash)

    def lookup(self, key: str) -> Principal | None:
        return self._by_hash.get(hash_key(key))

    def lookup_hash(self, digest: str) -> Principal | None:
        """The identity of a key by its sha256 (a review-page session names it)."""
        return self._by_hash.get(digest)

    @classmethod
    def from_file(cls, path: Path | str) -> KeyRing:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KeysError(f"cannot read keys file {path}: {exc}") from exc
        try:
            doc = json.loads(text) if path.suffix == ".json" else load_yaml(path, text=text)
        except (ValueError, yaml.YAMLError) as exc:
            raise KeysError(f"{path}: not valid YAML/JSON: {exc}") from exc
        if not isinstance(doc, Mapping) or not isinstance(doc.get("keys"), list):
            raise KeysError(f"{path}: must be a mapping with a list under 'keys'")
        return cls._from_entries(doc["keys"], str(path))

    @classmethod
    def from_env(cls, value: str) -> KeyRing:
        entries = []
        for i, part in enumerate(p.strip() for p in value.split(",") if p.strip()):
            bits = part.split(":")
            if len(bits) != 3:
                raise KeysError(f"RESOLVER_API_KEYS entry {i + 1}: expected name:role:sha256")
            entries.append({"name": bits[0], "role": bits[1], "sha256": bits[2]})
        return cls._from_entries(entries, "RESOLVER_API_KEYS")

    @classmethod
    def _from_entries(cls, entries: list, where: str) -> KeyRing:
        out: dict[str, Principal] = {}
        problems = []
        for i, e in enumerate(entries):
            at = f"{where}: keys[{i}]"
            if not isinstance(e, Mapping):
                problems.append(f"{at}: must be a mapping with name, role, sha256")
                continue
            name, role, digest = e.get("name"), e.get("role"), str(e.get("sha256", "")).lower()
            if not isinstance(name, str) or not _NAME.match(name):
                problems.append(f"{at}: name must be 1-100 of A-Z a-z 0-9 _ . @ -")
            if role not in ROLES:
                problems.append(f"{at}: role must be one of {', '.join(ROLES)}")
            if not _HEX64.match(digest):
                problems.append(
                    f"{at}: sha256 must be 64 hex digits (the hash of the key, never the key; "
                    "`python -m api.keys new NAME ROLE` makes one)"
                )
            elif digest in out:
                problems.append(f"{at}: the same key hash appears twice")
            if not problems:
                out[digest] = Principal(name, role)
        if problems:
            raise KeysError("; ".join(problems))
        return cls(out)
