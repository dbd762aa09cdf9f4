"""Schemathesis: whatever a client sends to any operation of the OpenAPI schema (valid
per the schema or not), the answer is never a 5xx, and every error has the one shape.

(Schemathesis' pytest plugin does not run under pytest 9 yet, so the cases are drawn
from its Hypothesis strategies and sent with a TestClient.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from api_helpers import copy_store, headers, make_app
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from api import Settings, create_app

# per operation and mode: bounded, the suite stays quick; `make fuzz` sets many more
MAX_EXAMPLES = int(os.environ.get("RESOLVER_FUZZ_EXAMPLES", "0")) or 30

# the schema only: building the app reads nothing
SCHEMA = schemathesis.openapi.from_dict(
    create_app(Settings(db=Path("unused"), insecure_dev=True)).openapi()
)
OPERATIONS = [r.ok() for r in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
def fuzz_client(demo_store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = copy_store(demo_store, tmp_path_factory.mktemp("fuzz-store"))
    with TestClient(make_app(db), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_input_makes_a_5xx(fuzz_client: TestClient, operation, mode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case) -> None:
        kw = case.as_transport_kwargs(base_url="http://testserver")
        sent = {
            k: v
            for k, v in kw["headers"].items()
            if k.lower() not in ("authorization", "x-api-key")
        }
        sent.update(headers("admin"))
        body = {k: kw[k] for k in ("json", "data") if k in kw}
        if "data" in body and not isinstance(body["data"], (bytes, str)):
            body = {"content": str(body["data"]).encode()}
        elif "data" in body:
            body = {"content": body["data"]}
        r = fuzz_client.request(
            kw["method"], kw["url"], params=kw.get("params"), headers=sent, **body
        )
        assert r.status_code < 500, (case.as_curl_command(), r.text)
        if r.status_code >= 400:
            err = r.json()
            assert set(err) == {"error"}, err
            assert set(err["error"]) == {"code", "message", "details"}

    try:
        check()
    except Unsatisfiable:
        pytest.skip(f"{operation.label} takes no input that could be invalid")
