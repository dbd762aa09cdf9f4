"""The batch job reads as its stages: each a named function with typed inputs and
outputs, timed under its name by the run's Progress, run in the order listed."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

from resolver import pipeline
from resolver.progress import Advance, Progress


class Recording(Progress):
    """Progress that keeps the names of the stages it timed, in the order they opened."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    def _open(self, name: str, total: int | None, unit: str) -> Advance:
        self.opened.append(name)
        return super()._open(name, total, unit)


def test_every_stage_has_typed_inputs_and_outputs() -> None:
    for fn in (*pipeline.RUN_STAGES, *pipeline.OBJECT_STAGES):
        inner = inspect.unwrap(fn)
        hints = typing.get_type_hints(inner, vars(pipeline))
        params = list(inspect.signature(inner).parameters)
        assert params[0] == "batch", fn.__name__
        assert set(params) <= set(hints), f"{fn.__name__}: untyped {set(params) - set(hints)}"
        assert "return" in hints, fn.__name__
        assert fn.stage_name, fn.__name__


def test_the_stages_are_timed_under_their_names_in_order(demo_world: Path, tmp_path: Path) -> None:
    progress = Recording()
    summary = pipeline.run_batch(
        rules_dir="rules", db_path=tmp_path / "s.duckdb", data_dir=demo_world, progress=progress
    )
    # sources first (each timed by ingest), then each object's stages, then the run's
    first_object_stage = progress.opened.index("input customer")
    sources = progress.opened[:first_object_stage]
    assert sources and all("/" in name for name in sources)
    with_a_saved_model = [
        s for s in pipeline.OBJECT_STAGES if s not in (pipeline.derive_model, pipeline.fit_model)
    ]
    per_object = [
        s.stage_name.format(obj=obj) for obj in pipeline.OBJECTS for s in with_a_saved_model
    ]
    after = ["orphans", "report", "publish"]
    assert [s.stage_name for s in pipeline.RUN_STAGES[2:]] == after
    assert progress.opened[first_object_stage:] == per_object + after
    # the summary stored with the run carries the same timings (publish is timed after)
    assert list(summary.timings) == list(dict.fromkeys(progress.opened[:-1]))
