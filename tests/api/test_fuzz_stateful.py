"""Stateful schemathesis against a real uvicorn server: sequences of calls that feed
one response into the next request (a listed proposal's id and version into its
decision, a listed orphan's id into its resolution or undo), as a reviewer's session
does. Whatever the sequence, no answer is a 5xx and every error has the one shape.

The suite runs a short sequence budget; ``make fuzz`` runs the same test (and the
stateless one) with many more examples (``RESOLVER_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import schemathesis
from api_helpers import LiveServer, copy_store, headers, make_app
from hypothesis import HealthCheck, settings

from api import Settings, create_app
from resolver.demo.fixtures import DemoStore

EXAMPLES = int(os.environ.get("RESOLVER_FUZZ_EXAMPLES", "0")) or 30  # call sequences
STEPS = 8  # calls per sequence

SCHEMA = schemathesis.openapi.from_dict(
    create_app(Settings(db=Path("unused"), insecure_dev=True)).openapi()
)


@pytest.fixture(scope="module")
def server(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = copy_store(demo_store, tmp_path_factory.mktemp("fuzz-stateful"))
    with LiveServer(make_app(db), db) as s:
        yield s


class Workflow(SCHEMA.as_state_machine()):  # type: ignore[misc]
    url: ClassVar[str] = ""
    seen: ClassVar[dict[int, int]] = {}

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"base_url": self.url, "headers": headers("admin"), "timeout": 30}

    def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
        code = response.status_code
        Workflow.seen[code] = Workflow.seen.get(code, 0) + 1
        assert code < 500, (case.as_curl_command(), response.text[:500])
        if code >= 400:
            err = response.json()
            assert set(err) == {"error"}, err
            assert set(err["error"]) == {"code", "message", "details"}, err


def test_call_sequences_never_make_a_5xx(server: LiveServer) -> None:
    Workflow.url = server.url
    Workflow.seen = {}
    Workflow.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
    )
    print("status codes seen:", dict(sorted(Workflow.seen.items())))
    # the sequences reached the server and got past its gates, not only 4xx
    assert sum(n for code, n in Workflow.seen.items() if code < 300) > 0, Workflow.seen
    assert sum(Workflow.seen.values()) >= EXAMPLES, Workflow.seen
