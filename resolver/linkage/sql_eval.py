"""Evaluate a comparison level's SQL condition in Python, for one pair at a time.

Splink's levels are SQL (``jaro_winkler_similarity(x_l, x_r) >= 0.9``). The batch
job runs them in DuckDB over millions of pairs; scoring one new record against a
few candidates, DuckDB's planning alone costs milliseconds. Here DuckDB parses
the SQL once (``json_serialize_sql``) and the tree becomes a Python closure with
SQL's semantics: NULL in, NULL out; three-valued AND / OR / NOT; ``least`` and
``greatest`` skip NULLs; string functions count characters, as DuckDB's do.

Only the expressions comparison levels use are supported; anything else raises
:class:`Unsupported` at compile time, so a caller can keep DuckDB for that model.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import duckdb
from rapidfuzz.distance import DamerauLevenshtein, Jaro, JaroWinkler, Levenshtein

from resolver.rulefiles import SANDBOX_CONFIG

Env = Mapping[str, Any]
Expr = Callable[[Env], Any]


class Unsupported(ValueError):
    """The SQL uses something this evaluator does not implement."""


def compile_condition(sql: str, *, qualified: bool = False) -> Expr:
    """A function of ``env`` (column name -> value) giving the condition's SQL value
    (True, False or None for NULL). ``qualified``: columns are written ``l.x`` /
    ``r.x`` (vetoes) and read from ``env["x_l"]`` / ``env["x_r"]``."""
    con = duckdb.connect(config=SANDBOX_CONFIG)
    try:
        doc = json.loads(
            con.execute("SELECT json_serialize_sql(?)", [f"SELECT {sql}"]).fetchone()[0]
        )
    finally:
        con.close()
    if doc.get("error"):
        raise Unsupported(f"cannot parse {sql!r}: {doc.get('error_message')}")
    node = doc["statements"][0]["node"]["select_list"][0]
    return _compile(node, qualified)


def holds(value: Any) -> bool:
    """A CASE WHEN takes a branch only on TRUE (NULL does not)."""
    return value is True


def _compile(n: dict[str, Any], q: bool) -> Expr:
    cls, typ = n["class"], n["type"]
    if cls == "COLUMN_REF":
        return _column(n["column_names"], q)
    if cls == "CONSTANT":
        v = _literal(n["literal"])
        return lambda env: v
    if cls == "CONJUNCTION":
        parts = [_compile(c, q) for c in n["children"]]
        return _and(parts) if typ == "CONJUNCTION_AND" else _or(parts)
    if cls == "COMPARISON":
        return _comparison(typ, _compile(n["left"], q), _compile(n["right"], q))
    if cls == "BETWEEN":
        x, lo, hi = (_compile(n[k], q) for k in ("input", "lower", "upper"))
        ge = _comparison("COMPARE_GREATERTHANOREQUALTO", x, lo)
        le = _comparison("COMPARE_LESSTHANOREQUALTO", x, hi)
        return _and([ge, le])
    if cls == "OPERATOR":
        kids = [_compile(c, q) for c in n["children"]]
        return _operator(typ, kids)
    if cls == "CAST":
        if n.get("try_cast"):
            raise Unsupported("TRY_CAST")
        return _cast(_compile(n["child"], q), n["type_expr"]["type_name"])
    if cls == "FUNCTION":
        args = [_compile(a.get("expression", a), q) for a in _args(n)]
        return _function(n["function_name"].lower(), args)
    raise Unsupported(f"{cls} {typ}")


def _args(n: dict[str, Any]) -> list[dict[str, Any]]:
    return n.get("arguments", n.get("children", []))


def _column(names: list[str], q: bool) -> Expr:
    if q:
        if len(names) != 2 or names[0] not in ("l", "r"):
            raise Unsupported(f"column {'.'.join(names)}: expected l.<name> or r.<name>")
        key = f"{names[1]}_{names[0]}"
    else:
        if len(names) != 1:
            raise Unsupported(f"column {'.'.join(names)}")
        key = names[0]
    return lambda env: env.get(key)


def _literal(lit: dict[str, Any]) -> Any:
    kind, text = lit.get("kind"), lit.get("text")
    if kind == "NULL_LITERAL":
        return None
    if kind == "NUMERIC":
        return float(text) if any(c in text for c in ".eE") else int(text)
    if kind == "INTEGER":
        return int(text)
    if kind == "STRING":
        return text
    if kind == "BOOLEAN":
        return text.lower() == "true"
    raise Unsupported(f"literal {lit}")


def _and(parts: list[Expr]) -> Expr:
    return _conjunction(parts, decisive=False)


def _or(parts: list[Expr]) -> Expr:
    return _conjunction(parts, decisive=True)


def _conjunction(parts: list[Expr], *, decisive: bool) -> Expr:
    """AND (``decisive=False``: one FALSE decides) or OR (one TRUE decides); else NULL
    if any part is NULL."""

    def f(env: Env) -> Any:
        unknown = False
        for p in parts:
            v = p(env)
            if v is decisive:
                return decisive
            if v is None:
                unknown = True
        return None if unknown else not decisive

    return f


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "COMPARE_EQUAL": lambda a, b: a == b,
    "COMPARE_NOTEQUAL": lambda a, b: a != b,
    "COMPARE_LESSTHAN": lambda a, b: a < b,
    "COMPARE_GREATERTHAN": lambda a, b: a > b,
    "COMPARE_LESSTHANOREQUALTO": lambda a, b: a <= b,
    "COMPARE_GREATERTHANOREQUALTO": lambda a, b: a >= b,
}


def _comparison(typ: str, left: Expr, right: Expr) -> Expr:
    if typ == "COMPARE_DISTINCT_FROM":
        return lambda env: left(env) != right(env)
    if typ == "COMPARE_NOT_DISTINCT_FROM":
        return lambda env: left(env) == right(env)
    op = _COMPARE.get(typ)
    if op is None:
        raise Unsupported(typ)

    def f(env: Env) -> Any:
        a, b = left(env), right(env)
        if a is None or b is None:
            return None
        return bool(op(a, b))

    return f


def _operator(typ: str, kids: list[Expr]) -> Expr:
    if typ == "OPERATOR_IS_NULL":
        return lambda env: kids[0](env) is None
    if typ == "OPERATOR_IS_NOT_NULL":
        return lambda env: kids[0](env) is not None
    if typ == "OPERATOR_NOT":

        def f(env: Env) -> Any:
            v = kids[0](env)
            return None if v is None else not v

        return f
    if typ == "OPERATOR_COALESCE":

        def g(env: Env) -> Any:
            for k in kids:
                v = k(env)
                if v is not None:
                    return v
            return None

        return g
    raise Unsupported(typ)


def _cast(child: Expr, type_name: str) -> Expr:
    target = type_name.upper()
    convert: Callable[[Any], Any]
    if target in ("DOUBLE", "FLOAT", "DECIMAL"):
        convert = float
    elif target in ("INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT"):
        convert = to_int
    elif target in ("VARCHAR", "TEXT", "STRING"):
        convert = to_text
    elif target == "DATE":
        convert = to_date
    else:
        raise Unsupported(f"CAST to {target}")

    def f(env: Env) -> Any:
        v = child(env)
        return None if v is None else convert(v)

    return f


def to_int(v: Any) -> int:
    """DuckDB rounds a double to the nearest integer, halves away from zero."""
    if isinstance(v, float):
        return int(math.copysign(math.floor(abs(v) + 0.5), v))
    return int(v)


def to_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return v.isoformat() if isinstance(v, date) else str(v)


def to_date(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return date.fromisoformat(str(v))


def _strict(fn: Callable[..., Any]) -> Callable[[list[Expr]], Expr]:
    """A function that is NULL when any argument is NULL."""

    def build(args: list[Expr]) -> Expr:
        def f(env: Env) -> Any:
            vals = [a(env) for a in args]
            if any(v is None for v in vals):
                return None
            return fn(*vals)

        return f

    return build


def _skip_nulls(fn: Callable[..., Any]) -> Callable[[list[Expr]], Expr]:
    def build(args: list[Expr]) -> Expr:
        def f(env: Env) -> Any:
            vals = [v for v in (a(env) for a in args) if v is not None]
            return fn(vals) if vals else None

        return f

    return build


def _split_part(s: str, sep: str, i: int) -> str:
    parts = s.split(sep) if sep else list(s)
    if i > 0:
        return parts[i - 1] if i <= len(parts) else ""
    if i < 0:
        return parts[i] if -i <= len(parts) else ""
    return ""


def _date_diff(part: str, a: Any, b: Any) -> int:
    if part.lower() not in ("day", "days", "d"):
        raise Unsupported(f"date_diff part {part!r}")
    return (to_date(b) - to_date(a)).days


def _divide(a: Any, b: Any) -> Any:
    if b == 0:
        return None
    return a / b


def _list_has_any(a: list, b: list) -> bool:
    return not {x for x in a if x is not None}.isdisjoint(x for x in b if x is not None)


def _list_has_all(a: list, b: list) -> bool:
    return {x for x in b if x is not None} <= {x for x in a if x is not None}


def _list_intersect(a: list, b: list) -> list:
    right = {x for x in b if x is not None}
    return list(dict.fromkeys(x for x in a if x is not None and x in right))


def _strftime(value: Any, fmt: str) -> str:
    if any(f"%{c}" in fmt for c in "aAbBpcxXZzjUW"):
        raise Unsupported(f"strftime format {fmt!r}")  # locale or engine specific
    return to_date(value).strftime(fmt)


_FUNCTIONS: dict[str, Callable[[list[Expr]], Expr]] = {
    # DuckDB: an empty string is similar to nothing, itself included
    "jaro_winkler_similarity": _strict(
        lambda a, b: JaroWinkler.similarity(a, b) if a and b else 0.0
    ),
    "jaro_similarity": _strict(lambda a, b: Jaro.similarity(a, b) if a and b else 0.0),
    "levenshtein": _strict(lambda a, b: Levenshtein.distance(a, b)),
    "damerau_levenshtein": _strict(lambda a, b: DamerauLevenshtein.distance(a, b)),
    "length": _strict(len),
    "len": _strict(len),
    "strlen": _strict(lambda s: len(s.encode("utf-8"))),
    "lower": _strict(str.lower),
    "upper": _strict(str.upper),
    "left": _strict(lambda s, n: s[: max(n, 0)] if n >= 0 else s[:n]),
    "right": _strict(lambda s, n: (s[-n:] if n > 0 else "") if n >= 0 else s[-n:]),
    "substring": _strict(lambda s, start, n: s[max(start - 1, 0) : max(start - 1, 0) + n]),
    "split_part": _strict(_split_part),
    "ends_with": _strict(lambda s, t: s.endswith(t)),
    "suffix": _strict(lambda s, t: s.endswith(t)),
    "starts_with": _strict(lambda s, t: s.startswith(t)),
    "prefix": _strict(lambda s, t: s.startswith(t)),
    "contains": _strict(lambda s, t: t in s),
    "list_has_any": _strict(_list_has_any),
    "array_has_any": _strict(_list_has_any),
    "list_contains": _strict(lambda xs, x: x in xs),
    "list_has_all": _strict(_list_has_all),
    "array_has_all": _strict(_list_has_all),
    "list_intersect": _strict(_list_intersect),
    "list_distinct": _strict(lambda xs: list(dict.fromkeys(x for x in xs if x is not None))),
    "string_split": _strict(lambda s, sep: s.split(sep) if sep else list(s)),
    "strftime": _strict(_strftime),
    "abs": _strict(abs),
    "date_diff": _strict(_date_diff),
    "datediff": _strict(_date_diff),
    "least": _skip_nulls(min),
    "greatest": _skip_nulls(max),
    "+": _strict(lambda a, b: a + b),
    "-": _strict(lambda a, b: a - b),
    "*": _strict(lambda a, b: a * b),
    "/": _strict(_divide),
    "sqrt": _strict(math.sqrt),
}


def _function(name: str, args: list[Expr]) -> Expr:
    build = _FUNCTIONS.get(name)
    if build is None:
        raise Unsupported(f"function {name}")
    if name == "-" and len(args) == 1:
        return _strict(lambda a: -a)(args)
    return build(args)
