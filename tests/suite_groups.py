"""How ``make test`` splits the suite over its processes (``pytest -n N --dist loadgroup``,
wired in ``tests/conftest.py``)."""

from __future__ import annotations

import pytest


def run_group(nodeid: str) -> str:
    """The group a test runs in under ``make test`` (``pytest -n N --dist loadgroup``):
    its file, so a module's fixtures are built once; and one group for every Spark test,
    so the suite starts one JVM (Spark is heavy on a small machine)."""
    path = nodeid.split("::", 1)[0]
    return "spark" if path.startswith("tests/spark/") else path


def make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadgroup`` sends each :func:`run_group` whole to one worker. (pytest-xdist's
    own loadgroup reads ``xdist_group`` marks into node ids that pytest 9 no longer lets it
    change, so it spread a file's tests over the workers.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # the groups in collection order (Spark first)

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return run_group(nodeid)

    return GroupScheduling(config, log)
