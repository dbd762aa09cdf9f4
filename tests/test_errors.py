"""Problems over several files are gathered and reported at once."""

from __future__ import annotations

import pytest

from resolver.errors import Problem, Problems, RulesError, ValidationProblems


def _refuse(file: str) -> int:
    raise RulesError([Problem(file, "key", "bad")])


def test_problems_keeps_reading_after_a_file_is_refused_and_reports_them_all() -> None:
    found = Problems()
    assert found.read(lambda: _refuse("a.yaml"), 0) == 0
    assert found.read(lambda: 7, 0) == 7
    assert found.read(lambda: _refuse("b.yaml"), -1) == -1
    with pytest.raises(RulesError) as exc:
        found.raise_any(RulesError)
    assert [p.file for p in exc.value.problems] == ["a.yaml", "b.yaml"]


def test_nothing_found_raises_nothing() -> None:
    found = Problems()
    found.read(lambda: 1, 0)
    found.raise_any(lambda problems: ValidationProblems("x", problems))


def test_an_error_that_is_not_a_validation_problem_goes_through() -> None:
    def broken() -> int:
        raise OSError("disk")

    with pytest.raises(OSError):
        Problems().read(broken, 0)
