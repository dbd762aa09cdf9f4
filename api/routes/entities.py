"""Entities and the crosswalk from source ids to entity ids."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.deps import Store, Viewer
from api.schemas import ERRORS, CrosswalkRow, Entity, PlainText
from resolver import review

router = APIRouter(tags=["entities"])


@router.get(
    "/entities/{entity_id}",
    summary="Get an entity",
    description="Golden record (each value with its source record), members in every "
    "system, and lineage events.",
    response_model=Entity,
    responses=ERRORS,
)
def get_entity(
    entity_id: Annotated[
        str, Path(min_length=1, max_length=100, examples=["CUS-0000123"]), PlainText
    ],
    con: Store,
    who: Viewer,
) -> Entity:
    return review.get_entity(con, entity_id)


@router.get(
    "/crosswalk",
    summary="Entity of a source record",
    description="The entity id of (system, source_id), per object that has such a record.",
    response_model=list[CrosswalkRow],
    responses=ERRORS,
)
def crosswalk(
    con: Store,
    who: Viewer,
    system: Annotated[str, Query(min_length=1, max_length=100, examples=["crm"]), PlainText],
    source_id: Annotated[
        str, Query(min_length=1, max_length=200, examples=["CT0000001"]), PlainText
    ],
    object: Literal["customer", "invoice"] | None = None,
) -> list[CrosswalkRow]:
    return review.crosswalk_lookup(con, system=system, source_id=source_id, object=object)
