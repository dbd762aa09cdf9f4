"""Accuracy against a truth file: pairwise precision/recall/F1 and B-cubed, per object."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from resolver.errors import ResolverError
from resolver.store import runs as store_runs

TRUTH_COLUMNS = ("system", "source_id", "entity_id")


@dataclass(frozen=True)
class Scores:
    object: str
    records: int
    pair_precision: float
    pair_recall: float
    pair_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    true_pairs: int
    predicted_pairs: int

    def format(self) -> str:
        return (
            f"{self.object:<9} records {self.records:>9,}  pairwise P {self.pair_precision:.4f} "
            f"R {self.pair_recall:.4f} F1 {self.pair_f1:.4f}  |  B-cubed P "
            f"{self.bcubed_precision:.4f} R {self.bcubed_recall:.4f} F1 {self.bcubed_f1:.4f}"
        )


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def score_clusters(predicted: pd.Series, truth: pd.Series, *, obj: str = "") -> Scores:
    """Score two labelings of the same records (index: record key)."""
    df = pd.DataFrame({"p": predicted, "t": truth}).dropna()
    n = len(df)
    if n == 0:
        return Scores(obj, 0, *(0.0,) * 6, 0, 0)

    def pairs(sizes: pd.Series) -> int:
        s = sizes.to_numpy(dtype="int64")
        return int((s * (s - 1) // 2).sum())

    both = df.groupby(["p", "t"]).size()
    p_size = df.groupby("p").size()
    t_size = df.groupby("t").size()
    tp, pp, tt = pairs(both), pairs(p_size), pairs(t_size)
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    # B-cubed: per record, share of its predicted (true) cluster that is right
    inter = df.join(both.rename("i"), on=["p", "t"])
    inter = inter.join(p_size.rename("np"), on="p").join(t_size.rename("nt"), on="t")
    bp = float((inter["i"] / inter["np"]).mean())
    br = float((inter["i"] / inter["nt"]).mean())
    return Scores(obj, n, precision, recall, _f1(precision, recall), bp, br, _f1(bp, br), tt, pp)


TRUTH_FILES = {"customer": "customers.csv", "invoice": "invoices.csv"}


def truth_file(truth_dir: Path | str, obj: str) -> Path:
    """Where the truth of ``obj`` lives: ``<dir>/truth/<object>s.csv`` or
    ``<dir>/<object>s.csv``; or ``truth_dir`` itself when it is a file."""
    truth_dir = Path(truth_dir)
    if truth_dir.is_file():
        return truth_dir
    if (truth_dir / "truth").is_dir():
        truth_dir = truth_dir / "truth"
    return truth_dir / TRUTH_FILES[obj]


def looks_like_truth(path: Path) -> bool:
    """Whether a CSV file's header names the truth columns."""
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            header = {c.strip() for c in f.readline().strip().split(",")}
    except OSError:
        return False
    return set(TRUTH_COLUMNS) <= header


def truth_entities(truth_dir: Path | str, obj: str) -> pd.Series:
    """record_key (``system:source_id``) -> true entity id, from the truth file of ``obj``
    (:func:`truth_file`); a clear error names the file when a column is missing."""
    path = truth_file(truth_dir, obj)
    truth = pd.read_csv(path, dtype=str)
    missing = [c for c in TRUTH_COLUMNS if c not in truth.columns]
    if missing:
        raise ResolverError(
            f"{path}: no column {', '.join(repr(c) for c in missing)}; a truth file has "
            f"the columns {', '.join(TRUTH_COLUMNS)} (found: {', '.join(truth.columns)})"
        )
    truth = truth.dropna(subset=list(TRUTH_COLUMNS))
    keys = truth["system"] + ":" + truth["source_id"]
    return pd.Series(truth["entity_id"].to_numpy(), index=keys.to_numpy(), name="entity_id")


def evaluate(
    con: duckdb.DuckDBPyConnection, truth_dir: Path | str, *, obj: str = "customer"
) -> list[Scores]:
    """Score the last published run against truth/customers.csv and truth/invoices.csv;
    or, when ``truth_dir`` is a file, against it as the truth of ``obj``."""
    if obj not in TRUTH_FILES:
        raise ResolverError(f"no object {obj!r}: one of {', '.join(TRUTH_FILES)}")
    kinds = [obj] if Path(truth_dir).is_file() else list(TRUTH_FILES)
    return [
        _score_object(con, truth_dir, kind)
        for kind in kinds
        if truth_file(truth_dir, kind).is_file()
    ]


def _score_object(con: duckdb.DuckDBPyConnection, truth_dir: Path | str, obj: str) -> Scores:
    path = truth_file(truth_dir, obj)
    truth = truth_entities(truth_dir, obj)
    pred = store_runs.members(con, obj)
    pred = pred.set_index("record_key")["entity_id"]
    found = truth.index.isin(pred.index)
    if len(truth) and not found.any():
        systems = sorted({k.split(":", 1)[0] for k in truth.index})
        loaded = sorted({k.split(":", 1)[0] for k in pred.index})
        raise ResolverError(
            f"{path}: none of its {len(truth):,} records is in the store (truth systems: "
            f"{', '.join(systems)}; loaded {obj} systems: {', '.join(loaded) or 'none'}); "
            "system and source_id must name loaded records"
        )
    # a truth record the run did not load (rejected, say) is a predicted singleton
    predicted = pred.reindex(truth.index).astype(object)
    absent = predicted.isna()
    predicted[absent] = "missing:" + predicted.index[absent]
    return score_clusters(predicted, truth, obj=obj)
