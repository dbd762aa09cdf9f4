"""The HTML health report renders in a real browser (headless Chromium)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from chromium import CHROMIUM, FLAGS

from resolver import store
from resolver.demo.fixtures import DemoStore
from resolver.report import load_report, render

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI") != "true",
    reason="no chromium here (.ci/run installs it in CI)",
)


def test_the_html_report_renders_in_chromium(demo_store: DemoStore, tmp_path: Path) -> None:
    con = store.connect(demo_store.db, read_only=True)
    try:
        html = render(load_report(con), "html")
    finally:
        con.close()
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    base = [CHROMIUM or "chromium", *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*base, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "<svg" in dom and "Integration health report" in dom
    # the page opens with the verdict grid and draws the trend chart inline
    assert dom.index("Verdicts") < dom.index("Priorities") < dom.index("Trend")
    assert "<polyline" in dom or "<circle" in dom
    # the screenshot is kept: $RESOLVER_SCREENSHOT_DIR (CI artifacts) or the test's folder
    shots = Path(os.environ.get("RESOLVER_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / "health-report.png"
    subprocess.run(
        [*base, "--window-size=1200,1400", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a drawn page, not blank
