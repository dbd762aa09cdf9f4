"""One run at a time per store; what survives a kill; the run log agrees with the store.

Real files and real processes: runs are `python -m resolver run` subprocesses, killed
with SIGKILL where a test says so.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from resolver import store
from resolver.demo.fixtures import DemoStore
from resolver.errors import StoreBusy, StoreError
from resolver.store import run_lock, runs
from resolver.store.journal import Journal, journal_path


def _start_and_wait_for(cmd: list[str], marker: str) -> subprocess.Popen:
    """Start a run and return once its stderr shows ``marker`` (it then holds the lock)."""
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env={**os.environ})
    assert proc.stderr is not None
    deadline = time.time() + 120
    for line in proc.stderr:
        if marker in line:
            return proc
        assert time.time() < deadline, "the run never got there"
    raise AssertionError(f"the run ended before {marker!r}: rc {proc.wait()}")


def _copy_store(demo_store: DemoStore, tmp_path: Path) -> Path:
    db = tmp_path / "s.duckdb"
    shutil.copy(demo_store.db, db)
    return db


def _assert_valid_store(db: Path) -> dict:
    """The live file opens as a store with a complete last run, and the run log, the
    store and the API's reading of the runs agree on every run."""
    con = store.connect(db, read_only=True)
    try:
        latest = runs.latest_run(con)
        assert latest is not None
        assert con.execute("SELECT count(*) FROM customer_members").fetchall()[0][0] > 0
        listed = runs.list_runs(con)
        published = runs.published_runs(con)
    finally:
        con.close()
    logged = {r["run_id"]: r["status"] for r in Journal(journal_path(db)).runs()}
    for run_id in published:
        assert logged[run_id] == "complete", (run_id, logged)
    assert {r["run_id"]: r["status"] for r in listed} == logged
    return latest


