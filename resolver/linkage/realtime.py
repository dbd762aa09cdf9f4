"""Score one new record against a few others with Splink's own SQL.

Splink builds its scoring SQL (comparison levels, match weights, term-frequency
adjustments, probability) from the model's settings; building it costs hundreds of
milliseconds a call (``linker.inference.score_pairs``). A :class:`RecordScorer`
asks Splink for that SQL once, through ``score_pairs`` on two empty tables of the
scorer's own names, and runs it per call on the two small tables it is handed
(Arrow, registered on a cursor of a private in-memory DuckDB), with the rules'
vetoes beside it.

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
from splink import DuckDBAPI, Linker

from resolver.rulefiles import SANDBOX_CONFIG

LEFT, RIGHT = "_new_record", "_candidates"
POSITION = "_pos"  # the right table's row order, carried through the scoring


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
        # one thread: a query over a few dozen rows gains nothing from more, and pays
        # for starting them
        self._con = duckdb.connect(config={**SANDBOX_CONFIG, "threads": 1})
        self._lock = threading.Lock()
        empty = schema.empty_table()
        self._con.register(LEFT, empty)
        self._con.register(RIGHT, empty.append_column(POSITION, pa.array([], pa.int64())))
        db_api = DuckDBAPI(connection=self._con)
        left = db_api.table_to_splink_dataframe(LEFT, LEFT)
        right = db_api.table_to_splink_dataframe(RIGHT, RIGHT)
        linker = Linker(right, settings)
        predictions = linker.inference.score_pairs(left, right)
        splink_sql = predictions.sql_used_to_create
        columns = predictions.columns
        predictions.drop_table_from_database_and_remove_from_cache()
        names = [c.unquote().name for c in columns]
        wanted = ["match_weight", "match_probability"]
        wanted += [n for n in names if n.startswith(("gamma_", "mw_"))]
        self.columns = wanted
        self.sql = f"""
            SELECT r.{POSITION}, {", ".join(f"p.{c}" for c in wanted)},
                   {veto_sql or "NULL"} AS veto
            FROM ({splink_sql}) p
            JOIN {RIGHT} r ON r.{_unique_id(settings)} = p.{_unique_id(settings)}_r
            CROSS JOIN {LEFT} l
            ORDER BY r.{POSITION}
        """

    def score(self, left: pa.Table, right: pa.Table) -> dict[str, np.ndarray]:
        """Every pair of the one-row ``left`` with each row of ``right``: match weight,
        probability, ``gamma_<comparison>``, ``mw_<comparison>``,
        ``mw_tf_adj_<comparison>`` (term-frequency adjustment, where the model has
        one) and ``veto`` (the first veto met, or None), in ``right``'s order."""
        right = right.append_column(POSITION, pa.array(np.arange(right.num_rows, dtype=np.int64)))
        with self._lock:
            cur = self._con.cursor()
        try:
            cur.register(LEFT, left)
            cur.register(RIGHT, right)
            return cur.execute(self.sql).fetchnumpy()
        finally:
            cur.close()


def _unique_id(settings: Mapping[str, Any]) -> str:
    return str(settings.get("unique_id_column_name", "unique_id"))
