"""Liveness and readiness (no key needed; says nothing sensitive)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import State
from api.schemas import Health
from resolver.errors import StoreError
from resolver.store.runs import latest_run

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Health", response_model=Health)
def healthz(state: State) -> Health:
    try:
        cur = state.store.cursor()
        try:
            run = latest_run(cur)
        finally:
            cur.close()
        store_status, run_id = "ok", (run or {}).get("run_id")
    except StoreError as exc:
        store_status, run_id = f"unavailable: {exc}", None
    if not state.settings.match:
        matcher = "disabled"
    elif state.matcher is not None:
        matcher = "ready"
    else:
        matcher = f"unavailable: {state.matcher_error or 'building'}"
    ok = store_status == "ok" and matcher in ("ready", "disabled")
    return Health(
        status="ok" if ok else "degraded", store=store_status, run_id=run_id, matcher=matcher
    )
