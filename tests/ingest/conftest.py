"""Real database servers for the database-source tests: a throwaway PostgreSQL and a
throwaway MariaDB. Skipped only where the server binaries are absent on a developer's
machine; in CI (CI=true) a missing server fails, since `.ci/run` installs Debian's
postgresql and mariadb-server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.ingest import mysql_server, pg_server


def _absent(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} absent in CI: .ci/run installs it")
    pytest.skip(f"{what} absent here (.ci/run installs it)")


@pytest.fixture(scope="session")
def pg() -> Iterator[pg_server.PgServer]:
    if pg_server.pg_bin() is None:
        _absent("PostgreSQL server binaries (apt-get install postgresql)")
    with pg_server.running_server() as server:
        yield server


@pytest.fixture(scope="session")
def mysql() -> Iterator[mysql_server.MySqlServer]:
    if mysql_server.mariadb_bin() is None:
        _absent("MariaDB server binaries (apt-get install mariadb-server)")
    with mysql_server.running_server() as server:
        yield server
