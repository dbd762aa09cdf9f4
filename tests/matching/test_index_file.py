"""The matcher's candidate index as memory-mapped files (resolver.matching.index_file):
built once per published store file and model, mapped by every later matcher, and
answering exactly as a private copy does."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from resolver import store
from resolver.demo.fixtures import DemoStore
from resolver.matching import Matcher
from resolver.matching.index_file import TermFrequencies, take_rows
from resolver.review.view_file import view_key, view_root


def _matcher(db: Path) -> Matcher:
    con = store.connect(db, read_only=True)
    try:
        return Matcher.from_store(con, rules_dir="rules", models_dir="models")
    finally:
        con.close()


def _copy(demo: DemoStore, dest: Path, *, view: bool) -> Path:
    dest.mkdir(parents=True)
    db = dest / "resolver.duckdb"
    shutil.copyfile(demo.db, db)
    if view:
        shutil.copytree(view_root(demo.db), view_root(db))
        for old in view_root(db).glob("*/match-*"):  # built by other tests: build afresh
            shutil.rmtree(old)
    return db


def _mapped_files(folder: Path) -> set[str]:
    out = set()
    for line in Path("/proc/self/maps").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[5].startswith(str(folder)):
            out.add(parts[5])
    return out


def _answers(m: Matcher, db: Path) -> list:
    con = store.connect(db, read_only=True)
    try:
        rows = con.execute(
            "SELECT first_name, last_name, email, phone, street, city, postal_code "
            "FROM customers ORDER BY record_key LIMIT 40"
        ).fetchall()
    finally:
        con.close()
    names = ["first_name", "last_name", "email", "phone", "street", "city", "postal_code"]
    out = []
    for row in rows:
        record = {k: v for k, v in zip(names, row, strict=True) if v is not None}
        res = m.match("customer", record, top=10)
        out.append(
            (
                res.candidates_considered,
                [(c.record_key, c.entity_id, c.match_weight, c.veto) for c in res.candidates],
            )
        )
    return out


def test_a_second_matcher_maps_the_files_the_first_built(demo_store, tmp_path) -> None:
    """The first matcher of a store file writes its index beside the file's review
    view; a second one (another worker) maps those same files, building nothing, and
    answers exactly as the first, and as a store without a view folder (the index
    built privately) does."""
    db = _copy(demo_store, tmp_path / "shared", view=True)
    con = store.connect(db, read_only=True)
    try:
        folder = view_root(db) / str(view_key(con))
    finally:
        con.close()
    first = _matcher(db)
    built = sorted(folder.glob("match-*/*.arrow"))
    assert {p.parent.name.split("-")[1] for p in built} == {"customer", "invoice"}
    stamps = {p: p.stat().st_mtime_ns for p in built}
    second = _matcher(db)
    assert {p: p.stat().st_mtime_ns for p in sorted(folder.glob("match-*/*.arrow"))} == stamps
    assert {str(p) for p in built} <= _mapped_files(folder)
    private = _matcher(_copy(demo_store, tmp_path / "private", view=False))
    ours = _answers(first, db)
    assert any(cands for _, cands in ours)
    assert _answers(second, db) == ours
    assert _answers(private, db) == ours
    assert not list(Path(tmp_path).glob("private/*.review"))  # nothing written beside it


def test_take_rows_reads_the_rows_of_a_mapped_table_of_many_batches(tmp_path) -> None:
    n = 1000
    table = pa.table({"k": [f"key-{i:04d}" for i in range(n)], "v": np.arange(n) * 2.5})
    path = tmp_path / "t.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
        for batch in table.to_batches(max_chunksize=97):
            out.write_batch(batch)
    mapped = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    assert mapped.column("k").num_chunks > 5
    rng = np.random.default_rng(2)
    for rows in (
        np.sort(rng.choice(n, 50, replace=False)),
        rng.choice(n, 80),  # any order, repeats
        np.array([], dtype=np.int64),
        np.array([n - 1, 0]),
    ):
        assert take_rows(mapped, rows).equals(table.take(pa.array(rows, type=pa.int64())))
    with pytest.raises(IndexError):
        take_rows(mapped, np.array([n]))


def test_term_frequencies_find_every_value_by_binary_search() -> None:
    values = ["smith", "Smith", "Ødegaard", "o'brien", "zoë", "", "ngô", "a b"]
    tf = {v: (i + 1) / 100 for i, v in enumerate(values)}
    table = pa.table({"value": values, "tf": list(tf.values())})
    order = pa.compute.sort_indices(table, [("value", "ascending")])
    table = table.take(order)
    lookup = TermFrequencies(table.column("value"), table.column("tf").to_numpy())
    assert {v: lookup.get(v) for v in values} == tf
    assert dict(lookup) == tf and len(lookup) == len(tf)
    assert lookup.get("jones") is None and lookup.get(None) is None
    assert lookup.get(7) is None  # another type than the column's: not held
    with pytest.raises(KeyError):
        lookup["jones"]
