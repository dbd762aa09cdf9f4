"""One model file for every engine: saved engine-neutral, translated on load.

resolver's SQL (comparison levels, blocking rules, vetoes, the prior's deterministic
rules) is written in one dialect: DuckDB's function names with plain, unquoted
identifiers. A saved model keeps it so, with no ``sql_dialect`` tag anywhere and no
identifier quoting (Splink's own JSON keeps both, and a model saved from DuckDB then
fails on Spark). :func:`for_engine` gives the Splink settings an engine runs:
unchanged for DuckDB; for Spark translated through sqlglot, with the functions
sqlglot does not map (list functions, ``len`` of a list) rewritten here, every cast
made a ``TRY_CAST`` (Spark 4's ANSI mode raises on a value a plain cast cannot read,
where DuckDB's own SQL would have failed loudly too), and the string distances Spark
computes otherwise (:data:`ON_DUCKDB`) called as DuckDB's own, which resolver registers
on the Spark session (:mod:`resolver.spark.functions`).

>>> translate_sql("jaro_winkler_similarity(a_l, a_r) >= 0.9", "spark")
'DUCKDB_JARO_WINKLER_SIMILARITY(a_l, a_r) >= 0.9'
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

ENGINES = ("duckdb", "spark")
_QUOTED = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"')  # "email_l" -> email_l


def neutral_settings(
    splink: dict[str, Any], *, sql_from: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The Splink settings as a model file keeps them: no dialect tags, no quoting.

    ``sql_from``: the neutral settings ``splink`` was translated from (a model trained
    on Spark holds Spark's SQL, which no translation here undoes): its blocking rules and
    level conditions are kept instead, level by level."""
    if sql_from is not None:
        splink = copy.deepcopy(splink)
        splink["blocking_rules_to_generate_predictions"] = list(
            sql_from["blocking_rules_to_generate_predictions"]
        )
        for comp, src in zip(splink["comparisons"], sql_from["comparisons"], strict=True):
            levels = zip(comp["comparison_levels"], src["comparison_levels"], strict=True)
            for level, src_level in levels:
                level["sql_condition"] = src_level["sql_condition"]
    out = copy.deepcopy(splink)
    out.pop("sql_dialect", None)
    out.pop("linker_uid", None)  # a per-session id: keeps saved models diff-able
    out["blocking_rules_to_generate_predictions"] = [
        _unquote(_rule_sql(r)) for r in out.get("blocking_rules_to_generate_predictions", [])
    ]
    for comp in out.get("comparisons", []):
        for level in comp["comparison_levels"]:
            level.pop("sql_dialect", None)
            level["sql_condition"] = _unquote(level["sql_condition"])
    return out


def for_engine(splink: dict[str, Any], engine: str) -> dict[str, Any]:
    """The Splink settings ``engine`` runs, from a model's (neutral or not) settings."""
    _check_engine(engine)
    out = neutral_settings(splink)
    out["sql_dialect"] = engine
    out["blocking_rules_to_generate_predictions"] = [
        translate_sql(r, engine) for r in out["blocking_rules_to_generate_predictions"]
    ]
    for comp in out.get("comparisons", []):
        for level in comp["comparison_levels"]:
            if level["sql_condition"] != "ELSE":
                level["sql_condition"] = translate_sql(level["sql_condition"], engine)
    return out


@lru_cache(maxsize=4096)
def translate_sql(sql: str, engine: str) -> str:
    """One SQL expression of resolver's dialect, as ``engine`` reads it."""
    _check_engine(engine)
    if engine == "duckdb":
        return sql
    tree = sqlglot.parse_one(sql, read="duckdb")
    # innermost first, so an outer rewrite sees its arguments already translated
    for node in reversed(list(tree.dfs())):
        new = _to_spark(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree.sql(dialect="spark")


# DuckDB's string distances, computed on Spark by DuckDB itself (Splink's jaro_winkler
# gives other values: see resolver.spark.functions): name -> return type
ON_DUCKDB = {
    "jaro_winkler_similarity": "double",
    "jaro_similarity": "double",
    "levenshtein": "bigint",
    "damerau_levenshtein": "bigint",
}


def spark_name(function: str) -> str:
    """The name Spark calls DuckDB's ``function`` by (one of :data:`ON_DUCKDB`)."""
    return f"duckdb_{function}"


# DuckDB function -> the Spark function of the same arguments
_RENAMED = {
    **{f.upper(): spark_name(f).upper() for f in ON_DUCKDB},
    "JAROWINKLER_SIMILARITY": spark_name("jaro_winkler_similarity").upper(),  # sqlglot's name
    "LIST_INTERSECT": "ARRAY_INTERSECT",
    "LIST_DISTINCT": "ARRAY_DISTINCT",
    "LIST_HAS_ANY": "ARRAYS_OVERLAP",
    "LIST_CONTAINS": "ARRAY_CONTAINS",
    "LIST_HAS": "ARRAY_CONTAINS",
}
_LIST_MAKERS = (exp.Split, exp.ArrayDistinct, exp.ArrayIntersect, exp.Array, exp.ArrayConcat)


def _to_spark(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Cast) and not isinstance(node, exp.TryCast):
        return exp.TryCast(this=node.this, to=node.args["to"], safe=True)
    if isinstance(node, exp.ArrayOverlaps):  # list_has_any(a, b) is read as a && b
        return exp.Anonymous(this="ARRAYS_OVERLAP", expressions=[node.this, node.expression])
    if isinstance(node, exp.Length) and _is_list(node.this):  # len(list) is its size
        return exp.Anonymous(this="SIZE", expressions=[node.this])
    name = _function_name(node)
    if name == "LIST_HAS_ALL":  # every element of b is in a
        a, b = node.expressions if isinstance(node, exp.Anonymous) else _args(node)
        return exp.EQ(
            this=exp.Anonymous(
                this="SIZE", expressions=[exp.Anonymous(this="ARRAY_EXCEPT", expressions=[b, a])]
            ),
            expression=exp.Literal.number(0),
        )
    if name in _RENAMED:
        return exp.Anonymous(this=_RENAMED[name], expressions=_args(node))
    return node


def _function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).upper()
    if isinstance(node, exp.Func):
        return node.sql_name().upper()
    return ""


def _args(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    return [v for k, v in node.args.items() if isinstance(v, exp.Expression) and k != "to"] + [
        *node.args.get("expressions", [])
    ]


def _is_list(node: exp.Expression) -> bool:
    return isinstance(node, _LIST_MAKERS) or _function_name(node) in {
        "LIST_INTERSECT",
        "LIST_DISTINCT",
        "ARRAY_INTERSECT",
        "ARRAY_DISTINCT",
        "STRING_SPLIT",
        "SPLIT",
    }


def _rule_sql(rule: Any) -> str:
    return rule["blocking_rule"] if isinstance(rule, dict) else str(rule)


def _unquote(sql: str) -> str:
    return _QUOTED.sub(r"\1", sql)


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
