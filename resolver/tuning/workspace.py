"""Where a notebook's store, truth, rules and models are: a fresh demo store, or yours.

Environment variables (all optional):

``RESOLVER_DB``          an existing store (e.g. ``data/demo.duckdb`` after ``make demo``)
``RESOLVER_DATA``        a data folder; its ``truth/`` is used when present. Without
                         ``RESOLVER_DB`` the batch job is run on it into a scratch store
``RESOLVER_RULES``       your rules folder, the one the store was built with (default: the
                         repository's ``rules/``); see :mod:`resolver.tuning.rules`
``RESOLVER_MODELS``      the models folder (default ``models/``)
``RESOLVER_RULES_OUT``   where tuned thresholds are written (default: a scratch copy of
                         the rules; set it to ``rules`` to change the repository's rules)
``RESOLVER_DEMO_CUSTOMERS`` / ``RESOLVER_DEMO_SEED``  size and seed of a demo world
``RESOLVER_WORKDIR``     scratch folder (default: a new temporary folder)
``RESOLVER_CHARTS``      where a notebook run as a plain script saves its charts (default:
                         the scratch folder's ``charts/``); see :mod:`resolver.tuning.show`
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from resolver import store
from resolver.demo.fixtures import MODELS, build_demo_store
from resolver.store.journal import journal_path
from resolver.tuning.rules import rules_folder
from resolver.tuning.show import use_charts_dir


@dataclass(frozen=True)
class Workspace:
    """A store to analyse and the folders that go with it."""

    db: Path
    rules_dir: Path
    models_dir: Path
    data_dir: Path | None
    workdir: Path  # scratch space: copies, demo worlds
    demo: bool  # True when the store was built here from a generated world
    rules_out: Path | None = None  # RESOLVER_RULES_OUT, if given

    @property
    def truth_dir(self) -> Path | None:
        """The data folder's ``truth/`` (demo worlds have one), or None."""
        if self.data_dir is None:
            return None
        truth = self.data_dir / "truth"
        return truth if truth.is_dir() else None

    def connect(self, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
        return store.connect(self.db, read_only=read_only)

    def rules_for_writing(self) -> Path:
        """The rules folder thresholds are written to: ``rules_out``, or a scratch copy.

        The repository's rules change only when ``RESOLVER_RULES_OUT`` names them.
        An empty or missing ``rules_out`` is first filled with a copy of ``rules_dir``.
        """
        target = self.rules_out or self.workdir / "rules"
        if not (target / "customers.yaml").is_file():
            shutil.copytree(self.rules_dir, target, dirs_exist_ok=True)
        return target

    def writable_copy(self) -> Workspace:
        """The same workspace over a scratch copy of the store and its decisions
        journal (for simulated decisions)."""
        copy = self.workdir / f"copy-{self.db.name}"
        shutil.copyfile(self.db, copy)
        journal = journal_path(self.db)  # decisions live in the journal beside the store
        if journal.is_file():
            shutil.copyfile(journal, journal_path(copy))
        return replace(self, db=copy)


def workspace(
    workdir: Path | str | None = None,
    *,
    customers: int = 600,
    seed: int = 11,
    env: Mapping[str, str] | None = None,
) -> Workspace:
    """The notebooks' workspace: the store named by ``RESOLVER_DB`` (or built from
    ``RESOLVER_DATA``), else a demo world of ``customers`` generated with ``seed``
    and run through the batch job with the committed models, in ``workdir``.
    """
    env = os.environ if env is None else env
    workdir = workdir or env.get("RESOLVER_WORKDIR")
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="resolver-tuning-"))
    work.mkdir(parents=True, exist_ok=True)
    use_charts_dir(work / "charts")  # a script's charts go beside its scratch files
    rules_dir = rules_folder(env)
    models_dir = Path(env.get("RESOLVER_MODELS") or MODELS)
    data = Path(env["RESOLVER_DATA"]) if env.get("RESOLVER_DATA") else None
    out = Path(env["RESOLVER_RULES_OUT"]) if env.get("RESOLVER_RULES_OUT") else None
    if env.get("RESOLVER_DB"):
        db = Path(env["RESOLVER_DB"])
        if not db.is_file():
            raise FileNotFoundError(f"RESOLVER_DB={db} does not exist; run `make demo` first")
        return Workspace(db, rules_dir, models_dir, data, work, False, out)
    built = build_demo_store(
        work,
        data_dir=data,
        customers=int(env.get("RESOLVER_DEMO_CUSTOMERS") or customers),
        seed=int(env.get("RESOLVER_DEMO_SEED") or seed),
        rules_dir=rules_dir,
        models_dir=models_dir,
    )
    return Workspace(built.db, rules_dir, models_dir, built.data_dir, work, data is None, out)
