"""``ReviewView``: what reviewers read of one published run.

One per store file (a run replaces the file whole, so nothing in it changes until
the next run): the proposals index, the records reviewers see beside each member,
and the golden records, as Arrow tables (:func:`view_sources`). A server maps them
from the files written beside the store at publish (:mod:`resolver.review.view_file`),
so its worker processes share one copy through the page cache; built from a
connection, they are read into memory. Decisions are the one live part: they come
from the journal through a :class:`DecisionLog` shared by every view of that
journal, and :meth:`ReviewView.sync` brings the proposals' status up to date.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from resolver.ingest.canonical import CUSTOMER_FIELDS, INVOICE_FIELDS, OBJECTS, TABLES
from resolver.review.decision_log import DecisionLog, InForce
from resolver.review.keyed_rows import KeyedRows
from resolver.review.proposal_index import ProposalIndex, evidence_reader, proposal_table
from resolver.store import decisions as store_decisions
from resolver.store import sorted_reader, table_columns, table_exists
from resolver.store.content_hash import PREFIX as CONTENT_PREFIX
from resolver.store.content_hash import same_data
from resolver.store.schema import canonical_columns

# Record fields shown to reviewers beside each member: the canonical values, and
# for customers the cleaned values the model compared.
SHOWN = {
    "customer": [
        *canonical_columns(CUSTOMER_FIELDS),
        "full_name_norm",
        "company_norm",
        "email_norm",
        "phone_e164",
        "address_line",
    ],
    "invoice": [*canonical_columns(INVOICE_FIELDS), "invoice_number_norm"],
}
MEMBER_COLUMNS = ["record_key", "system", "source_id", "row_hash", "content_hash"]
HASH_COLUMNS = ("row_hash", "content_hash")  # what a decision journals, not what it shows

_logs: dict[Path, DecisionLog] = {}
_logs_lock = threading.Lock()


def decision_log(con: duckdb.DuckDBPyConnection) -> DecisionLog:
    """The one decision log of the journal beside this store (shared by its views)."""
    journal = store_decisions.journal_of(con)
    with _logs_lock:
        log = _logs.get(journal.path)
        if log is None or log.journal is not journal:
            log = _logs[journal.path] = DecisionLog(journal)
    return log


Source = Callable[[], pa.RecordBatchReader]


def view_sources(con: duckdb.DuckDBPyConnection) -> dict[str, Source]:
    """The tables of the view of the run ``con`` has open, by name, each sorted by
    its key: ``proposals`` (:func:`proposal_table`), ``evidence`` (in the same order),
    ``<object>_records`` (the columns reviewers see, by record key) and
    ``<object>_golden`` (by entity id). Each is a function streaming it (to be
    read one at a time), so a writer never holds one whole."""
    objects = [o for o in OBJECTS if table_exists(con, f"{o}_proposals")]
    out: dict[str, Source] = {}
    if objects:
        out["proposals"] = lambda: proposal_table(con, objects).to_reader()
        out["evidence"] = lambda: evidence_reader(con, objects)
    for o in OBJECTS:
        table = TABLES[o]
        if table_exists(con, table):
            cols = list(dict.fromkeys(["record_key", *_member_columns(con, table), *SHOWN[o]]))
            out[f"{o}_records"] = functools.partial(sorted_reader, con, table, "record_key", cols)
        if table_exists(con, f"{o}_golden"):
            out[f"{o}_golden"] = functools.partial(sorted_reader, con, f"{o}_golden", "entity_id")
    return out


class ReviewView:
    """Proposals, member records and golden records of the run ``con`` has open:
    ``tables`` (as :func:`view_sources` names them) when given, typically mapped
    from the files written at publish; else read from ``con`` now."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, tables: Mapping[str, pa.Table] | None = None
    ) -> None:
        self.mapped = tables is not None
        if tables is None:  # read now: the view keeps no hold on the connection or its file
            tables = {name: src().read_all() for name, src in view_sources(con).items()}
        self.tables = dict(tables)
        self.proposals = ProposalIndex(tables.get("proposals"), tables.get("evidence"))
        self.records = {
            o: KeyedRows(tables[f"{o}_records"], "record_key")
            for o in OBJECTS
            if f"{o}_records" in tables
        }
        self.golden = {
            o: KeyedRows(tables[f"{o}_golden"], "entity_id")
            for o in OBJECTS
            if f"{o}_golden" in tables
        }
        self.log = decision_log(con)
        self._applied = (-1, 0)  # (log epoch, last decision id) the statuses reflect
        self._lock = threading.Lock()
        self.sync()

    def sync(self) -> None:
        """Bring proposal statuses up to date with the journal (any process's writes)."""
        top = self.log.refresh()
        if (self.log.epoch, top) == self._applied:
            return
        with self._lock:
            epoch, applied = self._applied
            top = max(top, self.log.last_id)  # what the log holds now, never older
            if epoch == self.log.epoch and applied >= top:
                return  # another thread got here first
            if epoch != self.log.epoch:  # first sync, or the log started over
                self.proposals.status[:] = 0
                changed: Any = self.log.decided()
            else:
                changed = self.log.changed(applied, top)
            self.proposals.apply_decisions(self.log, changed, self._legacy_holds)
            self._applied = (self.log.epoch, top)

    def _legacy_holds(self, i: int, d: InForce) -> bool:
        """Whether a decision journaled with row hashes (before content hashes) still
        holds: the same members, each with the data it had then (``same_data``, the
        batch's rule). A decision on content hashes was judged by ``members_key``."""
        if not d.hashes or any(h.startswith(CONTENT_PREFIX) for h in d.hashes.values()):
            return False
        keys = self.proposals.keys_of(i)
        if sorted(keys) != sorted(d.hashes):
            return False
        obj = OBJECTS[int(self.proposals.object[i])]
        members = self.members(obj, keys)
        return len(members) == len(keys) and all(
            same_data(d.hashes[m["record_key"]], m.get("content_hash"), m.get("row_hash"))
            for m in members
        )

    def evidence(self, proposal_id: str) -> str | None:
        """A proposal's evidence JSON."""
        i = self.proposals.pos.get(proposal_id)
        return None if i is None else self.proposals.evidence(i)

    def members(self, obj: str, keys: list[str]) -> list[dict[str, Any]]:
        rows = self.records.get(obj)
        return rows.many(keys) if rows is not None else []

    def golden_record(self, obj: str, entity_id: str) -> dict[str, Any]:
        rows = self.golden.get(obj)
        row = rows.get(entity_id) if rows is not None else None
        return golden_fields(row) if row else {}


def _member_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """MEMBER_COLUMNS the table has (a store written before content hashes lacks one)."""
    have = set(table_columns(con, table))
    return [c for c in MEMBER_COLUMNS if c in have]


def golden_fields(g: dict[str, Any]) -> dict[str, Any]:
    """{field: {value, source}} of one golden row."""
    return {
        k: {"value": str(v) if hasattr(v, "isoformat") else v, "source": g.get(f"{k}_source")}
        for k, v in g.items()
        if not k.endswith("_source") and k not in ("entity_id", "member_count", "systems")
    }
