"""The review page under scripted keyboard decisions, in headless Chromium.

Copies a store (its decisions are not touched), serves it, signs in, and presses
``a`` (accept) on one proposal after another: reports the median and p95 time from
the key press to the next proposal shown, and the page's first load (navigation to
the first proposal on screen).

    python benchmarks/review_page.py --db data/demo.duckdb --decisions 50
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

# benchmarks/api.py would shadow the api package: look it up from the project root
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import uvicorn  # noqa: E402

from api import Settings, create_app  # noqa: E402
from api.key_ring import KeyRing, Principal, hash_key  # noqa: E402
from resolver.store.journal import journal_path  # noqa: E402
from tests.chromium import FLAGS as CHROMIUM_ARGS  # noqa: E402


def _copy(db: Path, dest: Path) -> Path:
    out = dest / "bench.duckdb"
    shutil.copyfile(db, out)
    if journal_path(db).exists():
        with sqlite3.connect(journal_path(db)) as a, sqlite3.connect(journal_path(out)) as b:
            a.backup(b)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--decisions", type=int, default=50)
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    key = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as tmp:
        db = _copy(args.db, Path(tmp))
        keys = KeyRing({hash_key(key): Principal("bench", "reviewer")})
        app = create_app(Settings(db=db, keys=keys, match=False))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}/review"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1366, "height": 820})
                page.goto(url)
                page.fill("#key", key)
                page.press("#key", "Enter")
                page.wait_for_selector("#proposal article")
                started = time.perf_counter()
                page.goto(url)  # first load of the signed-in page
                page.wait_for_selector("#proposal article")
                first_load = (time.perf_counter() - started) * 1000
                page.evaluate(
                    """() => { window.__t = []; document.addEventListener('keydown', e => {
                      if (e.key === 'a') window.__k = performance.now(); }, true);
                      document.addEventListener('proposal-shown', () => {
                      if (window.__k) { window.__t.push(performance.now() - window.__k);
                      window.__k = 0; } }); }"""
                )
                for n in range(args.decisions):
                    page.keyboard.press("a")
                    page.wait_for_function(f"() => window.__t.length > {n}", timeout=30_000)
                times = page.evaluate("() => window.__t")
                browser.close()
        finally:
            server.should_exit = True
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    print(f"store: {args.db}  decisions: {len(times)}")
    print(
        f"key press -> next proposal shown: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms"
    )
    print(f"first load (signed in, to first proposal shown): {first_load:.0f} ms")


if __name__ == "__main__":
    main()
