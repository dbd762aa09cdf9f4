"""A throwaway PostgreSQL server for tests: initdb + pg_ctl in a temp folder, on a
free port, as the ``postgres`` user when run as root (PostgreSQL refuses root)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "s3cret-pw"


def pg_bin() -> Path | None:
    """The folder of Debian's PostgreSQL server binaries (newest), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def _version(path: str) -> int:
    try:
        return int(Path(path).parent.parent.name)
    except ValueError:
        return 0


@dataclass(frozen=True)
class PgServer:
    port: int
    bin: Path
    user: str

    def url(self, *, password: str = PASSWORD, database: str = "postgres") -> str:
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str) -> None:
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        subprocess.run(
            [str(self.bin / "psql"), self.url(), "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
            check=True,
            env=env,
            capture_output=True,
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    bindir = pg_bin()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server binaries")
    root = os.geteuid() == 0
    user = "postgres" if root else pwd.getpwuid(os.geteuid()).pw_name
    folder = Path(tempfile.mkdtemp(prefix="resolver-pg-"))
    data, pwfile, log = folder / "data", folder / "pw", folder / "log"
    pwfile.write_text(PASSWORD + "\n")
    if root:
        entry = pwd.getpwnam(user)
        os.chmod(folder, 0o700)
        for p in (folder, pwfile):
            os.chown(p, entry.pw_uid, entry.pw_gid)

    def as_user(*cmd: str) -> None:
        full = ["runuser", "-u", user, "--", *cmd] if root else list(cmd)
        subprocess.run(full, check=True, capture_output=True, cwd=folder)

    port = _free_port()
    as_user(
        str(bindir / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        f"--pwfile={pwfile}",
        "--no-sync",
        "-E",
        "UTF8",
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    as_user(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
    try:
        yield PgServer(port=port, bin=bindir, user=user)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            as_user(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
