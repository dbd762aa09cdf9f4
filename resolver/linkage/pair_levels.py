"""A model's comparison levels and the rules' vetoes, evaluated in Python for one
record against a few others: what ``POST /match`` needs, without a DuckDB query.

The output has the shape of the DuckDB scoring query's (``gamma_<comparison>``
arrays, ``veto`` names, ``tf_<col>_l`` / ``tf_<col>_r``), so the weights and the
evidence are computed by the same code either way; the matcher's tests check
that the two agree pair for pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from resolver.linkage.sql_eval import Expr, compile_condition, holds, to_date, to_int, to_text


class PairLevels:
    """Compiled levels of every comparison (in CASE order) and the vetoes.

    Raises :class:`~resolver.linkage.sql_eval.Unsupported` when any condition uses
    SQL this evaluator does not implement (callers then keep DuckDB).
    """

    def __init__(
        self,
        comparisons: Sequence[tuple[str, Sequence[tuple[int, str]]]],
        vetoes: Mapping[str, str],
        columns: Sequence[str],
        types: Mapping[str, str],
    ) -> None:
        self.comparisons: list[tuple[str, list[tuple[int, Expr | None]]]] = []
        for name, levels in comparisons:
            compiled = [
                (gamma, None if sql.strip().upper() == "ELSE" else compile_condition(sql))
                for gamma, sql in levels
            ]
            self.comparisons.append((name, compiled))
        self.vetoes = [(n, compile_condition(sql, qualified=True)) for n, sql in vetoes.items()]
        self.columns = list(columns)
        self.casts = {c: _caster(types.get(c, "VARCHAR")) for c in self.columns}

    def evaluate(
        self,
        left: Mapping[str, Any],
        rights: Sequence[Mapping[str, Any]],
        tf_left: Mapping[str, float | None],
        tf_rights: Mapping[str, Sequence[float | None]],
    ) -> dict[str, Any]:
        """Levels and vetoes of ``left`` against each of ``rights``."""
        n = len(rights)
        env_l = {f"{c}_l": self.casts[c](left.get(c)) for c in self.columns}
        gammas = {name: np.empty(n, dtype=np.int64) for name, _ in self.comparisons}
        vetoes: list[str | None] = []
        for k, right in enumerate(rights):
            env = dict(env_l)
            for c in self.columns:
                env[f"{c}_r"] = right.get(c)
            for name, levels in self.comparisons:
                gammas[name][k] = _first_level(levels, env)
            vetoes.append(next((v for v, cond in self.vetoes if holds(cond(env))), None))
        out: dict[str, Any] = {f"gamma_{name}": g for name, g in gammas.items()}
        out["veto"] = vetoes
        for c, values in tf_rights.items():
            out[f"tf_{c}_l"] = np.full(n, _float(tf_left.get(c)))
            out[f"tf_{c}_r"] = np.array([_float(v) for v in values], dtype=np.float64)
        return out


def _first_level(levels: list[tuple[int, Expr | None]], env: dict[str, Any]) -> int:
    """CASE WHEN ... THEN gamma ... ELSE <the ELSE level's gamma, or 0> END."""
    otherwise = 0
    for gamma, cond in levels:
        if cond is None:
            otherwise = gamma
        elif holds(cond(env)):
            return gamma
    return otherwise


def _float(v: float | None) -> float:
    return np.nan if v is None else float(v)


def _caster(duck_type: str):
    """What ``?::<type>`` does to a Python value in the scoring query (SQL's casts)."""
    t = duck_type.upper()
    if t.endswith("[]"):
        return lambda v: None if v is None else [None if x is None else to_text(x) for x in v]
    convert = {
        "BIGINT": to_int,
        "INTEGER": to_int,
        "SMALLINT": to_int,
        "TINYINT": to_int,
        "HUGEINT": to_int,
        "DOUBLE": float,
        "FLOAT": float,
        "REAL": float,
        "DATE": to_date,
        "BOOLEAN": bool,
    }.get(t, float if t.startswith("DECIMAL") else to_text)
    return lambda v: None if v is None else convert(v)