def test_a_second_run_refuses_at_once_naming_the_holder(
    demo_store: DemoStore, tmp_path: Path
) -> None:
    db = _copy_store(demo_store, tmp_path)
    first = _start_and_wait_for(demo_store.run_command(db), "link customer started")
    # paused while the second starts: on a busy machine the first could otherwise
    # finish, and free the lock, before the second has even imported
    os.kill(first.pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        second = subprocess.run(
            demo_store.run_command(db),
            capture_output=True,
            text=True,
            env={**os.environ},
            timeout=60,
        )
        refused_in = time.monotonic() - t0
    finally:
        os.kill(first.pid, signal.SIGCONT)
        _, rest = first.communicate(timeout=300)  # drained: a full pipe would stall it
    assert first.returncode == 0, rest[-2000:]
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith("resolver run: error: store ")
    assert f"pid {first.pid} on " in lines[0] and "started 20" in lines[0]
    assert refused_in < 30  # at once: no waiting for the first run
    assert _assert_valid_store(db)["run_id"] == 2  # the first run's, published whole


def test_wait_takes_the_lock_once_the_holder_is_done(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                import sys, time
                from resolver.store import run_lock
                with run_lock.hold({str(db)!r}):
                    print("held", flush=True)
                    time.sleep(1.5)
            """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with (
        pytest.raises(StoreBusy, match=rf"after waiting 0.2s: pid {holder.pid} on "),
        run_lock.hold(db, wait=0.2),
    ):
        pass
    t0 = time.monotonic()
    assert not run_lock.holder_is_gone(db)  # a live holder, seen without taking its lock
    with run_lock.hold(db, wait=30) as me:
        assert me["pid"] == os.getpid()
        assert json.loads(run_lock.lock_path(db).read_text())["pid"] == os.getpid()
    assert time.monotonic() - t0 < 10
    assert holder.wait() == 0


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    dead = subprocess.run([sys.executable, "-c", "pass"])  # a pid that no longer runs
    assert dead.returncode == 0
    run_lock.lock_path(db).write_text(json.dumps({"pid": 999999, "host": "gone"}))
    with run_lock.hold(db) as me:
        assert json.loads(run_lock.lock_path(db).read_text())["pid"] == me["pid"]


def test_a_run_killed_midway_then_a_new_run_succeeds(demo_store: DemoStore, tmp_path: Path) -> None:
    db = _copy_store(demo_store, tmp_path)
    # normalizers run in forked workers: they must not keep the dead run's lock alive
    env_workers = {**os.environ, "RESOLVER_WORKERS": "2"}
    proc = subprocess.Popen(
        demo_store.run_command(db), stderr=subprocess.PIPE, text=True, env=env_workers
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if "crm/customer started" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # before any new run, the reader already tells the dead run from a running one
    assert Journal(journal_path(db)).runs()[0]["status"] == "running"
    con = store.connect(db, read_only=True)
    try:
        assert runs.list_runs(con)[0]["status"] == "failed"
    finally:
        con.close()
    summary = demo_store.run(db)
    latest = _assert_valid_store(db)
    assert latest["run_id"] == summary.run_id
    statuses = [r["status"] for r in Journal(journal_path(db)).runs()]
    assert statuses[:2] == ["complete", "failed"]


def test_a_run_interrupted_with_ctrl_c_is_logged_as_interrupted(
    demo_store: DemoStore, tmp_path: Path
) -> None:
    """Ctrl-C (SIGINT) mid-stage: the command says so and exits 130, the live store keeps
    the last complete run, the run log says `interrupted` (as for a killed run, not a
    Python exception name), and the next run succeeds."""
    db = _copy_store(demo_store, tmp_path)
    proc = _start_and_wait_for(demo_store.run_command(db), "crm/customer started")
    proc.send_signal(signal.SIGINT)
    assert proc.stderr is not None
    rest = proc.stderr.read()
    assert proc.wait() == 130, rest[-2000:]
    assert "resolver run: interrupted" in rest
    latest = Journal(journal_path(db)).runs()[0]
    assert latest["status"] == "failed"
    assert latest["summary"]["error"] == "interrupted"
    _assert_valid_store(db)
    summary = demo_store.run(db)
    assert _assert_valid_store(db)["run_id"] == summary.run_id


def test_a_run_killed_after_the_rename_is_complete_everywhere(
    demo_store: DemoStore, tmp_path: Path
) -> None:
    """Killed between putting its file in place and logging it: the store holds the
    run, so the reader (GET /runs) and the next run's log say complete."""
    db = _copy_store(demo_store, tmp_path)
    script = textwrap.dedent("""
        import os, signal, sys
        from resolver.store.journal import Journal
        end_run = Journal.end_run
        def die_when_complete(self, run_id, status, summary):
            if status == "complete":
                os.kill(os.getpid(), signal.SIGKILL)
            end_run(self, run_id, status, summary)
        Journal.end_run = die_when_complete
        from resolver.cli import main
        sys.exit(main(sys.argv[1:]))
    """)
    cmd = demo_store.run_command(db)
    proc = subprocess.run(
        [sys.executable, "-c", script, *cmd[3:]], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    logged = {r["run_id"]: r["status"] for r in Journal(journal_path(db)).runs()}
    assert logged[2] == "running"  # the log line the kill lost
    con = store.connect(db, read_only=True)
    try:
        assert runs.latest_run(con)["run_id"] == 2
        assert [(r["run_id"], r["status"]) for r in runs.list_runs(con)][:1] == [(2, "complete")]
    finally:
        con.close()
    demo_store.run(db)
    _assert_valid_store(db)
    logged = {r["run_id"]: r["status"] for r in Journal(journal_path(db)).runs()}
    assert logged[2] == "complete" and logged[3] == "complete"


def test_an_unusable_live_store_is_named_not_a_catalog_error(
    demo_store: DemoStore, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    duckdb.connect(str(db)).close()  # a file with no tables, as a clobbered run left it
    with pytest.raises(StoreError, match=r"s.duckdb is unusable: it holds 0 resolver table"):
        demo_store.run(db)
    assert not (tmp_path / "s.duckdb.building").exists()


def test_a_file_without_the_store_tables_is_never_published(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    db.write_bytes(b"the live store")
    con = store.start_building(tmp_path / "other.duckdb")  # a fresh building file
    con.execute("DROP TABLE customers")
    with pytest.raises(StoreError, match=r"refusing to publish .*customers"):
        store.finish_building(con, tmp_path / "other.duckdb")
    assert not (tmp_path / "other.duckdb").exists()
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(StoreError, match="refusing to publish"):
        store.connection.check_publishable(empty)


def test_a_busy_store_names_the_command_that_holds_it(tmp_path: Path) -> None:
    """`resolver ingest` refused by a running `resolver run` says the store is in use by
    another run (the holder), not by "another ingest" (the command that was refused)."""
    db = tmp_path / "s.duckdb"

    def ingest_takes_the_lock() -> None:
        with run_lock.hold(db, command="ingest"):
            pass

    with (
        run_lock.hold(db, command="run"),
        pytest.raises(StoreBusy, match=r"in use by another run: pid \d+") as err,
    ):
        ingest_takes_the_lock()
    assert "another ingest" not in str(err.value)
