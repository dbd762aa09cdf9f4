"""Docs match code: every route and every error code is in api/README.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api import Settings, create_app

DOC = (Path(__file__).resolve().parents[2] / "api" / "README.md").read_text(encoding="utf-8")
APP = create_app(Settings(db=Path("unused"), insecure_dev=True))
ROUTES = sorted((m.upper(), path) for path, ops in APP.openapi()["paths"].items() for m in ops)


@pytest.mark.parametrize("method, path", ROUTES)
def test_every_route_is_documented(method: str, path: str) -> None:
    assert f"`{method} {path}`" in DOC


def test_every_error_code_is_documented() -> None:
    source = (Path(__file__).resolve().parents[2] / "api" / "errors.py").read_text()
    codes = set(re.findall(r'error_response\(\s*\d+, "([a-z_]+)"', source))
    codes |= set(re.findall(r'status, code = \d+, "([a-z_]+)"', source))
    assert len(codes) > 8
    codes -= {"bad_request", "internal"}  # fallbacks no client input should reach
    for code in codes:
        assert f"`{code}`" in DOC, code


@pytest.mark.parametrize("method, path", ROUTES)
def test_openapi_lists_the_400_and_422(method: str, path: str) -> None:
    """A body that is not JSON is a 400 (a malformed Content-Length too, where the
    server lets the request reach the app); every operation lists it."""
    op = APP.openapi()["paths"][path][method.lower()]
    if path == "/healthz":
        return  # takes nothing, needs no key
    assert "400" in op["responses"] and "422" in op["responses"], sorted(op["responses"])
    if "requestBody" in op:
        assert "not JSON" in op["responses"]["400"]["description"]
