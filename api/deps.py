"""Request dependencies: the store cursor, the matcher, the caller and their role.

Signatures read like prose: ``def route(con: Store, who: Reviewer) -> ...``.

The dependencies are ``async def``: they do no blocking work (a key lookup, a
cursor, one indexed SQLite read), and FastAPI would otherwise hop to a worker
thread for each of them on every request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import duckdb
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api import session
from api.errors import Forbidden, Unauthorized
from api.key_ring import Principal, Role
from api.state import AppState
from resolver.matching import Matcher
from resolver.review import ReviewView

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="or `X-API-Key: <key>`")


async def app_state(request: Request) -> AppState:
    return request.app.state.resolver


State = Annotated[AppState, Depends(app_state)]


async def _current_store(state: AppState) -> None:
    """Reopen the store file (and build its review view) off the event loop, when a
    run has replaced it: that takes seconds on a large store."""
    if state.store.stale():
        await anyio.to_thread.run_sync(state.store.connection)


async def store_cursor(state: State) -> AsyncIterator[duckdb.DuckDBPyConnection]:
    """A cursor on the store for this request only (closed after it)."""
    await _current_store(state)
    cur = state.store.cursor()
    try:
        yield cur
    finally:
        cur.close()


Store = Annotated[duckdb.DuckDBPyConnection, Depends(store_cursor)]


async def review_view(state: State) -> ReviewView:
    """The review view of the current store file (proposals, records, decisions)."""
    await _current_store(state)
    return state.store.view()


View = Annotated[ReviewView, Depends(review_view)]


async def matcher(state: State) -> Matcher:
    await _current_store(state)
    return state.get_matcher()


MatcherDep = Annotated[Matcher, Depends(matcher)]


def page_session(request: Request, state: AppState) -> session.Session | None:
    """The review page's signed-in session, if the request carries a valid cookie."""
    return session.read(
        state.settings.session_secret, state.settings.keys, request.cookies.get(session.COOKIE)
    )


async def current_principal(
    request: Request,
    state: State,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The identity behind the presented key (or the review page's session); 401
    without either, 403 for a cross-site request on a session."""
    if state.settings.insecure_dev:
        if not session.same_origin(request) and request.method not in session.SAFE_METHODS:
            raise Forbidden("cross-site request refused: Origin is not this server")
        return Principal("dev", "admin")
    key = bearer.credentials if bearer is not None else api_key
    if not key:
        signed_in = page_session(request, state)
        if signed_in is not None:
            why = session.cross_site_refusal(request, signed_in)
            if why is not None:
                raise Forbidden(why)
            return signed_in.who
        raise Unauthorized("no API key: send `Authorization: Bearer <key>` or `X-API-Key: <key>`")
    who = state.settings.keys.lookup(key) if state.settings.keys else None
    if who is None:
        raise Unauthorized("unknown API key")
    return who


def require(role: Role):
    async def check(who: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not who.can(role):
            raise Forbidden(f"this needs the {role} role; key {who.name!r} has {who.role}")
        return who

    check.__name__ = f"require_{role}"
    return check


Viewer = Annotated[Principal, Depends(require("viewer"))]
Reviewer = Annotated[Principal, Depends(require("reviewer"))]
Admin = Annotated[Principal, Depends(require("admin"))]
