"""Match a new record against the resolved records."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Response

from api.deps import MatcherDep, Viewer
from api.schemas import ERRORS, MatchRequest, MatchResponse
from resolver.errors import Problem, ValidationProblems

router = APIRouter(tags=["match"])


@router.post(
    "/match",
    summary="Find the entity of a new record",
    description="Normalizes the record as ingest would, finds candidates by the rules' "
    "blocking keys, scores them with the trained model and returns the best, each with "
    "its entity id, probability, match weight and per-comparison evidence.",
    response_model=MatchResponse,
    responses=ERRORS,
)
def match(
    body: MatchRequest, matcher: MatcherDep, who: Viewer, response: Response
) -> MatchResponse:
    if (body.record is None) == (body.source_record is None):
        raise ValidationProblems(
            "the request", [Problem("body", "", "send exactly one of record or source_record")]
        )
    if body.source_record is not None:
        if not body.system:
            raise ValidationProblems(
                "the request", [Problem("body", "system", "source_record needs system")]
            )
        result = matcher.match_source(body.system, body.object, body.source_record, top=body.top)
    else:
        result = matcher.match(body.object, body.record or {}, system=body.system, top=body.top)
    fields = asdict(result)
    timing = fields.pop("timing")
    # where the time went, for clients and benchmarks (the standard Server-Timing header)
    response.headers["Server-Timing"] = ", ".join(
        f"{name};dur={ms:.3f}" for name, ms in timing.items()
    )
    return MatchResponse(**fields)
