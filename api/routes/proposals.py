"""Merge proposals: list, read, decide."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from api.deps import Reviewer, View, Viewer
from api.schemas import ERRORS, DecisionRequest, ErrorBody, ProposalDetail, ProposalPage
from resolver import review

router = APIRouter(prefix="/proposals", tags=["proposals"])

ProposalId = Annotated[str, Path(min_length=1, max_length=200, examples=["P-CUS-0000012"])]
Confidence = Annotated[float | None, Query(ge=0, le=1, allow_inf_nan=False)]


@router.get(
    "",
    summary="List proposals",
    description="Proposals of the last run, filtered and sorted, a page at a time. "
    "Pass the returned `next_cursor` as `cursor` for the next page.",
    response_model=ProposalPage,
    responses=ERRORS,
)
async def list_proposals(
    view: View,
    who: Viewer,
    object: Literal["customer", "invoice"] | None = None,
    system: Annotated[str | None, Query(max_length=100, examples=["crm"])] = None,
    status: Annotated[
        Literal["open", "accepted", "rejected", "split", "any"],
        Query(description="`any` lists every status"),
    ] = "open",
    action: Annotated[
        Literal["auto_merge", "review", "none"] | None, Query(description="suggested action")
    ] = None,
    kind: Literal["duplicate", "link", "review_pair"] | None = None,
    min_confidence: Confidence = None,
    max_confidence: Confidence = None,
    sort: Annotated[
        Literal["stake", "confidence", "-confidence", "records", "id"],
        Query(description="stake: money at stake first; confidence: weakest first"),
    ] = "stake",
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,12}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ProposalPage:
    page = review.list_proposals(
        view,
        object=object,
        system=system,
        status=None if status == "any" else status,
        action=action,
        kind=kind,
        min_confidence=min_confidence,
        max_confidence=max_confidence,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    return ProposalPage(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/{proposal_id}",
    summary="Get a proposal",
    description="Members with their values, golden record, per-pair evidence, decision "
    "history and what changed since the last decision.",
    response_model=ProposalDetail,
    responses=ERRORS,
)
async def get_proposal(proposal_id: ProposalId, view: View, who: Viewer) -> ProposalDetail:
    return review.get_proposal(view, proposal_id)


@router.post(
    "/{proposal_id}/decisions",
    summary="Decide on a proposal",
    description="accept / reject / split (with `groups`) / undo, against the `version` "
    "you reviewed. A stale version answers 409 with the current state in "
    "`error.details.current`. The reviewer recorded is the API key's identity.",
    response_model=ProposalDetail,
    status_code=status.HTTP_201_CREATED,
    responses={**ERRORS, 409: {"model": ErrorBody, "description": "stale version"}},
)
def decide(
    proposal_id: ProposalId, body: DecisionRequest, view: View, who: Reviewer
) -> ProposalDetail:
    return review.decide(
        view,
        proposal_id,
        action=body.action,
        version=body.version,
        reviewer=who.name,
        reason=body.reason,
        groups=body.groups,
    )
