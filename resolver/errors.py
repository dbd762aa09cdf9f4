"""One exception root for the library; the API maps these to HTTP in one place."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class ResolverError(Exception):
    """Root of every error resolver raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rules or contract file: where, and what to do."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.message}"


class ValidationProblems(ResolverError):
    """Every problem found in a set of files, reported at once."""

    def __init__(self, what: str, problems: Iterable[Problem]) -> None:
        self.what = what
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in {what}:\n{lines}")


class ContractError(ValidationProblems):
    """A source contract is malformed or names a file, column or field that does not exist."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        super().__init__("source contracts", problems)


class RulesError(ValidationProblems):
    """A rules file (linkage, survivorship, orphans) is malformed."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        super().__init__("rules", problems)


class Problems:
    """Problems gathered over several files, to report every one at once: each file is
    read through :meth:`read`, which keeps what it refused and goes on."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def read(self, load: Callable[[], T], default: T) -> T:
        """``load()``, or ``default`` when it raised problems (kept in ``found``)."""
        try:
            return load()
        except ValidationProblems as exc:
            self.found += exc.problems
            return default

    def raise_any(self, error: Callable[[list[Problem]], ValidationProblems]) -> None:
        """Raise ``error(found)`` when anything was found."""
        if self.found:
            raise error(self.found)


class ModelError(ResolverError):
    """A saved model is missing, unreadable, or was trained under other rules."""


class StoreError(ResolverError):
    """The store file is missing, from another version, or holds no completed run."""


class StoreBusy(StoreError):
    """Another run (or training) holds the store's lock."""


class SourceShrank(ResolverError):
    """A source loaded no rows, or far fewer than its last good run: nothing is published."""


class NotFound(ResolverError):
    """A proposal, orphan, entity or record that does not exist."""


class Conflict(ResolverError):
    """A decision was made against a version that is no longer current."""

    def __init__(self, message: str, current: object = None) -> None:
        super().__init__(message)
        self.current = current


class InvalidDecision(ResolverError):
    """A decision that cannot apply (a split that does not partition the members, ...)."""
