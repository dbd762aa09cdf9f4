"""``create_app(settings)``: the FastAPI app over one store."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import docs_assets, errors, review_page
from api.limits import BodyLimit
from api.routes import bulk, entities, exports, health, match, orphans, proposals, runs
from api.settings import Settings
from api.state import AppState, StoreHandle

log = logging.getLogger("resolver.api")
say = logging.getLogger("uvicorn.error")  # what uvicorn prints at start-up, beside its own lines

SERVE_ENV = "RESOLVER_SERVE_SETTINGS"  # `resolver serve --workers N` passes its arguments here

DESCRIPTION = """
The merge-review API of resolver: proposals to review and decide, orphans to
resolve, entities and the crosswalk, and `POST /match` for another system to find
the entity of a new record.

**Auth**: `Authorization: Bearer <key>` or `X-API-Key: <key>`. Roles: `viewer`
reads, `reviewer` also decides, `admin` everything. 401 = no or unknown key,
403 = role too low.

**Errors** always answer `{"error": {"code", "message", "details"}}`.
"""


def create_app(settings: Settings) -> FastAPI:
    """Build the app. Opens the store (read-only) and builds the matcher at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:

        state: AppState = app.state.resolver
        started = time.perf_counter()
        say.info("opening %s and its review view ...", settings.db)
        # fail fast on a missing or foreign store
        await anyio.to_thread.run_sync(state.store.connection)
        view = state.store.view()
        say.info(
            "review view ready in %.1f s (%s): %s proposals, %s records",
            time.perf_counter() - started,
            "memory-mapped" if view.mapped else "read into memory",
            f"{view.proposals.size:,}",
            f"{sum(len(r) for r in view.records.values()):,}",
        )
        if settings.match:
            started = time.perf_counter()
            await anyio.to_thread.run_sync(state.build_matcher)
            say.info(
                "matcher %s in %.1f s",
                "ready" if state.matcher is not None else f"unavailable ({state.matcher_error})",
                time.perf_counter() - started,
            )
        log.info("resolver API ready on %s", settings.db)
        try:
            yield
        finally:
            state.store.close()

    app = FastAPI(
        title="resolver",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by docs_assets from local files
        redoc_url=None,  # ReDoc would load from a CDN
    )
    app.state.resolver = AppState(settings=settings, store=StoreHandle(settings.db))
    errors.install(app)
    for module in (proposals, bulk, orphans, entities, match, runs, exports, health):
        app.include_router(module.router)
    docs_assets.install(app)
    app.include_router(review_page.router)
    app.mount(
        "/review/static",
        StaticFiles(directory=review_page.routes.HERE / "static"),
        name="review-static",
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app


def app_from_env() -> FastAPI:
    """The app of one worker process of ``resolver serve --workers N`` (a uvicorn
    factory): the settings come from ``$RESOLVER_SERVE_SETTINGS``."""

    args = json.loads(os.environ[SERVE_ENV])
    return create_app(Settings.load(**args))
