"""Shared by the API tests: keys for each role, store copies, app factory."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from api import Settings, create_app
from api.key_ring import KeyRing, Principal, hash_key
from api.protocol import HTTP_PROTOCOL
from resolver.demo.fixtures import DemoStore
from resolver.review.view_file import view_root
from resolver.store.journal import journal_path

KEYS = {"viewer": "key-viewer-0001", "reviewer": "key-reviewer-0001", "admin": "key-admin-0001"}
NAMES = {"viewer": "vera", "reviewer": "rex", "admin": "ada"}


def headers(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


def keyring() -> KeyRing:
    return KeyRing({hash_key(k): Principal(NAMES[r], r) for r, k in KEYS.items()})


def copy_store(demo: DemoStore, dest: Path) -> Path:
    """A private copy of the store file, its review view and its journal's run log
    (no decisions)."""
    dest.mkdir(parents=True, exist_ok=True)
    db = dest / "resolver.duckdb"
    shutil.copyfile(demo.db, db)
    shutil.copytree(view_root(demo.db), view_root(db))
    src = journal_path(demo.db)
    if src.exists():
        with sqlite3.connect(src) as a, sqlite3.connect(journal_path(db)) as b:
            a.backup(b)
            b.execute("DELETE FROM decisions")
    return db


def make_app(db: Path, **kw) -> FastAPI:
    return create_app(Settings(db=db, keys=keyring(), **kw))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, app: FastAPI, db: Path) -> None:
        self.db = db
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", http=HTTP_PROTOCOL
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def client(self, role: str | None = "reviewer") -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=headers(role) if role else {}, timeout=30)


@contextmanager
def served_by_workers(
    db: Path,
    tmp: Path,
    *,
    workers: int = 2,
    ready: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
) -> Iterator[tuple[subprocess.Popen, str, Path]]:
    """``resolver serve --workers N`` over ``db`` with the test keys, in a process of its
    own, once ``GET /healthz`` satisfies ``ready``: (the server process, its URL, its log)."""
    keys = tmp / "keys.yaml"
    keys.write_text(
        "keys:\n"
        + "".join(
            f"  - name: {role}-key\n    role: {role}\n    sha256: {hash_key(k)}\n"
            for role, k in KEYS.items()
        )
    )
    port = _free_port()
    command = [sys.executable, "-m", "resolver", "serve", "--db", str(db), "--keys", str(keys)]
    command += ["--port", str(port), "--workers", str(workers)]
    log = tmp / "server.log"
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, log.read_text()[-2000:]
            try:
                if ready(httpx.get(f"{url}/healthz", timeout=2)):
                    break
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        yield server, url, log
    finally:
        server.terminate()
        server.wait(timeout=30)
