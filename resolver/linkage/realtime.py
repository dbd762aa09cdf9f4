"""Score new records against a few others each with Splink's own SQL.

Splink builds its scoring SQL (comparison levels, match weights, term-frequency
adjustments, probability) from the model's settings; building it costs hundreds of
milliseconds a call (``linker.inference.score_pairs``). A :class:`RecordScorer`
asks Splink for that SQL once (``compare_records``, Splink's real-time scoring, on
two tables of the scorer's own names, pairs joined on the request they belong to),
with the rules' vetoes beside it, and has DuckDB plan it once, on a private in-memory
DuckDB: binding and optimizing this SQL costs DuckDB 50-65 ms of CPU, running it a
few milliseconds for a few hundred pairs.

Planned once means the statement reads no table. DuckDB re-plans a prepared statement
that scans any table (or registered Arrow view) on every ``EXECUTE``, as its plan may
hold the tables' statistics; so the two tables are common table expressions over one
parameter, a list of rows (both tables' rows, each marked with its side).

Each row goes in as one string, its fields joined by a separator (``_FIELD``), a null
written as a mark (``_NULL``), a list as its elements joined by another (``_ITEM``)
behind a mark of its own (``_LIST``), and every other value as its text, which the
statement casts back to the column's type (Arrow writes a float as the shortest text
that reads back to the same float). A row of strings costs DuckDB one value; a row
of structs cost it one per field, twice (at 1,000 candidates a call cost 35 ms of CPU
against 24). A row is packed by :func:`pack_rows`, which a caller may do once and
keep (``/match`` packs every resolved record when it writes its index, and hands the
candidates' strings to :meth:`RecordScorer.score_packed`); the call, position and side
of each row are appended per call. A call whose values hold one of those characters
(``\x1c`` to ``\x1f``, which no normalizer writes), or whose lists hold a null or an
empty string, could not be read back the same: it is scored by the same SQL as a
query of its own (:meth:`RecordScorer.score_fresh`). The rows are read once (a
materialized common table expression), not once per table that names them.

Calls that arrive while a query runs wait and are scored together by the next one:
one query per batch of concurrent calls, each call getting its own pairs back.

Term frequencies are read from ``tf_<column>`` columns on both tables (Splink's
"hardcoded" term frequencies): the caller supplies the values of its lookups.

Example::

    scorer = RecordScorer(model.splink, schema, prior=0.0005, veto_sql=rules.veto_sql())
    out = scorer.score(left, right)  # numpy arrays by column, in ``right``'s row order
    out["match_weight"], out["gamma_email"], out["mw_email"], out["veto"]
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from splink import DuckDBAPI
from splink.internals.realtime import compare_records

from resolver.rulefiles import SANDBOX_CONFIG

LEFT, RIGHT = "new_records", "candidates"
REQUEST, POSITION = "rt_request", "rt_position"  # which call a row is of, and its row there
SIDE = "rt_side"  # 0: a row of LEFT, 1: of RIGHT
ROWS = "rt_rows"  # the parameter (and the connection's variable) holding a batch's rows
_INPUT = "rt_input"  # the Arrow table of an empty batch, registered to read its types
_STATEMENT = "rt_score"
# how a row is written as one string (see the module's docstring)
_LIST, _ITEM, _NULL, _FIELD = "\x1c", "\x1d", "\x1e", "\x1f"
_MARKS = "[\x1c-\x1f]"
_MARK_CHARS = frozenset(_LIST + _ITEM + _NULL + _FIELD)
_INT64 = (-(2**63), 2**63)


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
        # pairs are given (joined on the request), not blocked: without the model's
        # blocking rules Splink's SQL reads only the columns it scores with
        settings["blocking_rules_to_generate_predictions"] = []
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
        # the statement: that SQL with its two tables read from the rows parameter
        self._con.register(_INPUT, _sided(empty, 0))
        try:
            types = dict(
                self._con.execute(
                    f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {_INPUT})"
                ).fetchall()
            )
        finally:
            self._con.unregister(_INPUT)
        fields = ", ".join(
            f"{_read_field(f, i + 1, types[f.name])} AS {_quoted(f.name)}"
            for i, f in enumerate(_sided(empty, 0).schema)
        )
        columns = ", ".join(_quoted(name) for name in empty.schema.names)
        # the parameter appears once: DuckDB leaves a statement naming one parameter
        # twice without a plan (its type unresolved) and plans it on every execute
        self._con.execute(
            f"""PREPARE {_STATEMENT} AS
            WITH {ROWS} AS MATERIALIZED (
                SELECT {fields}
                FROM (SELECT string_split(unnest(${ROWS}::VARCHAR[]), chr(31)) AS f)
            ),
                 {LEFT} AS (SELECT {columns} FROM {ROWS} WHERE {SIDE} = 0),
                 {RIGHT} AS (SELECT {columns} FROM {ROWS} WHERE {SIDE} = 1)
            {self.sql}"""
        )
        self._cond = threading.Condition()
        self._pending: list[_Call] = []
        self._busy = False

    def score(self, left: pa.Table, right: pa.Table) -> dict[str, np.ndarray]:
        """Every pair of the one-row ``left`` with each row of ``right``: match weight,
        probability, ``gamma_<comparison>``, ``mw_<comparison>``,
        ``mw_tf_adj_<comparison>`` (term-frequency adjustment, where the model has
        one) and ``veto`` (the first veto met, or None), in ``right``'s order."""
        packed_left, packed_right = pack_rows(left), pack_rows(right)
        if packed_left.null_count or packed_right.null_count:
            # values the packing cannot carry: the SQL planned for them
            return self.score_fresh(left, right)
        return self.score_packed(packed_left.to_pylist(), packed_right.to_pylist())

    def score_packed(self, left: Sequence[str], right: Sequence[str]) -> dict[str, np.ndarray]:
        """:meth:`score` of rows already packed (:func:`pack_rows` of tables of
        :attr:`schema`, none of them null): what a caller that keeps its rows packed
        (``/match``'s candidate index) hands over without building tables."""
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

    def score_fresh(
        self, left: pa.Table, right: pa.Table, *, setting: str | None = None
    ) -> dict[str, np.ndarray]:
        """What :meth:`score` returns, from the same SQL run as a query of its own on the
        two tables, planned for this call alone on a new connection (after ``setting``,
        a SET statement, when given). The reference the kept plan is checked against
        (tests, ``benchmarks/match_scoring.py``), and what each call cost before."""
        left = _numbered(left, [0] * left.num_rows)
        right = _numbered(right, [0] * right.num_rows)
        out = self._query_fresh(left, right, setting=setting)
        out.pop(REQUEST)
        return out

    def _query_fresh(
        self, left: pa.Table, right: pa.Table, *, setting: str | None = None
    ) -> dict[str, np.ndarray]:
        """The SQL on the two (numbered) tables, planned for them on a new connection."""
        con = duckdb.connect(config={"threads": 1})
        try:
            if setting:
                con.execute(setting)
            con.register(LEFT, left)
            con.register(RIGHT, right)
            return con.execute(self.sql).fetchnumpy()
        finally:
            con.close()

    def _run(self, batch: list[_Call]) -> None:
        try:
            # each row's call, its position there and its side follow its packed fields
            rows = []
            for i, call in enumerate(batch):
                rows += [f"{s}{_FIELD}{i}{_FIELD}{p}{_FIELD}0" for p, s in enumerate(call.left)]
                rows += [f"{s}{_FIELD}{i}{_FIELD}{p}{_FIELD}1" for p, s in enumerate(call.right)]
            self._con.execute(f"SET VARIABLE {ROWS} = ?", [rows])
            # the parameter is not named here: DuckDB reads it from the variable of its
            # name, with no copy (passing getvariable() copies the rows twice more)
            out = self._con.execute(f"EXECUTE {_STATEMENT}").fetchnumpy()
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
    def __init__(self, left: Sequence[str], right: Sequence[str]) -> None:
        self.left, self.right = left, right
        self.done = False
        self.out: dict[str, np.ndarray] | None = None
        self.error: BaseException | None = None

    def result(self) -> dict[str, np.ndarray]:
        if self.error is not None:
            raise self.error
        assert self.out is not None
        return self.out


