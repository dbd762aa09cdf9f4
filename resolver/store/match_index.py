"""Reads behind ``POST /match``'s candidate index: the model's columns of every
resolved record, one row per record in record-key order, with each blocking rule's
key beside them (:func:`block_key_sql`), and the share of records holding each value
of a column (:mod:`resolver.matching.index_file` writes them to files).

A blocking key is the low 64 bits of the MD5 of the key's values as text, joined by
``\x1f``: DuckDB computes it over a million records at index time
(:func:`block_key_sql`) and Python for one record per call (:func:`block_key`), with
no query (DuckDB's own ``hash()`` has no Python form; a query for it cost a call
about 2 ms)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import duckdb
import pyarrow as pa

from resolver.ingest.canonical import TABLES

ROWS_PER_BATCH = 131_072  # what a reader holds at once
KEY_SEPARATOR = "\x1f"


def block_key_sql(exprs: Sequence[str]) -> str:
    """SQL for the blocking key of the values of ``exprs`` (null where one is null)."""
    texts = ", ".join(f"({e})::VARCHAR" for e in exprs)
    return (
        f"CASE WHEN {' AND '.join(f'({e}) IS NOT NULL' for e in exprs)} "
        f"THEN md5_number_lower(concat_ws(chr(31), {texts})) END"
    )


def block_key(texts: Sequence[str]) -> int:
    """The blocking key of values given as their text (as DuckDB casts them to
    VARCHAR): what :func:`block_key_sql` computes, in Python."""
    digest = hashlib.md5(KEY_SEPARATOR.join(texts).encode("utf-8")).digest()
    return int.from_bytes(digest[8:], "little")


def column_types(con: duckdb.DuckDBPyConnection, obj: str) -> dict[str, str]:
    """Each column of ``obj``'s records table and its DuckDB type."""
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE {TABLES[obj]}").fetchall()}


def value_shares(con: duckdb.DuckDBPyConnection, obj: str, col: str) -> pa.Table:
    """Each non-null value of ``col`` over every loaded record of ``obj`` and the share
    of the records holding a value that hold it (``value``, ``tf``)."""
    table = TABLES[obj]
    return con.execute(
        f"SELECT {col} AS value, count(*)::DOUBLE / (SELECT count({col}) FROM {table}) AS tf "
        f"FROM {table} WHERE {col} IS NOT NULL GROUP BY {col}"
    ).to_arrow_table()


def resolved_records(
    con: duckdb.DuckDBPyConnection,
    obj: str,
    columns: Sequence[str],
    blocking: Sequence[Sequence[str]],
    lookups: Mapping[str, pa.Table],
) -> pa.RecordBatchReader:
    """Every resolved record of ``obj`` (in ``<obj>_members``), in record-key order:
    ``record_key``, ``source_id``, ``entity_id``, ``columns``, ``tf_<col>`` for each
    lookup (a table of ``value``, ``tf``: its value's term frequency, or null) and
    ``_block_<i>``: the key (:func:`block_key_sql`) of blocking rule ``i``'s columns,
    null where one of them is. An invoice's ``customer_entity_id`` is its customer's entity.
    Registers the lookups on ``con``: pass a cursor of its own, open while reading."""
    table = TABLES[obj]
    join = ""
    if obj == "invoice":
        join = (
            "LEFT JOIN customers c ON c.system = r.system AND c.source_id = r.customer_ref "
            "LEFT JOIN customer_members cm ON cm.record_key = c.record_key"
        )
    inner = ", ".join(
        "cm.entity_id AS customer_entity_id" if c == "customer_entity_id" else f"r.{c}"
        for c in columns
    )
    hashes = "".join(
        f", {block_key_sql([f'x.{c}' for c in cols])} AS _block_{i}"
        for i, cols in enumerate(blocking)
    )
    tf_cols = "".join(f", t{i}.tf AS tf_{c}" for i, c in enumerate(lookups))
    tf_joins = " ".join(
        f"LEFT JOIN _tf_{i} t{i} ON t{i}.value = x.{c}" for i, c in enumerate(lookups)
    )
    for i, lookup in enumerate(lookups.values()):
        con.register(f"_tf_{i}", lookup)
    return con.sql(
        f"""
        SELECT x.record_key, x.source_id, x.entity_id,
               {", ".join(f"x.{c}" for c in columns)}{tf_cols}{hashes}
        FROM (
            SELECT r.record_key, r.source_id, m.entity_id, {inner}
            FROM {table} r JOIN {obj}_members m USING (record_key) {join}
        ) x {tf_joins}
        ORDER BY x.record_key
        """
    ).to_arrow_reader(ROWS_PER_BATCH)
