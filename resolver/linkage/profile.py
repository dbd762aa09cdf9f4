"""Profile the linkage input: which columns are filled, how distinct, in which systems.

The profile is what the model derivation (:mod:`resolver.linkage.derive`) reads to
decide which comparisons, blocking rules and training passes the data supports.
It is computed in DuckDB over the table the model would read, so it costs one scan
per column group at any size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

# a column worth comparing has values in at least this many rows and this share of rows,
# and no value in MAX_TOP_SHARE of its filled rows
MIN_FILLED_ROWS = 5
MIN_FILLED_SHARE = 0.02
MAX_TOP_SHARE = 0.9


@dataclass(frozen=True)
class ColumnProfile:
    """How one column is filled."""

    name: str
    filled: int  # rows with a value
    distinct: int  # distinct non-null values
    top_share: float  # share of filled rows holding the most common value
    systems_filled: dict[str, int] = field(default_factory=dict)

    def share(self, rows: int) -> float:
        return self.filled / rows if rows else 0.0


@dataclass(frozen=True)
class Profile:
    """Rows, systems and per-column fill of one object's linkage input."""

    object: str
    rows: int
    systems: dict[str, int]
    columns: dict[str, ColumnProfile]

    def usable(
        self, column: str, *, min_share: float = MIN_FILLED_SHARE, min_rows: int = MIN_FILLED_ROWS
    ) -> bool:
        """A column worth comparing: present, filled in enough rows, more than one value,
        and not one value dominating (a default like 'US' in every row identifies nobody)."""
        col = self.columns.get(column)
        if col is None or col.distinct < 2:
            return False
        if col.filled < min_rows or col.share(self.rows) < min_share:
            return False
        return col.top_share < MAX_TOP_SHARE

    def identifying(self, column: str, *, min_distinct_share: float = 0.2) -> bool:
        """Usable and distinct enough to identify a record on its own (email, phone)."""
        col = self.columns.get(column)
        return (
            self.usable(column)
            and col is not None
            and col.distinct >= min_distinct_share * col.filled
            and col.top_share < 0.05
        )

    def describe(self) -> list[str]:
        """One line per column, for `resolver train` and the notebooks."""
        lines = []
        for name, col in sorted(self.columns.items()):
            mark = "used" if self.usable(name) else "not used"
            lines.append(
                f"{name:<22} filled {col.share(self.rows):6.1%}  distinct {col.distinct:>9,}  "
                f"top value {col.top_share:6.1%}  ({mark})"
            )
        return lines


def profile_table(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], *, obj: str
) -> Profile:
    """Profile ``columns`` of ``table`` (a table or view name on ``con``).

    List-typed columns are profiled on their non-empty lists.
    """
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    systems = dict(
        con.execute(f"SELECT system, count(*) FROM {table} GROUP BY 1 ORDER BY 1").fetchall()
    )
    out: dict[str, ColumnProfile] = {}
    for name in columns:
        if name not in types:
            continue
        present = f"{name} IS NOT NULL"
        if types[name].endswith("[]"):
            present += f" AND len({name}) > 0"
        # one pass per column: its values counted, then per system
        filled, distinct, top = con.execute(
            f"SELECT coalesce(sum(n), 0), count(*), coalesce(max(n), 0) FROM "
            f"(SELECT count(*) AS n FROM {table} WHERE {present} GROUP BY {name})"
        ).fetchall()[0]
        per_system = dict(
            con.execute(
                f"SELECT system, count(*) FILTER ({present}) FROM {table} GROUP BY 1 ORDER BY 1"
            ).fetchall()
        )
        out[name] = ColumnProfile(
            name=name,
            filled=int(filled),
            distinct=int(distinct),
            top_share=float(top) / filled if filled else 0.0,
            systems_filled={k: int(v) for k, v in per_system.items()},
        )
    return Profile(object=obj, rows=int(rows), systems=systems, columns=out)


def pair_count(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> int:
    """Comparisons a blocking rule on ``columns`` generates within ``table`` (dedupe)."""
    cols = ", ".join(columns)
    where = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    return int(
        con.execute(
            f"SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM "
            f"(SELECT count(*)::HUGEINT AS n FROM {table} WHERE {where} GROUP BY {cols})"
        ).fetchall()[0][0]
    )