def _sided(table: pa.Table, side: int) -> pa.Table:
    """``table`` with the side its rows are of (see :data:`SIDE`)."""
    return table.append_column(SIDE, pa.array(np.full(table.num_rows, side, dtype=np.int8)))


def _numbered(table: pa.Table, request: list[int]) -> pa.Table:
    """``table`` with the call it belongs to and each row's position in it."""
    table = table.append_column(REQUEST, pa.array(request, pa.int64()))
    return table.append_column(POSITION, pa.array(np.arange(table.num_rows), pa.int64()))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_field(field: pa.Field, position: int, sql_type: str) -> str:
    """SQL reading field ``position`` of a packed row (``f``) back as ``sql_type``."""
    text = f"f[{position}]"
    if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
        _check_packable(field.type.value_type, field.name)
        return (
            f"CASE WHEN {text} = chr(30) THEN NULL WHEN {text} = chr(28) THEN []::{sql_type}"
            f" ELSE string_split({text}[2:], chr(29))::{sql_type} END"
        )
    _check_packable(field.type, field.name)
    if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
        return f"nullif({text}, chr(30))"
    return f"nullif({text}, chr(30))::{sql_type}"


def _check_packable(kind: pa.DataType, name: str) -> None:
    ok = (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_date(kind)
        or pa.types.is_timestamp(kind)
    )
    if not ok:
        raise TypeError(f"column {name!r}: /match cannot score a column of type {kind}")


