"""What a run's health verdicts mean for the job: its exit code, and the webhook post."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from resolver.report.render import summary_lines
from resolver.report.verdicts import priorities
from resolver.report.wording import (
    at_stake,
    change_line,
    check_title,
    overall,
    report_next_step,
)

# the checks whose failure means the job's own input is broken (the default gate)
BROKEN_INPUT_CHECKS = ("error_handling", "timing")
EXIT_HEALTH = 3  # the run completed, but a check reached the level --fail-on names


def tripped(checks: list[dict[str, Any]], fail_on: str | None) -> list[dict[str, Any]]:
    """The checks that make the job fail: ``fail_on`` 'warn' (any warn or fail), 'fail'
    (any fail) or None (the default: an error-handling or timing failure)."""
    if fail_on == "warn":
        return [c for c in checks if c["verdict"] in ("warn", "fail")]
    if fail_on == "fail":
        return [c for c in checks if c["verdict"] == "fail"]
    if fail_on is None:
        return [c for c in checks if c["verdict"] == "fail" and c["check"] in BROKEN_INPUT_CHECKS]
    raise ValueError(f"--fail-on must be warn or fail, not {fail_on!r}")


def exit_message(run_id: int, tripped: list[dict[str, Any]], fail_on: str | None) -> str:
    """The line `resolver run` ends with when ``tripped`` checks make it exit 3."""
    names = ", ".join(f"{c['scope']} {c['check']} {c['verdict']}" for c in tripped)
    if fail_on is None:
        shown = " or ".join(check_title(c) for c in BROKEN_INPUT_CHECKS)
        return (
            f"run {run_id} published, but its input looks broken (exit {EXIT_HEALTH}): "
            f"{names}; a failing {shown} check fails the job by default "
            "(--fail-on warn|fail to fail on more)"
        )
    return (
        f"run {run_id} published, but {len(tripped)} check(s) reached --fail-on {fail_on} "
        f"(exit {EXIT_HEALTH}): {names}"
    )


def webhook_payload(report: dict[str, Any]) -> dict[str, Any]:
    """The summary a webhook receives: verdict, grid, priorities with their next steps,
    the money at stake, what changed, and the text of them."""
    prio = priorities(report.get("checks", []))
    return {
        "run_id": report.get("run_id"),
        "verdict": overall(report),
        "checks": [
            {k: c.get(k) for k in ("check", "scope", "verdict", "figure", "unit")}
            | {"money_at_stake_cents": c.get("money_at_stake_cents")}
            for c in report.get("checks", [])
        ],
        "priorities": [c["sentence"] for c in prio],
        "next_steps": [
            f"{c['scope']} {check_title(c['check'])}: {report_next_step(report, c)}" for c in prio
        ],
        "at_stake": at_stake(report),
        "changes": change_line(report),
        "text": "\n".join(summary_lines(report)),
    }


def post_summary(url: str, report: dict[str, Any], *, timeout: float = 10.0) -> int:
    """POST the summary as JSON to ``url``; returns the HTTP status. Raises OSError
    (URLError) when the receiver cannot be reached or answers an error."""
    body = json.dumps(webhook_payload(report), default=str).encode("utf-8")
    req = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return int(resp.status)
