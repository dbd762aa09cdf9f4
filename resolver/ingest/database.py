"""Database sources: a table or a query in PostgreSQL, SQLite or MySQL, read as Arrow.

A contract names one::

    database:
      driver: postgresql          # postgresql | sqlite | mysql
      url_env: CRM_DATABASE_URL   # the environment variable holding the connection URL
      table: crm.contacts         # or  query: "SELECT ... FROM ..."
      connect_timeout: 10         # seconds to wait for the server (default 10)

Credentials live only in the environment variable: a contract holding a URL or a
password is refused. An SQLite file holds no credentials, so it may be named by
``path:`` (relative to the data folder) instead of ``url_env``.

Drivers, each yielding Arrow: PostgreSQL and SQLite through ADBC
(``adbc-driver-postgresql``, ``adbc-driver-sqlite``), MySQL through ConnectorX
(``connectorx``; ADBC has no MySQL driver on PyPI). Rows come back ordered by the
contract's id column, so a row's number is the same on every read; each row is
located by table and key.

A server that refuses the login, cannot be reached or never answers fails within
``connect_timeout`` seconds with one line naming the source and the host (never the
URL or the password): libpq gets ``connect_timeout``; for MySQL, PyMySQL logs in and
runs the statement with no rows first, since ConnectorX's connection pool retries a
failed login for 30 seconds before it gives up.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from resolver.errors import Problem, ResolverError

DRIVERS = ("postgresql", "sqlite", "mysql")
_KEYS = {"driver", "url_env", "path", "table", "query", "connect_timeout"}
CONNECT_TIMEOUT_S = 10
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){0,2}$")
_SECRET_HINT = (
    "credentials never go in a contract: put the connection URL in an environment "
    "variable and name it with url_env"
)


@dataclass(frozen=True)
class DatabaseSource:
    """Where a contract's rows live in a database."""

    driver: str
    url_env: str | None = None
    path: Path | None = None  # sqlite only
    table: str | None = None
    query: str | None = None
    connect_timeout: int = CONNECT_TIMEOUT_S

    @property
    def location(self) -> str:
        """How rows are located: ``postgresql:crm.contacts`` or ``postgresql:query``."""
        return f"{self.driver}:{self.table}" if self.table else f"{self.driver}:query"

    def select_sql(self, id_column: str, *, empty: bool = False) -> str:
        """The SELECT reading every row ordered by the id column (none when ``empty``)."""
        q = _quote_char(self.driver)
        if self.table:
            source = ".".join(f"{q}{p}{q}" for p in self.table.split("."))
        else:
            source = f"({self.query.strip().rstrip(';')}) AS _resolver_q"
        if empty:
            return f"SELECT * FROM {source} WHERE 1 = 0"
        return f"SELECT * FROM {source} ORDER BY {q}{id_column}{q}"


