"""Request dependencies: the store cursor, the matcher, the caller and their role.

Signatures read like prose: ``def route(con: Store, who: Reviewer) -> ...``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import duckdb
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.errors import Forbidden, Unauthorized
from api.keys import Principal, Role
from api.state import AppState
from resolver.matching import Matcher

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="or `X-API-Key: <key>`")


def app_state(request: Request) -> AppState:
    return request.app.state.resolver


State = Annotated[AppState, Depends(app_state)]


def store_cursor(state: State) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the store for this request only (closed after it)."""
    cur = state.store.cursor()
    try:
        yield cur
    finally:
        cur.close()


Store = Annotated[duckdb.DuckDBPyConnection, Depends(store_cursor)]


def matcher(state: State) -> Matcher:
    return state.get_matcher()


MatcherDep = Annotated[Matcher, Depends(matcher)]


def current_principal(
    state: State,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The identity behind the presented key; 401 without a known key."""
    if state.settings.insecure_dev:
        return Principal("dev", "admin")
    key = bearer.credentials if bearer is not None else api_key
    if not key:
        raise Unauthorized("no API key: send `Authorization: Bearer <key>` or `X-API-Key: <key>`")
    who = state.settings.keys.lookup(key) if state.settings.keys else None
    if who is None:
        raise Unauthorized("unknown API key")
    return who


def require(role: Role):
    def check(who: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not who.can(role):
            raise Forbidden(f"this needs the {role} role; key {who.name!r} has {who.role}")
        return who

    check.__name__ = f"require_{role}"
    return check


Viewer = Annotated[Principal, Depends(require("viewer"))]
Reviewer = Annotated[Principal, Depends(require("reviewer"))]
Admin = Annotated[Principal, Depends(require("admin"))]
