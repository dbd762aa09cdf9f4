"""Score new records against a few others each with Splink's own SQL.

Splink builds its scoring SQL (comparison levels, match weights, term-frequency
adjustments, probability) from the model's settings; building it costs hundreds of
milliseconds a call (``linker.inference.score_pairs``). A :class:`RecordScorer`
asks Splink for that SQL once (``compare_records``, Splink's real-time scoring, on
two tables of the scorer's own names, pairs joined on the request they belong to)
and runs it per call on the small Arrow tables it is handed, registered on a cursor
of a private in-memory DuckDB, with the rules' vetoes beside it.

DuckDB spends most of such a query planning it (~20 ms of CPU for a customer model,
however few the pairs), so calls that arrive while a query runs wait and are scored
together by the next one: one query per batch of concurrent calls, each call getting
its own pairs back.

Term frequencies are read from ``tf_<column>`` columns on both tables (Splink's
"hardcoded" term frequencies): the caller supplies the values of its lookups.

Example::

    scorer = RecordScorer(model.splink, schema, prior=0.0005, veto_sql=rules.veto_sql())
    out = scorer.score(left, right)  # numpy arrays by column, in ``right``'s row order
    out["match_weight"], out["gamma_email"], out["mw_email"], out["veto"]
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from splink import DuckDBAPI
from splink.internals.realtime import compare_records

from resolver.rulefiles import SANDBOX_CONFIG

LEFT, RIGHT = "new_records", "candidates"
REQUEST, POSITION = "rt_request", "rt_position"  # which call a row is of, and its row there


class RecordScorer:
    """Splink's scoring SQL for one model, run on small tables; thread-safe.

    ``schema``: the columns of both tables (the model's input columns, its unique id
    and ``tf_<column>`` for each term-frequency column). ``prior`` replaces the
    model's probability that two random records match.
    """

    def __init__(
        self,
        splink_settings: Mapping[str, Any],
        schema: pa.Schema,
        *,
        prior: float,
        veto_sql: str | None = None,
    ) -> None:
        self.schema = schema
        settings = dict(splink_settings)
        settings["probability_two_random_records_match"] = prior
        retain = list(settings.get("additional_columns_to_retain") or [])
        settings["additional_columns_to_retain"] = [*retain, REQUEST, POSITION]
        # one thread: a query over a few hundred rows gains nothing from more, and pays
        # for starting them
        self._con = duckdb.connect(config={**SANDBOX_CONFIG, "threads": 1})
        empty = _numbered(schema.empty_table(), [])
        self._con.register(LEFT, empty)
        self._con.register(RIGHT, empty)
        predictions = compare_records(
            LEFT,
            RIGHT,
            settings,
            DuckDBAPI(connection=self._con),
            join_condition=f"l.{REQUEST} = r.{REQUEST}",
        )
        splink_sql = predictions.sql_used_to_create
        names = [c.unquote().name for c in predictions.columns]
        predictions.drop_table_from_database_and_remove_from_cache()
        self._con.unregister(LEFT)
        self._con.unregister(RIGHT)
        wanted = ["match_weight", "match_probability"]
        wanted += [n for n in names if n.startswith(("gamma_", "mw_"))]
        self.sql = f"""
            SELECT p.{REQUEST}_r AS {REQUEST}, {", ".join(f"p.{c}" for c in wanted)},
                   {veto_sql or "NULL"} AS veto
            FROM ({splink_sql}) p
            JOIN {LEFT} l ON l.{REQUEST} = p.{REQUEST}_l
            JOIN {RIGHT} r ON r.{REQUEST} = p.{REQUEST}_r AND r.{POSITION} = p.{POSITION}_r
            ORDER BY p.{REQUEST}_r, p.{POSITION}_r
        """
        self._cond = threading.Condition()
        self._pending: list[_Call] = []
        self._busy = False

    def score(self, left: pa.Table, right: pa.Table) -> dict[str, np.ndarray]:
        """Every pair of the one-row ``left`` with each row of ``right``: match weight,
        probability, ``gamma_<comparison>``, ``mw_<comparison>``,
        ``mw_tf_adj_<comparison>`` (term-frequency adjustment, where the model has
        one) and ``veto`` (the first veto met, or None), in ``right``'s order."""
        call = _Call(left, right)
        with self._cond:
            self._pending.append(call)
            while not call.done:
                if not self._busy:  # no query running: this thread runs the next one
                    self._busy = True
                    batch, self._pending = self._pending, []
                    break
                self._cond.wait()
            else:
                return call.result()
        try:
            self._run(batch)
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()
        return call.result()

    def _run(self, batch: list[_Call]) -> None:
        try:
            left = pa.concat_tables(
                [_numbered(c.left, [i] * c.left.num_rows) for i, c in enumerate(batch)]
            )
            right = pa.concat_tables(
                [_numbered(c.right, [i] * c.right.num_rows) for i, c in enumerate(batch)]
            )
            cur = self._con.cursor()
            try:
                cur.register(LEFT, left)
                cur.register(RIGHT, right)
                out = cur.execute(self.sql).fetchnumpy()
            finally:
                cur.close()
            request = np.asarray(out.pop(REQUEST))
            bounds = np.searchsorted(request, np.arange(len(batch) + 1))
            for i, call in enumerate(batch):
                lo, hi = bounds[i], bounds[i + 1]
                call.out = {k: v[lo:hi] for k, v in out.items()}
        except BaseException as exc:  # every call of the batch hears why
            for call in batch:
                call.error = exc
        finally:
            for call in batch:
                call.done = True


class _Call:
    def __init__(self, left: pa.Table, right: pa.Table) -> None:
        self.left, self.right = left, right
        self.done = False
        self.out: dict[str, np.ndarray] | None = None
        self.error: BaseException | None = None

    def result(self) -> dict[str, np.ndarray]:
        if self.error is not None:
            raise self.error
        assert self.out is not None
        return self.out


def _numbered(table: pa.Table, request: list[int]) -> pa.Table:
    """``table`` with the call it belongs to and each row's position in it."""
    table = table.append_column(REQUEST, pa.array(request, pa.int64()))
    return table.append_column(POSITION, pa.array(np.arange(table.num_rows), pa.int64()))
