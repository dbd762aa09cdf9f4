"""A full disk ends a run with one line and leaves the last good store as it was.

The failure is injected at the store's write boundary, in process: the run's
``publish`` (or the load of a source into the building file) raises what the OS or
DuckDB raises when the disk fills up. Everything else is the real CLI on a real store.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import duckdb
import pytest

from resolver import cli
from resolver.demo.fixtures import DemoStore
from resolver.errors import DiskFull
from resolver.store import records as store_records
from resolver.store import stages as store_stages
from resolver.store.disk_full import disk_full, is_disk_full
from resolver.store.journal import Journal, journal_path


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _duckdb_full(*args, **kwargs):
    raise duckdb.IOException(
        'IO Error: Could not write file "s.duckdb.building": No space left on device'
    )


@pytest.mark.parametrize(
    ("module", "name", "fail"),
    [(store_stages, "publish", _enospc), (store_records, "insert_rows", _duckdb_full)],
    ids=["publish-ENOSPC", "load-duckdb-IOError"],
)
def test_a_run_that_fills_the_disk_ends_in_one_line_and_keeps_the_store(
    workdir: tuple[Path, Path],
    demo_store: DemoStore,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    module,
    name: str,
    fail,
) -> None:
    db, world = workdir
    before = db.read_bytes()
    monkeypatch.setattr(module, name, fail)
    argv = demo_store.run_command(db)[3:]  # after "python -m resolver"
    argv[argv.index("--data") + 1] = str(world)
    rc = cli.main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err[-1].startswith(f"resolver run: error: the disk is full writing {db}.building (")
    assert "No space left on device" in err[-1]
    assert err[-1].endswith("free space and try again")
    assert not any("Traceback" in line for line in err)
    assert db.read_bytes() == before  # the last good store, byte for byte
    assert not Path(f"{db}.building").exists()  # the half-built file is gone: space is back
    runs = Journal(journal_path(db)).runs()
    assert runs[0]["status"] == "failed"  # the journal logs the failed run
    assert "No space left on device" in runs[0]["summary"]["error"]
    # with space back, the next run publishes
    monkeypatch.undo()
    assert demo_store.run(db, world).run_id > runs[0]["run_id"]


def test_every_form_of_a_full_disk_is_recognised() -> None:
    sqlite_full = sqlite3.connect(":memory:")
    sqlite_full.execute("CREATE TABLE t (x TEXT)")
    sqlite_full.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as real:
        sqlite_full.executemany("INSERT INTO t VALUES (?)", [("x" * 4000,)] * 10)
    assert is_disk_full(real.value)  # SQLite's own SQLITE_FULL
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert is_disk_full(duckdb.IOException("Could not write: No space left on device"))
    try:  # a full disk hidden behind a later error (a ROLLBACK that fails in turn)
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise sqlite3.OperationalError("cannot rollback - no transaction is active")  # noqa: B904
    except sqlite3.OperationalError as later:
        assert is_disk_full(later)
        assert "No space left on device" in str(disk_full(later, writing="x"))
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_disk_full(ValueError("No space left on device"))
    assert isinstance(disk_full(OSError(errno.ENOSPC, "full"), writing="x"), DiskFull)
