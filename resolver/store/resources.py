"""How much memory and disk DuckDB may use: bounded, and spilling where we say.

DuckDB defaults to 80% of RAM and spills to ``./.tmp`` in the working directory
(a runaway join has filled disks that way). Every connection resolver opens takes
its limits from here. Override with environment variables:

- ``RESOLVER_MEMORY_LIMIT`` (default ``4GB``) per connection;
- ``RESOLVER_MAX_SPILL`` (default ``40GB``) of temporary files;
- ``RESOLVER_SPILL_DIR`` (default: beside the store, or the system temp folder).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DEFAULT_MEMORY_LIMIT = "4GB"
DEFAULT_MAX_SPILL = "40GB"


def duckdb_config(spill_dir: Path | str | None = None) -> dict[str, str]:
    """Connection settings: memory limit, spill folder and its size cap."""
    folder = os.environ.get("RESOLVER_SPILL_DIR") or spill_dir
    if folder is None:
        folder = Path(tempfile.gettempdir()) / "resolver-spill"
    return {
        "memory_limit": os.environ.get("RESOLVER_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
        "temp_directory": str(folder),
        "max_temp_directory_size": os.environ.get("RESOLVER_MAX_SPILL", DEFAULT_MAX_SPILL),
    }
