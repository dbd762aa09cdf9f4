"""Orphans: records that break an expectation; list and resolve them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from api.deps import Reviewer, Store, Viewer
from api.schemas import (
    ERRORS,
    OrphanPage,
    OrphanResolution,
    OrphanResolved,
    OrphanUndone,
    PlainText,
    UndoRequest,
)
from resolver.review import orphans
from resolver.review.orphans.undo import undo_orphan_resolution

router = APIRouter(prefix="/orphans", tags=["orphans"])


@router.get(
    "",
    summary="List orphans",
    description="Orphans of the last run, a page at a time, by id or (`sort=money`) by "
    "amount at stake then age; resolved ones only with `include_resolved`.",
    response_model=OrphanPage,
    responses=ERRORS,
)
def list_orphans(
    con: Store,
    who: Viewer,
    object: Literal["customer", "invoice"] | None = None,
    system: Annotated[str | None, Query(max_length=100), PlainText] = None,
    expectation: Annotated[str | None, Query(max_length=200), PlainText] = None,
    include_resolved: bool = False,
    cursor: Annotated[str | None, Query(max_length=200), PlainText] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    sort: Literal["id", "money"] = "id",
) -> OrphanPage:
    rows, next_cursor = orphans.list_orphans(
        con,
        object=object,
        system=system,
        expectation=expectation,
        include_resolved=include_resolved,
        after=cursor,
        limit=limit,
        sort=sort,
    )
    return OrphanPage(items=rows, next_cursor=next_cursor)


@router.post(
    "/{orphan_id}/resolution",
    summary="Resolve an orphan",
    description="`link` names the record that satisfies the expectation (`record_key`); "
    "`expected` says it is fine as it is (`reason` required).",
    response_model=OrphanResolved,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
def resolve(
    orphan_id: Annotated[str, Path(min_length=1, max_length=200), PlainText],
    body: OrphanResolution,
    con: Store,
    who: Reviewer,
) -> OrphanResolved:
    decision_id = orphans.resolve_orphan(
        con,
        orphan_id,
        action=body.action,
        reviewer=who.name,
        reason=body.reason,
        record_key=body.record_key,
    )
    return OrphanResolved(orphan_id=orphan_id, decision_id=decision_id)


@router.post(
    "/{orphan_id}/undo",
    summary="Undo an orphan's resolution",
    description="The link or `expected` in force on the orphan stops counting; it is open "
    "again, and the next run no longer honours the resolution.",
    response_model=OrphanUndone,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
def undo(
    orphan_id: Annotated[str, Path(min_length=1, max_length=200), PlainText],
    body: UndoRequest,
    con: Store,
    who: Reviewer,
) -> OrphanUndone:
    decision_id = undo_orphan_resolution(con, orphan_id, reviewer=who.name, reason=body.reason)
    return OrphanUndone(orphan_id=orphan_id, decision_id=decision_id)
