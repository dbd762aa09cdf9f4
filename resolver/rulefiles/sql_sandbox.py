"""The sandbox rules SQL runs in: one expression over the pair or record it judges.

Rules files are code an admin writes, and four kinds of their text are SQL that runs
inside resolver's queries: vetoes and deterministic rules (over ``l.`` / ``r.``), custom
comparison levels (over ``x_l`` / ``x_r``) and orphan ``where:`` conditions (over a
record's columns). :func:`sql_problem` lets through only one expression built from
columns, constants, operators and DuckDB's built-in scalar functions: no second
statement (``; DROP ...``), no statement keyword (COPY, ATTACH, INSTALL, LOAD, PRAGMA,
SET, ...), no subquery, no table or table function (``read_csv('/etc/passwd')``), no
function outside DuckDB's core scalar functions (an extension function would be
installed and loaded on first use) and none with an effect beyond its value (sequences,
settings, sleeping, logging). Every rules loader calls it before any work starts, so an
escape is refused with the file, the rule and the offending token; connections that
evaluate such SQL on their own also run with :data:`SANDBOX_CONFIG` (no file access).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import duckdb

# A connection that can read no file and load no extension (DuckDB refuses COPY,
# read_csv, ATTACH, INSTALL/LOAD and replacement scans on it).
SANDBOX_CONFIG: dict[str, Any] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

# keywords that start a statement of their own (a rule is one expression, never these)
_STATEMENT_WORDS = frozenset(
    [
        "ALTER",
        "ANALYZE",
        "ATTACH",
        "CALL",
        "CHECKPOINT",
        "COPY",
        "CREATE",
        "DEALLOCATE",
        "DELETE",
        "DESCRIBE",
        "DETACH",
        "DROP",
        "EXECUTE",
        "EXPLAIN",
        "EXPORT",
        "FORCE",
        "GRANT",
        "IMPORT",
        "INSERT",
        "INSTALL",
        "LOAD",
        "MERGE",
        "PRAGMA",
        "PREPARE",
        "REINDEX",
        "RESET",
        "REVOKE",
        "SELECT",
        "SET",
        "SHOW",
        "SUMMARIZE",
        "TRUNCATE",
        "UPDATE",
        "USE",
        "VACUUM",
        "WITH",
    ]
)
# core scalar functions whose effect goes beyond their value, or that read the
# session's state: never needed to judge a pair or a record
_EFFECTFUL = frozenset(
    [
        "currval",
        "nextval",
        "setseed",
        "sleep_ms",
        "pg_sleep",
        "write_log",
        "current_setting",
        "getenv",
        "current_query",
        "current_query_id",
        "current_connection_id",
        "current_transaction_id",
        "txid_current",
        "json_deserialize_sql",
        "json_serialize_sql",
        "stats",
    ]
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def sql_problem(sql: Any) -> str | None:
    """Why ``sql`` may not run as a rule (naming the offending token), or None.

    >>> sql_problem("l.email_key = r.email_key") is None
    True
    >>> sql_problem("l.a = r.a; DROP TABLE customers")
    "a second statement (';' at character 10): a rule is one SQL expression"
    """
    if not isinstance(sql, str) or not sql.strip():
        return "must be a non-empty SQL expression"
    for token, at in _tokens(sql):
        where = f"at character {at + 1}"
        if token == ";":
            return f"a second statement (';' {where}): a rule is one SQL expression"
        if token.startswith(("--", "/*")):
            return f"a SQL comment ({where}) is not allowed in a rule: comment in YAML (#)"
        if token.upper() in _STATEMENT_WORDS - {"SELECT", "WITH"}:
            return (
                f"{token!r} ({where}) is not allowed: a rule is one SQL expression over the "
                "record or pair it judges (no statement, subquery, file or setting)"
            )
        if token == "?" or token.startswith("$"):
            return f"a query parameter ({token!r} {where}) is not allowed in a rule"
    return _tree_problem(sql)  # a subquery (SELECT, WITH) is named with what it reads


def _tokens(sql: str) -> list[tuple[str, int]]:
    """(token text, character offset) of every token DuckDB's tokenizer sees but string
    constants (their text is data, never a keyword)."""
    try:
        found = duckdb.tokenize(sql)
    except duckdb.Error:  # pragma: no cover - the tokenizer reads any text
        return []
    out = []
    for i, (at, kind) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(sql)
        text = sql[at:end].strip()
        if kind == duckdb.token_type.string_const:
            continue
        # an operator token may hold several characters: ';' is what matters
        if kind == duckdb.token_type.operator and ";" in text:
            return [*out, (";", at + text.index(";"))]
        out.append((text, at))
    return out


def _tree_problem(sql: str) -> str | None:
    """Parse ``SELECT <sql>`` with DuckDB and walk the tree: one expression, no FROM,
    no subquery, known side-effect-free scalar functions only."""
    # a connection of its own each call: a cached one would keep a DuckDB instance and its
    # threads alive in the process, and a worker forked later crashed on them
    con = duckdb.connect(config=SANDBOX_CONFIG)
    try:
        raw = con.execute("SELECT json_serialize_sql(?)", [f"SELECT {sql}"]).fetchone()[0]
    finally:
        con.close()
    doc = json.loads(raw)
    if doc.get("error"):
        return f"not one SQL expression: {doc.get('error_message')}"
    statements = doc.get("statements") or []
    if len(statements) != 1:
        return "a second statement: a rule is one SQL expression"
    node = statements[0]["node"]
    if node.get("type") != "SELECT_NODE" or len(node.get("select_list") or []) != 1:
        return "not one SQL expression (a set operation or a list of expressions)"
    if (node.get("from_table") or {}).get("type", "EMPTY") != "EMPTY":
        return f"reads {_source_name(node['from_table'])}: a rule sees only its own columns"
    for key in ("where_clause", "having", "qualify", "sample"):
        if node.get(key):
            return "not one SQL expression (a query clause follows it)"
    if (
        (node.get("cte_map") or {}).get("map")
        or node.get("modifiers")
        or node.get("group_expressions")
    ):
        return "not one SQL expression (a query clause follows it)"
    return _expression_problem(node["select_list"][0])


def _expression_problem(tree: Any) -> str | None:
    """The first thing in an expression tree a rule may not use."""
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(reversed(n))
            continue
        if not isinstance(n, dict):
            continue
        cls = n.get("class")
        if cls == "SUBQUERY":
            inner = _first_source(n.get("subquery"))
            what = f" reading {inner}" if inner else ""
            return f"a subquery{what}: a rule sees only its own columns"
        if cls in ("PARAMETER", "STAR", "POSITIONAL_REFERENCE", "WINDOW"):
            return f"{cls.lower().replace('_', ' ')} expressions are not allowed in a rule"
        if cls == "FUNCTION":
            name = str(n.get("function_name", ""))
            if n.get("schema") or n.get("catalog"):
                qualified = ".".join(x for x in (n.get("catalog"), n.get("schema"), name) if x)
                return f"function {qualified!r}: a rule may call built-in functions only"
            if not n.get("is_operator") and name.lower() not in _allowed_functions():
                return (
                    f"function {name!r} is not allowed in a rule (only DuckDB's built-in "
                    "scalar functions without side effects)"
                )
        stack.extend(v for v in n.values() if isinstance(v, dict | list))
    return None


def _source_name(table: dict[str, Any]) -> str:
    if table.get("type") == "TABLE_FUNCTION":
        return f"{table.get('function', {}).get('function_name', 'a table function')}(...)"
    if table.get("table_name"):
        return f"table {table['table_name']!r}"
    return "a table"


def _first_source(tree: Any) -> str | None:
    """The first table or table function a (sub)query reads, for the message."""
    stack = [tree]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(reversed(n))
        elif isinstance(n, dict):
            table = n.get("from_table")
            if isinstance(table, dict) and table.get("type", "EMPTY") != "EMPTY":
                return _source_name(table)
            stack.extend(v for v in n.values() if isinstance(v, dict | list))
    return None


@cache
def _allowed_functions() -> frozenset[str]:
    """DuckDB's core scalar functions and macros (no extension is loaded on this
    connection), less those with an effect beyond their value."""
    con = duckdb.connect(config=SANDBOX_CONFIG)
    try:
        rows = con.execute(
            "SELECT DISTINCT lower(function_name) FROM duckdb_functions() "
            "WHERE function_type IN ('scalar', 'macro') AND internal"
        ).fetchall()
    finally:
        con.close()
    names = {r[0] for r in rows if _WORD.fullmatch(r[0]) and not r[0].startswith("__")}
    return frozenset(names - _EFFECTFUL)
