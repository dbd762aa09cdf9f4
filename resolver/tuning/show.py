"""``display`` for notebooks that also run as plain scripts.

Under IPython (Jupyter, nbclient, ``ipython script.py``) it is IPython's own
``display``. Under plain ``python notebooks/NN_name.py`` there is no front end: tables
and text are printed, and charts (Altair's and Splink's) are saved as HTML files into
:func:`charts_dir`, their paths printed.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from itertools import count
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import display as ipython_display

_saved = count(1)
_charts_dir: Path | None = None


def under_ipython() -> bool:
    """True inside a running IPython shell or Jupyter kernel."""
    if "IPython" not in sys.modules:  # never imported: nothing is running it
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - a broken install
        return False
    return get_ipython() is not None


def use_charts_dir(folder: Path | str) -> None:
    """Where charts go when neither ``RESOLVER_CHARTS`` nor ``RESOLVER_WORKDIR`` is set
    (:func:`resolver.tuning.workspace` sets its scratch folder's ``charts/``)."""
    global _charts_dir
    _charts_dir = Path(folder)


def charts_dir() -> Path:
    """Where charts go when there is no front end: ``RESOLVER_CHARTS``, else
    ``$RESOLVER_WORKDIR/charts``, else the last workspace's ``charts/``, else a new
    temporary folder (one per process)."""
    global _charts_dir
    if os.environ.get("RESOLVER_CHARTS"):
        folder = Path(os.environ["RESOLVER_CHARTS"])
    elif os.environ.get("RESOLVER_WORKDIR"):
        folder = Path(os.environ["RESOLVER_WORKDIR"]) / "charts"
    else:
        if _charts_dir is None:
            _charts_dir = Path(tempfile.mkdtemp(prefix="resolver-charts-"))
        folder = _charts_dir
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def is_chart(obj: Any) -> bool:
    """An Altair chart or a Splink chart: both save themselves as HTML."""
    module = type(obj).__module__ or ""
    return module.startswith(("altair", "splink")) and callable(getattr(obj, "save", None))


def save_chart(chart: Any, name: str | None = None) -> Path:
    """Save ``chart`` as a standalone HTML file in :func:`charts_dir`; return its path.

    Files are numbered in the order they are saved, after the running script's name
    (``02_tune_customer_model-03.html``) or ``name`` when given.
    """
    stem = name or Path(sys.argv[0] or "chart").stem or "chart"
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)
    path = charts_dir() / f"{stem}-{next(_saved):02d}.html"
    chart.save(str(path))
    return path


def display(*objs: Any, name: str | None = None) -> None:
    """Show ``objs``: IPython's display under IPython, else print them (saving charts)."""
    if under_ipython():
        ipython_display(*objs)
        return
    for obj in objs:
        if obj is None:
            continue
        if is_chart(obj):
            print(f"chart saved to {save_chart(obj, name)}")
        elif isinstance(obj, pd.DataFrame | pd.Series):
            with pd.option_context("display.max_columns", None, "display.width", 200):
                print(obj)
        else:
            print(obj)
