"""What a match returns: candidates with their evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """One comparison's outcome for a pair: its level and the weight it adds."""

    comparison: str
    level: str
    gamma: int
    match_weight: float  # log2(m/u) of the level, plus its term-frequency adjustment
    tf_adjustment: float


@dataclass(frozen=True)
class Candidate:
    """A resolved record the new record may be, with the model's evidence."""

    record_key: str
    entity_id: str | None
    system: str
    source_id: str
    match_probability: float
    match_weight: float
    veto: str | None
    evidence: list[Evidence]


@dataclass(frozen=True)
class MatchResult:
    object: str
    normalized: dict[str, Any]
    candidates: list[Candidate]
    candidates_considered: int
    truncated: bool  # a blocking key was left out: its records would pass the candidate budget
    prior: float
    prior_source: str  # "run" (the last run's estimate) or "model" (the trained prior)
    model_version: str
    run_id: int | None
    # why no stored record was compared: the keys the record fills, those it nearly does
    no_candidates: str | None = None
    # milliseconds spent finding the candidates and scoring them (the API's Server-Timing)
    timing: dict[str, float] = field(default_factory=dict, compare=False)
