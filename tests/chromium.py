"""Debian's Chromium, headless, the one way the suite and the benchmarks start it.

Never a downloaded browser build. Without the background-networking flags Chromium
keeps trying to reach Google's hosts, which this machine's closed network refuses.
"""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
