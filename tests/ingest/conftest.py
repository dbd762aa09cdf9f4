"""A real PostgreSQL server for the database-source tests (skipped only where the
server binaries are absent; `.ci/run` installs Debian's postgresql, so CI never skips)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ingest.pg_server import PgServer, pg_bin, running_server


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    if pg_bin() is None:
        pytest.skip("PostgreSQL server binaries absent (apt-get install postgresql)")
    with running_server() as server:
        yield server
