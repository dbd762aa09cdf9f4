"""The one place errors become HTTP: every error answers ``{"error": {code, message, details}}``.

| raised                                  | status | code                |
|-----------------------------------------|--------|---------------------|
| resolver NotFound                       | 404    | not_found           |
| resolver Conflict                       | 409    | conflict (details: the current state) |
| resolver InvalidDecision                | 422    | invalid_decision    |
| resolver ValidationProblems             | 422    | invalid_record (details: every problem) |
| request validation (FastAPI)            | 422    | invalid_request (details: every problem) |
| a body that is not JSON                 | 400    | malformed_json      |
| Content-Length not a number (BodyLimit) | 400    | bad_request         |
| Unauthorized / Forbidden                | 401 / 403 | unauthorized / forbidden |
| body over the limit                     | 413    | payload_too_large   |
| a full disk (resolver DiskFull, ENOSPC) | 507    | insufficient_storage (nothing was written) |
| resolver StoreError / ModelError        | 503    | store_unavailable / model_unavailable |
| anything else                           | 500    | internal (logged; no detail leaks) |
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from resolver.errors import (
    Conflict,
    DiskFull,
    InvalidDecision,
    ModelError,
    NotFound,
    ResolverError,
    StoreError,
    ValidationProblems,
)
from resolver.store.disk_full import disk_full, is_disk_full

log = logging.getLogger("resolver.api")


class ApiError(Exception):
    """An error of the HTTP layer itself (auth, limits)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


_SURROGATE = re.compile("[\ud800-\udfff]")


def _printable(value: Any) -> Any:
    """``value`` with every lone surrogate (no UTF-8 form: the response could not be
    encoded) replaced by U+FFFD, in strings and keys at any depth."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_printable(v) for v in value]
    return value


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The one error shape. Messages and details may quote what the client sent, which
    may be a string no response can carry: such characters become U+FFFD."""
    body = {"code": code, "message": message, "details": jsonable_encoder(details)}
    return {"error": _printable(body)}


def error_response(status: int, code: str, message: str, details: Any = None, headers=None):
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _resolver_error(exc: ResolverError) -> JSONResponse:
    if isinstance(exc, NotFound):
        return error_response(404, "not_found", str(exc))
    if isinstance(exc, Conflict):
        return error_response(409, "conflict", str(exc), {"current": exc.current})
    if isinstance(exc, ValidationProblems):
        details = [{"where": p.file, "field": p.key, "message": p.message} for p in exc.problems]
        return error_response(422, "invalid_record", str(exc), details)
    if isinstance(exc, InvalidDecision):
        return error_response(422, "invalid_decision", str(exc))
    if isinstance(exc, DiskFull):
        return _insufficient_storage(exc)
    if isinstance(exc, StoreError):
        return error_response(503, "store_unavailable", str(exc))
    if isinstance(exc, ModelError):
        return error_response(503, "model_unavailable", str(exc))
    return error_response(400, "bad_request", str(exc))


def _insufficient_storage(exc: BaseException) -> JSONResponse:
    """507: the server's disk is full. The cause is logged; the client learns only that
    nothing was written and it may retry later."""
    log.error("disk full: %s", disk_full(exc, writing="the store or journal"))
    return error_response(
        507, "insufficient_storage", "the server's disk is full: nothing was written; retry later"
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(ResolverError)
    async def resolver_error(request: Request, exc: ResolverError) -> JSONResponse:
        return _resolver_error(exc)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "where": ".".join(str(x) for x in e.get("loc", ())),
                "message": e.get("msg"),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        malformed = [d for d in details if d["type"] == "json_invalid"]
        if malformed:  # not JSON at all: a syntax error, not a schema one
            return error_response(
                400, "malformed_json", f"the body is not JSON: {malformed[0]['message']}", details
            )
        first = details[0] if details else {"where": "", "message": "invalid request"}
        return error_response(
            422, "invalid_request", f"{first['where']}: {first['message']}", details
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), None, exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_disk_full(exc):  # met outside the journal (DuckDB, a file)
            return _insufficient_storage(exc)
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", "internal error; the server log has the cause")
