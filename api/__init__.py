"""The merge-review API: FastAPI over the resolver library.

``create_app(settings)`` builds the app; nothing is read or opened at import time.
The package imports its modules on first use, so ``python -m api.keys`` runs the key
helper without the package having imported it already.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.app import create_app
    from api.settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        # on first use, not at package import: `python -m api.keys` must find api.keys unloaded
        from api.app import create_app

        return create_app
    if name in ("Settings", "SettingsError"):
        # on first use, not at package import: api.settings imports api.keys
        from api import settings

        return getattr(settings, name)
    raise AttributeError(f"module 'api' has no attribute {name!r}")
