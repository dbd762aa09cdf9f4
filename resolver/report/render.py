"""Render a health report as Markdown, one self-contained HTML page, or JSON.

Both open with the one page an ops manager acts on: the verdict grid (integrations x
checks), then the priorities in plain words with counts and money, then the trend of
each check over the kept runs, and only then the detail with readable examples.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any, Literal

from resolver.report.health_rules import CHECKS
from resolver.report.html import html_page
from resolver.report.verdicts import dollars, grid, priorities, priorities_left_out
from resolver.report.wording import (
    at_stake,
    change_line,
    example_text,
    figure_text,
    headline,
    report_next_step,
)

WIDTH = 100
MARK = {"pass": "pass", "warn": "WARN", "fail": "FAIL"}
CHECK_TITLES = {
    "completeness": "completeness",
    "field_mapping": "field mapping",
    "error_handling": "error handling",
    "timing": "timing",
    "update_handling": "updates",
    "duplicates": "duplicates",
    "orphans": "orphans",
}


def render(report: dict[str, Any], fmt: Literal["md", "html", "json"]) -> str:
    """The report as ``md`` (reads at 100 columns), ``html`` or ``json``."""
    if fmt == "json":
        return json.dumps(report, indent=2, sort_keys=True, default=str) + "\n"
    if fmt == "md":
        return _markdown(report)
    if fmt == "html":
        return html_page(report)
    raise ValueError(f"unknown report format {fmt!r}; use md, html or json")


def grid_lines(report: dict[str, Any]) -> list[str]:
    """The verdict grid as fixed-width text: one row per integration, one column per check."""
    g = grid(report.get("checks", []))
    scopes = list(g)
    w = max([len(s) for s in scopes] + [len("integration")])
    cols = [CHECK_TITLES[c] for c in CHECKS]
    head = f"{'integration':<{w}}  " + "  ".join(f"{c:<{max(len(c), 4)}}" for c in cols)
    lines = [head, "-" * len(head)]
    for s in scopes:
        cells = [
            f"{MARK.get(g[s].get(c, ''), '·'):<{max(len(CHECK_TITLES[c]), 4)}}" for c in CHECKS
        ]
        lines.append(f"{s:<{w}}  " + "  ".join(cells).rstrip())
    return lines


def head_lines(report: dict[str, Any]) -> list[str]:
    """What an ops manager reads first: checks failing, money at stake, what changed."""
    return [
        *_wrap(headline(report), "", "  "),
        *_wrap(at_stake(report), "", "  "),
        *_wrap(change_line(report), "", "  "),
    ]


def summary_lines(report: dict[str, Any]) -> list[str]:
    """The one-page summary for a terminal: the head lines, the grid, the priorities
    each with its next step (at 100 columns)."""
    lines = [
        *head_lines(report),
        *(f"note: {n}" for n in report.get("notes", [])),
        "",
        *grid_lines(report),
        "",
        "priorities, most severe first, and what to do next:",
    ]
    prio = priorities(report.get("checks", []))
    for i, c in enumerate(prio, 1):
        lines += _wrap(c["sentence"], f"{i:>2}. ", "    ")
        lines += _wrap(f"next: {report_next_step(report, c)}", "    ", "      ")
    if more := priorities_left_out(report.get("checks", [])):
        lines += _wrap(more, "    ", "    ")
    if not prio:
        lines.append("    none: every check passes")
    return lines


def _wrap(text: str, indent: str = "- ", sub: str = "  ") -> list[str]:
    # commands and paths stay whole: no break inside '--system' or a long word
    lines = textwrap.wrap(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=sub,
        break_on_hyphens=False,
        break_long_words=False,
    )
    return lines or [indent]


def _markdown(report: dict[str, Any]) -> str:
    out = [
        f"# Integration health report — run {report.get('run_id')}",
        "",
        *_wrap(
            f"Created {report['created_at']}; thresholds from {report.get('health_rules')}; "
            + (
                f"compared with run {report['previous_run_id']}."
                if report.get("previous_run_id")
                else "no earlier run to compare with."
            ),
            "",
            "",
        ),
        "",
        *(line for n in report.get("notes", []) for line in _wrap(f"**Note:** {n}", "> ", "> ")),
        "## Verdicts",
        "",
        "```",
        *head_lines(report),
        "",
        *grid_lines(report),
        "```",
        "",
        "## Priorities",
        "",
    ]
    prio = priorities(report.get("checks", []))
    for i, c in enumerate(prio, 1):
        out += _wrap(c["sentence"], f"{i}. ", "   ")
        out += _wrap(f"*Next:* {report_next_step(report, c)}", "   ", "   ")
    if more := priorities_left_out(report.get("checks", [])):
        out += ["", *_wrap(more, "", "")]
    if not prio:
        out.append("Every check passes.")
    out += ["", "## Trend over the kept runs", "", *_trend_table(report.get("history", []))]
    out += ["", "## Detail", ""]
    for check in CHECKS:
        items = [c for c in report.get("checks", []) if c["check"] == check]
        if not items:
            continue
        out += [f"### {CHECK_TITLES[check].capitalize()}", ""]
        for c in items:
            money = (
                f", {dollars(c['money_at_stake_cents'])} at stake"
                if c.get("money_at_stake_cents")
                else ""
            )
            out += _wrap(
                f"**{c['scope']}: {c['verdict']}** ({figure_text(c)}{money}) — {c['headline']}"
            )
            for m in c["measures"]:
                if m["verdict"] == "pass" and c["verdict"] != "pass":
                    continue
                count = f"{m['count']:,} of {m['total']:,}: " if "total" in m else ""
                out += _wrap(f"{m['verdict']}: {m['object']} {count}{m['what']}", "  - ", "    ")
                for ex in _examples_of(report, m)[:3]:
                    out += _wrap(f"e.g. {example_text(ex)}", "    - ", "      ")
        out.append("")
    out += [
        "## Loads",
        "",
        "| system | object | read | loaded | rejected |",
        "|---|---|--:|--:|--:|",
    ]
    out += [
        f"| {s['system']} | {s['object']} | {s['rows_read']:,} | {s['rows_loaded']:,} | "
        f"{s['rows_rejected']:,} |"
        for s in report["systems"]
    ]
    return "\n".join(out) + "\n"


def _examples_of(report: dict[str, Any], m: dict[str, Any]) -> list[dict[str, Any]]:
    if m.get("examples"):
        return m["examples"]
    if m.get("finding"):
        for f in report.get("findings", []):
            if f["id"] == m["finding"]:
                return f.get("examples", [])
    return []


def _trend_table(history: list[dict[str, Any]]) -> list[str]:
    """Per run, the count each check flags (and its integrations at fail)."""
    if not history:
        return ["No runs kept yet."]
    cols = [CHECK_TITLES[c] for c in CHECKS]
    out = [
        "Flagged records, pairs or rows per check (integrations failing in brackets).",
        "",
        "| run | " + " | ".join(cols) + " |",
        "|--:|" + "--:|" * len(cols),
    ]
    for h in history[-12:]:
        cells = []
        for c in CHECKS:
            v = h["checks"].get(c, {})
            fail = f" ({v['fail']})" if v.get("fail") else ""
            cells.append(f"{v.get('count', 0):,}{fail}")
        out.append(f"| {h['run_id']} | " + " | ".join(cells) + " |")
    return out