def parse_database(
    doc: Any, *, where: str, base: Path, problems: list[Problem]
) -> DatabaseSource | None:
    """The ``database:`` mapping of a contract, or None with its problems appended."""
    before = len(problems)
    if not isinstance(doc, Mapping):
        problems.append(Problem(where, "database", "must be a mapping: driver, url_env, table"))
        return None
    for key in sorted(set(doc) - _KEYS):
        hint = _SECRET_HINT if key in ("url", "password", "user", "dsn", "uri") else None
        problems.append(
            Problem(
                where,
                f"database.{key}",
                hint or f"unknown key; allowed: {', '.join(sorted(_KEYS))}",
            )
        )
    driver = doc.get("driver")
    if driver not in DRIVERS:
        problems.append(
            Problem(where, "database.driver", f"{driver!r} is not one of {', '.join(DRIVERS)}")
        )
    url_env, path = doc.get("url_env"), doc.get("path")
    if url_env is not None and (not isinstance(url_env, str) or not _ENV_RE.match(url_env)):
        problems.append(
            Problem(where, "database.url_env", f"{url_env!r} must be an environment variable name")
        )
    if path is not None and driver != "sqlite":
        problems.append(Problem(where, "database.path", "only an sqlite database is a path"))
    if path is not None and not isinstance(path, str):
        problems.append(Problem(where, "database.path", "must be a file path"))
    if url_env is None and path is None:
        need = "url_env" if driver != "sqlite" else "url_env or path"
        problems.append(Problem(where, "database", f"needs {need} ({_SECRET_HINT})"))
    table, query = doc.get("table"), doc.get("query")
    if (table is None) == (query is None):
        problems.append(Problem(where, "database", "name exactly one of table or query"))
    if table is not None and (not isinstance(table, str) or not _TABLE_RE.match(table)):
        problems.append(
            Problem(
                where, "database.table", f"{table!r} must be a name like contacts or crm.contacts"
            )
        )
    if query is not None and (not isinstance(query, str) or not query.strip()):
        problems.append(Problem(where, "database.query", "must be a SELECT statement"))
    timeout = doc.get("connect_timeout", CONNECT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 3600:
        problems.append(
            Problem(
                where,
                "database.connect_timeout",
                f"{timeout!r} must be a whole number of seconds from 1 to 3600",
            )
        )
    if len(problems) > before:
        return None
    file = None
    if path is not None:
        file = Path(path) if Path(path).is_absolute() else base / path
    return DatabaseSource(
        driver=driver,
        url_env=url_env,
        path=file,
        table=table,
        query=query,
        connect_timeout=timeout,
    )


def read_table(source: DatabaseSource, id_column: str, *, empty: bool = False) -> pa.Table:
    """Every row of the source as Arrow, ordered by ``id_column`` (the schema only when
    ``empty``). Raises ResolverError, one line naming the source and its host but never
    the URL, when it cannot be read."""
    sql = source.select_sql(id_column, empty=empty)
    try:
        url = _url(source)
    except ResolverError as exc:
        raise ResolverError(f"cannot read {source.location}: {exc}") from None
    where = f"{source.location} at {host}" if (host := endpoint(source, url)) else source.location
    try:
        if source.driver == "mysql":
            _mysql_login(url, source.select_sql(id_column, empty=True), source.connect_timeout)
            # optional extra resolver[mysql]: imported only for a MySQL source
            import connectorx

            return connectorx.read_sql(url, sql, return_type="arrow")
        dbapi = _adbc(source.driver)
        if source.driver == "postgresql":
            url = _with_connect_timeout(url, source.connect_timeout)
        with dbapi.connect(url) as conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetch_arrow_table()
    except ResolverError as exc:
        raise ResolverError(f"cannot read {where}: {exc}") from None
    except Exception as exc:
        detail = _redact(_explain(exc, source.connect_timeout), url)
        raise ResolverError(f"cannot read {where}: {detail}") from None


def endpoint(source: DatabaseSource, url: str) -> str | None:
    """``host:port`` of a server's connection URL (or libpq ``key=value`` string);
    None for SQLite."""
    if source.driver == "sqlite":
        return None
    if "://" in url:
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qs(parts.query)
        try:
            port = parts.port
        except ValueError:
            port = None
        host = parts.hostname or (query.get("host") or ["localhost"])[0]
        port = port or (query.get("port") or [None])[0] or _DEFAULT_PORTS[source.driver]
    else:  # libpq key=value
        words = dict(w.split("=", 1) for w in url.split() if "=" in w)
        host = words.get("host") or words.get("hostaddr") or "localhost"
        port = words.get("port") or _DEFAULT_PORTS[source.driver]
    return f"{host}:{port}"


def _with_connect_timeout(url: str, seconds: int) -> str:
    """A libpq URL or key=value string with ``connect_timeout`` (unless it has one)."""
    if "connect_timeout" in url:
        return url
    if "://" not in url:
        return f"{url} connect_timeout={seconds}"
    return f"{url}{'&' if '?' in url else '?'}connect_timeout={seconds}"


def _mysql_login(url: str, empty_sql: str, seconds: int) -> None:
    """Log in and run the statement with no rows, each step within ``seconds``:
    a wrong password, an unreachable or silent server, a missing table fail here."""
    # optional extra resolver[mysql]: imported only for a MySQL source
    import pymysql

    parts = urllib.parse.urlsplit(url)
    unquote = urllib.parse.unquote
    con = pymysql.connect(
        host=parts.hostname or "localhost",
        port=parts.port or _DEFAULT_PORTS["mysql"],
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=unquote(parts.path.lstrip("/")) or None,
        connect_timeout=seconds,
        read_timeout=seconds,
        write_timeout=seconds,
    )
    try:
        with con.cursor() as cur:
            cur.execute(empty_sql)
    finally:
        con.close()


def _explain(exc: Exception, seconds: int) -> str:
    """A driver's exception as one readable line; a timeout says how long it waited."""
    args = getattr(exc, "args", ())
    if len(args) == 2 and isinstance(args[0], int):  # PyMySQL: (code, message)
        text = f"{args[1]} (MySQL error {args[0]})"
    else:
        text = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    if re.search(r"timeout expired|timed out", text, re.IGNORECASE):
        text = f"no answer within {seconds} s ({text})"
    return text


def _adbc(driver: str) -> Any:
    if driver == "postgresql":
        # optional extra resolver[postgresql]: imported when used
        import adbc_driver_postgresql.dbapi as dbapi
    else:
        # optional extra resolver[sqlite]
        import adbc_driver_sqlite.dbapi as dbapi
    return dbapi


def _url(source: DatabaseSource) -> str:
    if source.url_env is None:
        if source.path is None or not source.path.is_file():
            raise ResolverError(f"sqlite file {source.path} does not exist")
        return str(source.path)
    url = os.environ.get(source.url_env)
    if not url:
        raise ResolverError(
            f"environment variable {source.url_env} is not set: it must hold the "
            f"{source.driver} connection URL"
        )
    if source.driver == "sqlite":
        return url.removeprefix("sqlite:///").removeprefix("file:")
    return url


def _redact(text: str, url: str) -> str:
    """An error message without the URL or the password in it."""
    text = text.replace(url, "<url>")
    password = re.search(r"://[^:/@]*:([^@]*)@", url) or re.search(r"password=(\S+)", url)
    if password and password.group(1):
        for secret in {password.group(1), urllib.parse.unquote(password.group(1))}:
            # where it stands alone: a short password is no reason to mangle every word
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", "***", text)
    return " ".join(text.split())[:500]


def _quote_char(driver: str) -> str:
    return "`" if driver == "mysql" else '"'


def text_columns(table: pa.Table, date_formats: Mapping[str, str]) -> pa.Table:
    """Every column as strings: dates and timestamps in ``date_formats[column]`` (a
    strftime format; ISO where absent), numbers and booleans as their text."""
    out = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        if isinstance(col.type, pa.ExtensionType):  # e.g. PostgreSQL numeric: text inside
            col = pa.chunked_array([c.storage for c in col.chunks], col.type.storage_type)
        t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            out[name] = col.cast(pa.string())
            continue
        fmt = date_formats.get(name)
        if pa.types.is_date(t) or pa.types.is_timestamp(t):
            if fmt:
                col = pc.strftime(col.cast(pa.timestamp("s")), format=fmt)
            elif pa.types.is_timestamp(t):
                col = pc.strftime(col.cast(pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%S")
        elif pa.types.is_binary(t) or pa.types.is_large_binary(t):
            col = pa.array(
                [None if v is None else v.decode("utf-8", "replace") for v in col.to_pylist()]
            )
        try:
            out[name] = col.cast(pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            out[name] = pa.array(
                [None if v is None else str(v) for v in col.to_pylist()], pa.string()
            )
    return pa.table(out)


def table_fingerprint(table: pa.Table) -> str:
    """A sha256 over a table's rows (what a file's sha256 is for a file source)."""
    h = hashlib.sha256()
    for batch in table.to_batches(max_chunksize=65_536):
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch)
        h.update(sink.getvalue().to_pybytes())
    return h.hexdigest()
