"""A throwaway MariaDB server for tests: mariadb-install-db + mariadbd in a temp
folder, on a free port and a socket of its own, never the machine's own server."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymysql

USER, PASSWORD = "crm", "s3cret-pw"


def mariadb_bin() -> tuple[Path, Path] | None:
    """(mariadb-install-db, mariadbd) of Debian's mariadb-server, or None."""
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    server = (
        shutil.which("mariadbd")
        or shutil.which("mariadbd", path="/usr/sbin:/usr/libexec")
        or shutil.which("mysqld", path="/usr/sbin:/usr/libexec")
    )
    return (Path(install), Path(server)) if install and server else None


@dataclass(frozen=True)
class MySqlServer:
    port: int
    socket: Path

    def url(self, *, password: str = PASSWORD, database: str = "crm") -> str:
        return f"mysql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def sql(self, *statements: str) -> None:
        """Run statements as root over the server's own socket."""
        con = pymysql.connect(unix_socket=str(self.socket), user="root", autocommit=True)
        try:
            with con.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            con.close()

    def insert(self, table: str, rows: list[tuple]) -> None:
        """Insert rows (every column, in order) into a table, as root."""
        if not rows:
            return
        marks = ", ".join(["%s"] * len(rows[0]))
        con = pymysql.connect(unix_socket=str(self.socket), user="root", autocommit=True)
        try:
            with con.cursor() as cur:
                cur.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        finally:
            con.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server() -> Iterator[MySqlServer]:
    found = mariadb_bin()
    if found is None:
        raise RuntimeError("no MariaDB server binaries")
    install, server = found
    folder = Path(tempfile.mkdtemp(prefix="resolver-my-"))
    data, sock, log = folder / "data", folder / "sock", folder / "log"
    # mariadbd refuses to run as root unless told to
    as_user = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            str(install),
            "--no-defaults",
            f"--datadir={data}",
            *as_user,
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--skip-name-resolve",
        ],
        check=True,
        capture_output=True,
        cwd=folder,
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(server),
            "--no-defaults",
            f"--datadir={data}",
            *as_user,
            f"--socket={sock}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            f"--pid-file={folder / 'pid'}",
            f"--log-error={log}",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=16M",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        result = MySqlServer(port=port, socket=sock)
        _wait_ready(result, proc, log)
        result.sql(
            f"CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'",
            "CREATE DATABASE crm",
            f"GRANT ALL ON crm.* TO '{USER}'@'%'",
        )
        yield result
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(server: MySqlServer, proc: subprocess.Popen, log: Path) -> None:
    """Until the server answers on its socket (it exits on a bad start: say why)."""
    for _ in range(600):
        if proc.poll() is not None:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"mariadbd exited with {proc.returncode}:\n{text[-2000:]}")
        if server.socket.exists():
            with contextlib.suppress(pymysql.err.OperationalError):
                server.sql("SELECT 1")
                return
        time.sleep(0.1)
    raise RuntimeError("mariadbd did not answer within 60 s")
