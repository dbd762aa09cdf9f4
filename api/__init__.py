"""The merge-review API: FastAPI over the resolver library.

``create_app(settings)`` builds the app; nothing is read or opened at import time.
"""

from api.app import create_app
from api.settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError", "create_app"]
