"""Fix lists per system, for an integration to pull: merges, corrections, missing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from api.deps import State, Store, Viewer
from api.schemas import ERRORS, PlainText
from resolver.exports.lists import fix_list, last_run
from resolver.exports.log import log_export
from resolver.exports.reverse import system_contracts

router = APIRouter(prefix="/exports", tags=["exports"])


@router.get(
    "/{kind}",
    summary="A system's fix list",
    description="The fix list of the last run for one system and object, in that system's "
    "own ids and column names: `merges` (accepted only unless `include_suggested`), "
    "`corrections` or `missing`. Each row's `fix_id` is stable across runs; the fixes "
    "pulled are logged, so a later run's report lists any still not applied.",
    responses=ERRORS,
)
def export_fixes(
    con: Store,
    state: State,
    who: Viewer,
    kind: Annotated[Literal["merges", "corrections", "missing"], Path()],
    system: Annotated[
        str, Query(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*$"), PlainText
    ],
    object: Literal["customer", "invoice"] = "customer",
    include_suggested: bool = False,
) -> dict[str, Any]:
    contracts = system_contracts(state.settings.rules_dir, system)
    df = fix_list(con, kind, contracts, obj=object, include_suggested=include_suggested)
    run_id = last_run(con)
    log_export(
        state.settings.db, kind=kind, system=system, run_id=run_id, fix_ids=list(df["fix_id"])
    )
    return {
        "kind": kind,
        "system": system,
        "object": object,
        "run_id": run_id,
        "columns": [str(c) for c in df.columns],
        "rows": df.to_dict(orient="records"),
    }
