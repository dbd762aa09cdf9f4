"""Browser fixtures: one real server over a small demo store copy per module, and
Debian's Chromium driven by Playwright (never a downloaded browser build)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from api_helpers import KEYS, LiveServer, copy_store, make_app
from chromium import CHROMIUM, FLAGS

from resolver.demo.fixtures import DemoStore

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

if (CHROMIUM is None or sync_playwright is None) and os.environ.get("CI") != "true":
    pytest.skip("no chromium or playwright here (.ci/run installs both)", allow_module_level=True)


@pytest.fixture(scope="module")
def site(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = copy_store(demo_store, tmp_path_factory.mktemp("page-store"))
    with LiveServer(make_app(db, match=False), db) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


def sign_in(browser, site: LiveServer, role: str = "reviewer"):
    """A new browser context (its own cookies) signed in with ``role``'s key."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 820})
    page = ctx.new_page()
    page.goto(f"{site.url}/review")
    page.fill("#key", KEYS[role])
    page.press("#key", "Enter")
    page.wait_for_selector("#queue tr[data-id]")
    page.wait_for_selector("#proposal article")
    return ctx, page
