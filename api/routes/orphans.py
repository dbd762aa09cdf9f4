"""Orphans: records that break an expectation; list and resolve them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from api.deps import Reviewer, Store, Viewer
from api.schemas import ERRORS, OrphanPage, OrphanResolution, OrphanResolved, PlainText
from resolver.review import orphans

router = APIRouter(prefix="/orphans", tags=["orphans"])


@router.get(
    "",
    summary="List orphans",
    description="Orphans of the last run by id, a page at a time; resolved ones only with "
    "`include_resolved`.",
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
) -> OrphanPage:
    rows, next_cursor = orphans.list_orphans(
        con,
        object=object,
        system=system,
        expectation=expectation,
        include_resolved=include_resolved,
        after=cursor,
        limit=limit,
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
