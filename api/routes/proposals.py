"""Merge proposals: list, read, decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from api.deps import Reviewer, View, Viewer
from api.schemas import (
    ERRORS,
    DecisionRequest,
    ErrorBody,
    PlainText,
    ProposalDetail,
    ProposalPage,
    ProposalQuery,
)
from resolver import review
from resolver.errors import Conflict, InvalidDecision

router = APIRouter(prefix="/proposals", tags=["proposals"])

ProposalId = Annotated[
    str, Path(min_length=1, max_length=200, examples=["P-CUS-0000012"]), PlainText
]


@router.get(
    "",
    summary="List proposals",
    description="Proposals of the last run, filtered and sorted, a page at a time. "
    "Pass the returned `next_cursor` as `cursor` for the next page.",
    response_model=ProposalPage,
    responses=ERRORS,
)
async def list_proposals(
    query: Annotated[ProposalQuery, Query()], view: View, who: Viewer
) -> ProposalPage:
    page = review.proposal_page(
        view, query.filters(), sort=query.sort, cursor=query.cursor, limit=query.limit
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
    try:
        return review.decide(
            view,
            proposal_id,
            action=body.action,
            version=body.version,
            reviewer=who.name,
            reason=body.reason,
            groups=body.groups,
            golden=body.golden,
        )
    except InvalidDecision:
        # a decision on a version that is no longer current is a 409, whatever else is
        # wrong with it: a racing undo can be checked against a history another
        # request has just moved on ("no decision to undo"), and the client must reload
        current = review.get_proposal(view, proposal_id)
        if current.get("version") != body.version:
            raise Conflict(
                f"proposal {proposal_id} is at version {current.get('version')}, not "
                f"{body.version}: reload it and decide again",
                current,
            ) from None
        raise
