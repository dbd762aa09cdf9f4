"""Table layouts and SQL against the store live behind resolver/store/: a module
elsewhere calls the store's functions instead of running statements of its own.

Every call to ``.execute(`` / ``.executemany(`` / ``.sql(`` / ``.query(`` outside
resolver/store/ is counted per module. A module may keep such calls only when it is
listed below with a reason, and never more than the number written there: SQL on
a connection that is not the store (Splink's, a source database, a scratch
in-memory database) is its own business; SQL against the store's own tables has no
place outside store/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SQL_CALLS = {"execute", "executemany", "sql", "query"}

NOT_THE_STORE = "SQL on a connection that is not the store's"

ALLOWED: dict[str, tuple[int, str]] = {
    # not the store: Splink's DuckDB, a source database, files, scratch connections
    "resolver/linkage/predict.py": (5, f"{NOT_THE_STORE}: Splink's own engine"),
    "resolver/linkage/model.py": (1, f"{NOT_THE_STORE}: Splink's own DuckDB"),
    "resolver/linkage/model_file.py": (1, "sqlglot rendering SQL text, not a connection"),
    "resolver/spark/linkage.py": (1, f"{NOT_THE_STORE}: the Spark session Splink runs on"),
    "resolver/spark/session.py": (1, f"{NOT_THE_STORE}: the Spark session's own tables"),
    "resolver/spark/functions.py": (
        1,
        f"{NOT_THE_STORE}: a private in-memory DuckDB computing a batch's string distances",
    ),
    "resolver/linkage/profile.py": (6, f"{NOT_THE_STORE}: profiles the table it is handed"),
    "resolver/linkage/derive.py": (5, f"{NOT_THE_STORE}: the view of the input it is handed"),
    "resolver/linkage/term_frequency.py": (1, f"{NOT_THE_STORE}: counts the table it is handed"),
    "resolver/ingest/database.py": (2, f"{NOT_THE_STORE}: the source database"),
    "resolver/ingest/source_files.py": (2, f"{NOT_THE_STORE}: reads a source file"),
    "resolver/report/timing.py": (1, f"{NOT_THE_STORE}: describes a source file's columns"),
    "resolver/matching/matcher.py": (1, f"{NOT_THE_STORE}: the matcher's in-memory index"),
    "resolver/linkage/realtime.py": (
        6,
        f"{NOT_THE_STORE}: Splink's SQL on a private DuckDB (typed, prepared, rows set, run;"
        " and planned per call, the reference the kept plan is checked against)",
    ),
    "resolver/tuning/blocking.py": (1, f"{NOT_THE_STORE}: a scratch in-memory database"),
    "resolver/review/orphans/rules.py": (2, f"{NOT_THE_STORE}: checks a rule on an empty table"),
    "resolver/exports/log.py": (2, f"{NOT_THE_STORE}: the journal's SQLite export log"),
    "resolver/rulefiles/sql_sandbox.py": (
        2,
        f"{NOT_THE_STORE}: a sandboxed connection parsing a rule",
    ),
    "resolver/tuning/model_view.py": (
        1,
        f"{NOT_THE_STORE}: Splink's own DuckDB (term-frequency lookups)",
    ),
}


def sql_calls(path: Path) -> list[int]:
    """Line numbers of the SQL calls in one module."""
    tree = ast.parse(path.read_text())
    return [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in SQL_CALLS
    ]


def _outside_the_store() -> dict[str, list[int]]:
    out = {}
    for package in ("resolver", "api"):
        for p in sorted((ROOT / package).rglob("*.py")):
            rel = p.relative_to(ROOT).as_posix()
            if rel.startswith("resolver/store/"):
                continue
            lines = sql_calls(p)
            if lines:
                out[rel] = lines
    return out


def test_sql_against_the_store_runs_only_inside_store() -> None:
    found = _outside_the_store()
    offenders = [
        f"{rel}: {len(lines)} SQL call(s) (lines {', '.join(map(str, lines))}); "
        + (f"at most {ALLOWED[rel][0]} allowed" if rel in ALLOWED else "none allowed")
        for rel, lines in found.items()
        if len(lines) > ALLOWED.get(rel, (0, ""))[0]
    ]
    assert offenders == []


def test_the_allow_list_names_only_modules_that_still_need_it() -> None:
    found = _outside_the_store()
    stale = [rel for rel in ALLOWED if rel not in found]
    assert stale == [], "these modules run no SQL any more: drop them from ALLOWED"


def test_the_pipeline_runs_no_sql_of_its_own() -> None:
    """The batch job is its stages in order; what they read and write in the store is
    the store's (resolver.store.stages)."""
    assert sql_calls(ROOT / "resolver" / "pipeline.py") == []


def test_the_counter_sees_sql_calls() -> None:
    calls = sql_calls(ROOT / "resolver" / "store" / "runs.py")
    assert len(calls) >= 5
