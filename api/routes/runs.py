"""Runs and the health report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Store, Viewer
from api.schemas import ERRORS, Run
from resolver.errors import NotFound
from resolver.report import load_report
from resolver.store.runs import list_runs

router = APIRouter(tags=["runs"])


@router.get(
    "/runs",
    summary="List runs",
    description="Every batch run, newest first, failed and interrupted ones included.",
    response_model=list[Run],
    responses=ERRORS,
)
def runs(con: Store, who: Viewer) -> list[dict[str, Any]]:
    return list_runs(con)


@router.get(
    "/report",
    summary="The latest health report",
    description="The integration health report of the last run (as `resolver report "
    "--format json` prints it): completeness, agreement, rejects, duplicates, orphans.",
    responses=ERRORS,
)
def report(con: Store, who: Viewer) -> dict[str, Any]:

    doc = load_report(con)
    if not doc:
        raise NotFound("no health report stored yet; run `resolver run`")
    return doc
