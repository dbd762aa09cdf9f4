"""The health report as one self-contained HTML page: no script, no CDN, SVG inline."""

from __future__ import annotations

import html
from typing import Any

from resolver.report.health_rules import CHECKS
from resolver.report.verdicts import dollars, grid, priorities, priorities_left_out
from resolver.report.wording import (
    at_stake,
    change_line,
    example_text,
    figure_text,
    headline,
    overall,
    report_next_step,
)

VERDICT_COLORS = {"pass": "#2e8b57", "warn": "#e0a800", "fail": "#c0392b"}
LINE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
_TITLES = {
    "completeness": "Completeness",
    "field_mapping": "Field mapping",
    "error_handling": "Error handling",
    "timing": "Timing",
    "update_handling": "Updates",
    "duplicates": "Duplicates",
    "orphans": "Orphans",
}
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:72em;color:#222;padding:0 1em}
h1{margin:.2em 0}h2{margin-top:1.4em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:.3em .6em}
th{background:#f4f4f4;text-align:left}td.n{text-align:right}
td.v{color:#fff;font-weight:600;text-align:center;min-width:5.5em}td.na{color:#aaa;text-align:center}
.badge{display:inline-block;padding:.1em .6em;border-radius:.3em;color:#fff;font-weight:600}
ol li{margin:.35em 0}.next{color:#333;font-size:.92em}.lead{font-size:1.1em}.ex{color:#555;font-size:.92em}small{color:#666}
"""


def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)


def html_page(report: dict[str, Any]) -> str:

    checks = report.get("checks", [])
    verdict = overall(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>resolver health report — run {_e(report.get('run_id'))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Integration health report — run {_e(report.get('run_id'))} "
        f'<span class="badge" style="background:{VERDICT_COLORS[verdict]}">'
        f"{verdict.upper()}</span></h1>",
        f'<p class="lead"><b>{_e(headline(report).split(" — ", 1)[-1])}</b><br>'
        f"{_e(at_stake(report))}<br>{_e(change_line(report))}</p>",
        f"<p><small>created {_e(report['created_at'])}; thresholds from "
        f"{_e(report.get('health_rules'))}; previous run "
        f"{_e(report.get('previous_run_id') or 'none')}</small></p>",
        *(f"<p><b>Note:</b> {_e(n)}</p>" for n in report.get("notes", [])),
        "<h2>Verdicts</h2>",
        _grid_table(checks),
        "<h2>Priorities</h2>",
        _priority_list(report, checks),
        "<h2>Trend over the kept runs</h2>",
        trend_svg(report.get("history", [])),
        "<h2>Detail</h2>",
    ]
    for check in CHECKS:
        items = [c for c in checks if c["check"] == check]
        if not items:
            continue
        parts.append(f"<h3>{_e(_TITLES[check])}</h3><ul>")
        for c in items:
            money = c.get("money_at_stake_cents")
            parts.append(
                f'<li><span class="badge" style="background:{VERDICT_COLORS[c["verdict"]]}">'
                f"{_e(c['verdict'])}</span> <b>{_e(c['scope'])}</b> "
                f"({_e(figure_text(c))}{', ' + dollars(money) + ' at stake' if money else ''})"
                f" — {_e(c['headline'])}<ul>"
            )
            for m in c["measures"]:
                if m["verdict"] == "pass" and c["verdict"] != "pass":
                    continue
                count = f"{m['count']:,} of {m['total']:,}: " if "total" in m else ""
                parts.append(f"<li>{_e(m['verdict'])}: {_e(m['object'])} {_e(count + m['what'])}")
                exs = _examples(report, m)
                if exs:
                    parts.append(
                        '<div class="ex">'
                        + "<br>".join(f"e.g. {_e(example_text(x))}" for x in exs[:3])
                        + "</div>"
                    )
                parts.append("</li>")
            parts.append("</ul></li>")
        parts.append("</ul>")
    parts += [
        "<h2>Loads</h2><table><tr><th>system</th><th>object</th><th>read</th><th>loaded</th>"
        "<th>rejected</th></tr>",
        *(
            f"<tr><td>{_e(s['system'])}</td><td>{_e(s['object'])}</td>"
            f'<td class="n">{s["rows_read"]:,}</td><td class="n">{s["rows_loaded"]:,}</td>'
            f'<td class="n">{s["rows_rejected"]:,}</td></tr>'
            for s in report.get("systems", [])
        ),
        "</table></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _examples(report: dict[str, Any], m: dict[str, Any]) -> list[dict[str, Any]]:
    if m.get("examples"):
        return m["examples"]
    for f in report.get("findings", []):
        if f["id"] == m.get("finding"):
            return f.get("examples", [])
    return []


def _grid_table(checks: list[dict[str, Any]]) -> str:
    g = grid(checks)
    out = ["<table><tr><th>integration</th>"]
    out += [f"<th>{_e(_TITLES[c])}</th>" for c in CHECKS]
    out.append("</tr>")
    for scope, row in g.items():
        out.append(f"<tr><th>{_e(scope)}</th>")
        for c in CHECKS:
            v = row.get(c)
            if v is None:
                out.append('<td class="na">·</td>')
            else:
                out.append(f'<td class="v" style="background:{VERDICT_COLORS[v]}">{_e(v)}</td>')
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _priority_list(report: dict[str, Any], checks: list[dict[str, Any]]) -> str:
    prio = priorities(checks)
    if not prio:
        return "<p>Every check passes.</p>"
    items = [
        f'<li><span class="badge" style="background:{VERDICT_COLORS[c["verdict"]]}">'
        f"{_e(c['severity'])}</span> {_e(c['sentence'])}"
        f'<br><span class="next">next: {_e(report_next_step(report, c))}</span></li>'
        for c in prio
    ]
    more = priorities_left_out(checks)
    return "<ol>" + "".join(items) + "</ol>" + (f"<p>{_e(more)}</p>" if more else "")


def trend_svg(history: list[dict[str, Any]]) -> str:
    """One line per check: what it flags (records, pairs or rows) at each kept run."""
    width, height, left, bottom, top, right = 760, 240, 60, 30, 12, 170
    if not history:
        return "<p>No runs kept yet.</p>"
    runs = [h["run_id"] for h in history]
    peak = max((h["checks"].get(c, {}).get("count", 0) for h in history for c in CHECKS), default=0)
    peak = peak or 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w * i / (len(runs) - 1) if len(runs) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / peak)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="flagged per check over the kept runs">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="11">{peak:,}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    for i, r in enumerate(runs):
        out.append(
            f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'font-size="11">run {_e(r)}</text>'
        )
    for k, check in enumerate(CHECKS):
        color = LINE_COLORS[k % len(LINE_COLORS)]
        pts = [(x(i), y(h["checks"].get(check, {}).get("count", 0))) for i, h in enumerate(history)]
        if len(pts) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for (px, py), h in zip(pts, history, strict=True):
            v = h["checks"].get(check, {})
            out.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"><title>'
                f"run {_e(h['run_id'])}: {_e(_TITLES[check])} {v.get('count', 0):,} flagged, "
                f"{v.get('fail', 0)} failing</title></circle>"
            )
        ly = top + 14 * k + 8
        lx = left + plot_w + 14
        out.append(f'<rect x="{lx}" y="{ly - 8}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{lx + 14}" y="{ly + 1}" font-size="11">{_e(_TITLES[check])}</text>')
    out.append("</svg>")
    return "\n".join(out)
