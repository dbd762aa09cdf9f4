"""Match a new record against the resolved records."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import TypeAdapter

from api.deps import MatcherDep, Viewer
from api.schemas import ERRORS, MatchRequest, MatchResponse
from resolver.errors import Problem, ValidationProblems
from resolver.matching.results import MatchResult

router = APIRouter(tags=["match"])
# the result written as JSON straight from the matcher's dataclasses: converting it to
# dicts and validating it as MatchResponse first cost a call several milliseconds at
# 50 evidence rows (tests/api/test_matching.py checks the body is MatchResponse's)
_RESULT_JSON = TypeAdapter(MatchResult)


@router.post(
    "/match",
    summary="Find the entity of a new record",
    description="Normalizes the record as ingest would, finds candidates by the rules' "
    "blocking keys, scores them with the trained model and returns the best, each with "
    "its entity id, probability, match weight and per-comparison evidence.",
    response_model=MatchResponse,
    responses=ERRORS,
)
def match(body: MatchRequest, matcher: MatcherDep, who: Viewer) -> Response:
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
    # where the time went, for clients and benchmarks (the standard Server-Timing header)
    timing = ", ".join(f"{name};dur={ms:.3f}" for name, ms in result.timing.items())
    return Response(
        _RESULT_JSON.dump_json(result, exclude={"timing"}),
        media_type="application/json",
        headers={"Server-Timing": timing},
    )
