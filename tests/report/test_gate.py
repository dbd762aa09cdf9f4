"""What `resolver run` says when a health check makes the job exit 3."""

from __future__ import annotations

from resolver.report import gate

FAILED = {"scope": "billing", "check": "error_handling", "verdict": "fail"}


def test_the_default_gate_is_not_called_an_option_the_user_never_gave() -> None:
    """Without --fail-on, the message says the job's input looks broken and what gates
    by default; it does not claim `--fail-on fail (error handling, timing)` was given."""
    text = gate.exit_message(7, [FAILED], None)
    assert text.startswith("run 7 published, but its input looks broken (exit 3): ")
    assert "billing error_handling fail" in text
    assert "--fail-on fail" not in text
    assert "a failing error handling or timing check fails the job by default" in text


def test_an_explicit_fail_on_is_named() -> None:
    warn = {"scope": "crm", "check": "completeness", "verdict": "warn"}
    text = gate.exit_message(7, [FAILED, warn], "warn")
    assert text == (
        "run 7 published, but 2 check(s) reached --fail-on warn (exit 3): "
        "billing error_handling fail, crm completeness warn"
    )