def pack_row(row: Mapping[str, Any], schema: pa.Schema) -> str | None:
    """One row given as Python values (``schema``'s fields, a missing key a null),
    packed as :func:`pack_rows` packs it, without building a table: what a call's
    single new record costs in Python rather than an Arrow kernel per column. Only
    text, integers, floats and nulls are packed here; None for any other value (a
    date, a bool) or a text holding a mark: the caller then packs a table. A list of
    texts in a column of lists of text is packed too, unless an item is empty, null or
    not a text (those read back differently, see the module's docstring)."""
    parts = []
    for field in schema:
        value = row.get(field.name)
        kind = field.type
        if value is None:
            parts.append(_NULL)
        elif isinstance(value, str) and (
            pa.types.is_string(kind) or pa.types.is_large_string(kind)
        ):
            if _MARK_CHARS.intersection(value):
                return None
            parts.append(value)
        elif isinstance(value, list | tuple) and _is_text_list(kind):
            if not all(isinstance(item, str) and item for item in value):
                return None
            if any(_MARK_CHARS.intersection(item) for item in value):
                return None
            parts.append(_LIST + _ITEM.join(value))
        elif isinstance(value, bool):
            return None
        elif isinstance(value, int) and pa.types.is_int64(kind) and _INT64[0] <= value < _INT64[1]:
            parts.append(str(value))
        elif isinstance(value, float | int) and pa.types.is_float64(kind):
            parts.append(_float_text(float(value)))
        else:
            return None
    return _FIELD.join(parts)


def _float_text(value: float) -> str:
    """The shortest text DuckDB reads back as the same float, a NaN's sign included."""
    if math.isnan(value) and math.copysign(1.0, value) < 0:
        return "-nan"
    return repr(value)


def _is_text_list(kind: pa.DataType) -> bool:
    return (pa.types.is_list(kind) or pa.types.is_large_list(kind)) and (
        pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type)
    )


def pack_rows(table: pa.Table) -> pa.StringArray:
    """Each row of ``table`` as one string (see the module's docstring), or null for a
    row holding a value that would not read back the same."""
    n = table.num_rows
    parts, bad = [], pa.array(np.zeros(n, dtype=bool))
    for field, column in zip(table.schema, table.columns, strict=True):
        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        kind = field.type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            column = pc.cast(column, pa.list_(pa.string()))
            items = pc.list_flatten(column)
            odd = pc.or_(
                pc.is_null(items),
                pc.or_(pc.equal(pc.utf8_length(items), 0), pc.match_substring_regex(items, _MARKS)),
            ).fill_null(True)
            if pc.any(odd).as_py():
                rows = pc.filter(pc.list_parent_indices(column), odd)
                bad = pc.or_(
                    bad, pc.is_in(pa.array(np.arange(n)), value_set=pc.cast(rows, pa.int64()))
                )
            joined = pc.binary_join(column, _ITEM)
            parts.append(pc.binary_join_element_wise(_LIST, joined, ""))
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            bad = pc.or_(bad, pc.match_substring_regex(column, _MARKS).fill_null(False))
            parts.append(column.cast(pa.string()))  # one kernel joins one kind of text
        elif pa.types.is_floating(kind):
            text = pc.cast(column, pa.string())
            # Arrow writes a NaN with its sign bit set as "nan", which reads back without it
            numbers = column.to_numpy(zero_copy_only=False)
            negative_nan = np.isnan(numbers) & np.signbit(numbers)
            negative_nan &= column.is_valid().to_numpy(zero_copy_only=False)
            if negative_nan.any():
                text = pc.if_else(pa.array(negative_nan), pa.scalar("-nan"), text)
            parts.append(text)
        else:
            parts.append(pc.cast(column, pa.string()))
    packed = pc.binary_join_element_wise(
        *parts, _FIELD, null_handling="replace", null_replacement=_NULL
    )
    return pc.if_else(bad, pa.scalar(None, pa.string()), packed)
