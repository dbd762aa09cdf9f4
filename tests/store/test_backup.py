"""`resolver backup`: the store and its journal copied whole, recent decisions included."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import duckdb

from resolver import cli, store
from resolver.review import decide, get_proposal, list_proposals
from resolver.store.backup import Backup
from resolver.store.journal import Journal, journal_path


def _decide(journal: Journal, n: int) -> None:
    for i in range(n):
        journal.append_decision(
            {
                "object": "customer",
                "action": "reject",
                "record_keys": [f"crm:{i}", f"billing:{i}"],
                "proposal_id": f"p{i}",
                "reviewer": "ana",
            }
        )


def _decisions(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT count(*) FROM decisions").fetchone()[0]
    finally:
        db.close()


def _tables(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in names}
    finally:
        con.close()


def test_a_backup_keeps_decisions_still_in_the_wal(workdir, tmp_path: Path, capsys) -> None:
    db, _ = workdir
    journal = Journal(journal_path(db))
    before = len(journal.decision_rows())  # keeps this thread's reader open: no checkpoint
    _decide(journal, 5)
    wal = Path(str(journal.path) + "-wal")
    assert wal.exists() and wal.stat().st_size > 0

    # the hazard: a plain copy of the journal file without its WAL loses them
    naive = tmp_path / "naive.journal.sqlite"
    shutil.copy(journal.path, naive)
    assert _decisions(naive) < before + 5

    out = tmp_path / "backup"
    assert cli.main(["backup", "--db", str(db), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    copy = out / journal.path.name
    assert not Path(str(copy) + "-wal").exists()  # one self-contained file
    assert _decisions(copy) == before + 5
    assert f"{before + 5:,} decisions" in printed
    assert "0 runs logged" in printed
    assert _tables(out / db.name) == _tables(db)


def test_a_backup_counts_in_words_that_agree() -> None:
    one = Backup(Path("s.duckdb"), 1, Path("s.journal.sqlite"), 1, decisions=1, runs=1)
    assert "(1 B; 1 decision, 1 run logged)" in one.format()
    many = Backup(Path("s.duckdb"), 1, Path("s.journal.sqlite"), 1, decisions=1200, runs=0)
    assert "1,200 decisions, 0 runs logged" in many.format()


def test_a_backup_never_overwrites(workdir, tmp_path: Path, capsys) -> None:
    db, _ = workdir
    out = tmp_path / "backup"
    assert cli.main(["backup", "--db", str(db), "--out", str(out)]) == 0
    first = (out / db.name).read_bytes()
    assert cli.main(["backup", "--db", str(db), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "exists" in err and db.name in err
    assert (out / db.name).read_bytes() == first
    assert cli.main(["backup", "--db", str(db), "--out", str(db.parent)]) == 2
    assert cli.main(["backup", "--db", str(tmp_path / "none.duckdb"), "--out", str(out)]) == 2
    assert "no store file" in capsys.readouterr().err


def test_a_restored_backup_shows_every_decision(workdir, tmp_path: Path) -> None:
    """Restore by copying the two files back: a reviewer's rejection is there."""
    db, _ = workdir
    con = store.connect(db, read_only=True)
    try:
        pid = list_proposals(con, object="customer", limit=1).items[0]["proposal_id"]
    finally:
        con.close()
    con = store.connect(db)
    try:
        version = get_proposal(con, pid)["version"]
        decide(con, pid, action="reject", version=version, reviewer="ana", reason="r")
    finally:
        con.close()
    out = tmp_path / "backup"
    assert cli.main(["backup", "--db", str(db), "--out", str(out)]) == 0
    restored = tmp_path / "restored" / db.name
    restored.parent.mkdir()
    shutil.copy(out / db.name, restored)
    shutil.copy(out / journal_path(db).name, journal_path(restored))
    con = store.connect(restored, read_only=True)
    try:
        assert get_proposal(con, pid)["status"] == "rejected"
    finally:
        con.close()
