"""Bulk decisions: accept every auto-merge suggestion a filter selects, undo it as one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from api.deps import Reviewer, View, Viewer
from api.schemas import (
    ERRORS,
    BulkAccepted,
    BulkAcceptRequest,
    BulkFilter,
    BulkPreview,
    BulkUndone,
    ErrorBody,
    PlainText,
    UndoRequest,
)
from resolver.review import bulk

router = APIRouter(prefix="/bulk-decisions", tags=["proposals"])


@router.get(
    "/preview",
    summary="Preview a bulk accept",
    description="How many open proposals suggested for auto-merge match the filter, and "
    "their money at stake: confirm these figures in `POST /bulk-decisions`.",
    response_model=BulkPreview,
    responses=ERRORS,
)
async def preview(query: Annotated[BulkFilter, Query()], view: View, who: Viewer) -> BulkPreview:
    return BulkPreview(**bulk.bulk_preview(view, query.filters()))


@router.post(
    "",
    summary="Accept every auto-merge suggestion matching a filter",
    description="One step, recorded all or nothing. `expect_count` and "
    "`expect_stake_cents` are the preview you confirmed: a selection that changed since "
    "answers 409 with the fresh preview in `error.details.current`.",
    response_model=BulkAccepted,
    status_code=status.HTTP_201_CREATED,
    responses={**ERRORS, 409: {"model": ErrorBody, "description": "the selection changed"}},
)
def accept(body: BulkAcceptRequest, view: View, who: Reviewer) -> BulkAccepted:
    out = bulk.bulk_accept(
        view,
        body.filters(),
        reviewer=who.name,
        expect_count=body.expect_count,
        expect_stake_cents=body.expect_stake_cents,
        reason=body.reason,
    )
    return BulkAccepted(**out)


@router.post(
    "/{batch_id}/undo",
    summary="Undo a bulk accept",
    description="Undoes, in one step, every decision of the bulk step still in force.",
    response_model=BulkUndone,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
def undo(
    batch_id: Annotated[str, Path(min_length=1, max_length=100), PlainText],
    body: UndoRequest,
    view: View,
    who: Reviewer,
) -> BulkUndone:
    return BulkUndone(**bulk.undo_bulk(view, batch_id, reviewer=who.name, reason=body.reason))
