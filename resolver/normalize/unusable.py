"""Values a source gave that the normalizers could not use, counted per field.

A value present in the source but normalized to nothing, or flagged with a
reason (``email_reason``, ``phone_reason``, ``address_reason``), is unusable:
it can link nothing. Ingest counts them per source beside loaded and rejected,
so they are never silently dropped, and stores the counts in ``source_loads``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import pandas as pd

from resolver.normalize._distinct import present

Unusable = dict[str, dict[str, int]]  # field -> {kind: count}

# field -> (the canonical columns holding its raw value, the reason column, the
# normalized column that is null when nothing usable came out)
_FIELDS: dict[str, tuple[tuple[str, ...], str | None, str | None]] = {
    "email": (("email",), "email_reason", "email_norm"),
    "phone": (("phone",), "phone_reason", "phone_digits"),
    "address": (("address", "street", "city", "state", "postal_code"), "address_reason", None),
    "postal_code": (("postal_code",), None, "postal_norm"),
}


def _kinds(mask: np.ndarray, reasons: pd.Series | None) -> dict[str, int]:
    if not mask.any():
        return {}
    if reasons is None:
        return {"unreadable": int(mask.sum())}
    kinds = reasons[mask].fillna("unreadable").astype(str)
    return {k: int(v) for k, v in kinds.value_counts().sort_index().items()}


def count_unusable(loaded: pd.DataFrame, birth_raw: pd.Series | None = None) -> Unusable:
    """Per field, the loaded values that are present but unusable, by kind.

    ``loaded`` holds the canonical and normalized customer columns; ``birth_raw``
    the source's birth-date values of the same rows (a date that did not parse
    is already null in ``loaded``): partial ones (birth year kept) and invalid ones.
    """
    out: Unusable = {}
    for name, (raw_cols, reason_col, norm_col) in _FIELDS.items():
        cols = [c for c in raw_cols if c in loaded.columns]
        if not cols:
            continue
        given = np.zeros(len(loaded), dtype=bool)
        for c in cols:
            given |= present(loaded[c])
        bad = np.zeros(len(loaded), dtype=bool)
        if reason_col in loaded.columns:
            bad |= loaded[reason_col].notna().to_numpy()
        if norm_col in loaded.columns:
            bad |= loaded[norm_col].isna().to_numpy()
        kinds = _kinds(given & bad, loaded.get(reason_col) if reason_col else None)
        if kinds:
            out[name] = kinds
    if birth_raw is not None and "birth_date" in loaded.columns:
        bad = present(birth_raw) & loaded["birth_date"].isna().to_numpy()
        partial = (
            loaded["birth_date_partial"].notna().to_numpy()
            if "birth_date_partial" in loaded.columns
            else np.zeros(len(loaded), dtype=bool)
        )
        kinds = {"partial": int((bad & partial).sum()), "invalid": int((bad & ~partial).sum())}
        kinds = {k: v for k, v in kinds.items() if v}
        if kinds:
            out["birth_date"] = kinds
    return out


def format_unusable(unusable: Mapping[str, Mapping[str, int]]) -> str:
    """'phone 41 (invalid 38, placeholder 3), email 5'; '' when nothing was unusable.

    The kinds are listed unless the only one is plain 'invalid' / 'unreadable'.
    """
    parts = []
    for name, kinds in sorted(unusable.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        total = sum(kinds.values())
        if not total:
            continue
        text = f"{name} {total:,}"
        if len(kinds) > 1 or set(kinds) - {"invalid", "unreadable"}:
            ranked = sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
            text += " (" + ", ".join(f"{k} {v:,}" for k, v in ranked) + ")"
        parts.append(text)
    return ", ".join(parts)


def unusable_json(unusable: Mapping[str, Mapping[str, int]]) -> str:
    """The counts as stored in ``source_loads.unusable``."""
    return json.dumps({k: dict(sorted(v.items())) for k, v in sorted(unusable.items())})
