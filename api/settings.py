"""Server settings: built explicitly, validated at start-up, unsafe defaults refused."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from api.key_ring import KeyRing, KeysError

DEFAULT_MAX_BODY = 64 * 1024


class SettingsError(ValueError):
    """The server cannot start with these settings; the message says what to change."""


@dataclass(frozen=True)
class Settings:
    """Everything the app needs. ``insecure_dev`` (no keys: every caller is an admin
    named ``dev``) must be asked for explicitly, and binds to localhost only."""

    db: Path
    rules_dir: Path = Path("rules")
    models_dir: Path = Path("models")
    keys: KeyRing | None = None
    insecure_dev: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY
    match: bool = True  # build the matcher (POST /match) at start-up
    match_objects: tuple[str, ...] = ("customer", "invoice")
    extra: dict[str, str] = field(default_factory=dict)
    # signs the review page's session cookies; every worker of one server shares it
    session_secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)

    def __post_init__(self) -> None:
        if not self.insecure_dev and (self.keys is None or len(self.keys) == 0):
            raise SettingsError(
                "no API keys configured: pass --keys FILE or set RESOLVER_API_KEYS "
                "(see `python -m api.keys new NAME ROLE`), or --insecure-dev for a local "
                "server where every caller is an admin"
            )
        if self.insecure_dev and self.keys is not None and len(self.keys):
            raise SettingsError("--insecure-dev and API keys together: choose one")
        if not 1024 <= self.max_body_bytes <= 16 * 1024 * 1024:
            raise SettingsError("max_body_bytes must be between 1 KiB and 16 MiB")

    @classmethod
    def load(
        cls,
        *,
        db: Path | str,
        keys_file: Path | str | None = None,
        rules_dir: Path | str = "rules",
        models_dir: Path | str = "models",
        insecure_dev: bool = False,
        match: bool = True,
        session_secret: str | None = None,
    ) -> Settings:
        """Settings from a keys file or ``$RESOLVER_API_KEYS`` (file wins)."""
        try:
            if keys_file:
                keys = KeyRing.from_file(keys_file)
            elif os.environ.get("RESOLVER_API_KEYS"):
                keys = KeyRing.from_env(os.environ["RESOLVER_API_KEYS"])
            else:
                keys = None
        except KeysError as exc:
            raise SettingsError(str(exc)) from exc
        db = Path(db)
        if not db.is_file():
            raise SettingsError(f"store {db} does not exist; run `resolver run` first")
        return cls(
            db=db,
            rules_dir=Path(rules_dir),
            models_dir=Path(models_dir),
            keys=keys,
            insecure_dev=insecure_dev,
            match=match,
            **({"session_secret": session_secret} if session_secret else {}),
        )
