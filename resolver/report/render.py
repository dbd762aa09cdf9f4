"""Render a health report as Markdown, one self-contained HTML page, or JSON."""

from __future__ import annotations

import html
import json
from typing import Any, Literal

from resolver.report.checks import SEVERITIES

COLORS = {"critical": "#c0392b", "high": "#e67e22", "medium": "#f1c40f", "low": "#7f8c8d"}
CATEGORY_TITLES = {
    "rejects": "Error handling: rejected rows",
    "orphans": "Orphans",
    "duplicates": "Duplicates within a system",
    "agreement": "Field agreement across linked records",
    "updates": "Update handling: older values",
    "completeness": "Completeness",
    "coverage": "Entities spanning systems",
}


def render(report: dict[str, Any], fmt: Literal["md", "html", "json"]) -> str:
    """The report as ``md`` (one page, summary first), ``html`` or ``json``."""
    if fmt == "json":
        return json.dumps(report, indent=2, sort_keys=True, default=str) + "\n"
    if fmt == "md":
        return _markdown(report)
    if fmt == "html":
        return _html(report)
    raise ValueError(f"unknown report format {fmt!r}; use md, html or json")


def _by_severity(totals: dict[str, Any]) -> list[tuple[str, int]]:
    """Findings per severity, most severe first (a stored report's JSON has its keys sorted
    alphabetically, which would put low before medium)."""
    return [(s, totals["by_severity"].get(s, 0)) for s in SEVERITIES]


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A few lines for a terminal: findings by severity, then the biggest ones."""
    t = report["totals"]
    sev = ", ".join(f"{n:,} {s}" for s, n in _by_severity(t) if n)
    checks = len(_findings(report))
    lines = [
        f"health report (run {report.get('run_id')}): {checks:,} failing checks flagging "
        f"{t['findings']:,} records, pairs or rows ({sev})"
    ]
    for c in _findings(report)[:8]:
        lines.append(f"  {c['severity']:<8} {_label(c):<58} {c['count']:>7,}{_trend(c)}")
    return lines


def _findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    found = [c for c in report["checks"] if c["count"] and c["severity"] in rank]
    return sorted(found, key=lambda c: (rank[c["severity"]], -c["count"], c["id"]))


def _label(c: dict[str, Any]) -> str:
    return f"{c['object']} {c['system']}: {c['title']}"


def _trend(c: dict[str, Any]) -> str:
    d = c.get("delta")
    if d is None:
        return ""
    return f" ({d:+,})" if d else " (=)"


def _pct(c: dict[str, Any]) -> str:
    return f"{100 * c['rate']:.1f}%" if c["total"] else "-"


def _example_text(c: dict[str, Any]) -> str:
    parts = []
    for ex in c.get("examples", []):
        parts.append(", ".join(f"{k}={v}" for k, v in ex.items() if v is not None))
    return "; ".join(parts)


# ---------------------------------------------------------------- markdown


def _md_cell(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def _markdown(report: dict[str, Any]) -> str:
    t = report["totals"]
    out = [
        f"# Integration health report — run {report.get('run_id')}",
        "",
        f"Created {report['created_at']}; compared with run {report.get('previous_run_id')}."
        if report.get("previous_run_id")
        else f"Created {report['created_at']}; no earlier run to compare with.",
        "",
        *(f"> **Note:** {n}\n" for n in report.get("notes", [])),
        "## Summary",
        "",
        "| severity | flagged (records, pairs or rows, summed over checks) |",
        "|---|---:|",
        *(f"| {s} | {n:,} |" for s, n in _by_severity(t)),
        f"| **total** | **{t['findings']:,}** |",
        "",
        "| system | " + " | ".join(SEVERITIES) + " |",
        "|---|" + "---:|" * len(SEVERITIES),
        *(
            f"| {s} | " + " | ".join(f"{n[x]:,}" for x in SEVERITIES) + " |"
            for s, n in t["by_system"].items()
        ),
        "",
        "## Top findings",
        "",
        "| severity | object | system | check | count | rate | trend | examples |",
        "|---|---|---|---|---:|---:|---:|---|",
    ]
    for c in _findings(report)[:15]:
        out.append(
            f"| {c['severity']} | {c['object']} | {c['system']} | {_md_cell(c['title'])} | "
            f"{c['count']:,} | {_pct(c)} | {_trend(c).strip(' ()')} | "
            f"{_md_cell(_example_text(c))} |"
        )
    out += [
        "",
        "## Loads",
        "",
        "| system | object | read | loaded | rejected |",
        "|---|---|---:|---:|---:|",
    ]
    out += [
        f"| {s['system']} | {s['object']} | {s['rows_read']:,} | {s['rows_loaded']:,} | "
        f"{s['rows_rejected']:,} |"
        for s in report["systems"]
    ]
    for cat, title in CATEGORY_TITLES.items():
        rows = [c for c in report["checks"] if c["category"] == cat and c["count"]]
        if not rows:
            continue
        out += ["", f"## {title}", "", "| object | system | check | count | of | rate | trend |"]
        out.append("|---|---|---|---:|---:|---:|---:|")
        out += [
            f"| {c['object']} | {c['system']} | {_md_cell(c['title'])}{_breakdown(c)} | "
            f"{c['count']:,} | {c['total']:,} | {_pct(c)} | {_trend(c).strip(' ()')} |"
            for c in rows
        ]
    return "\n".join(out) + "\n"


def _breakdown(c: dict[str, Any]) -> str:
    b = c.get("breakdown")
    return " (" + ", ".join(f"{k} {v}" for k, v in b.items()) + ")" if b else ""


# ---------------------------------------------------------------- html


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .6em}
th{background:#f4f4f4;text-align:left}td.n{text-align:right}
.sev{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:middle}
small{color:#666}
"""


def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _html(report: dict[str, Any]) -> str:
    t = report["totals"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>resolver health report — run {_e(report.get('run_id'))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Integration health report — run {_e(report.get('run_id'))}</h1>",
        f"<p><small>created {_e(report['created_at'])}; previous run "
        f"{_e(report.get('previous_run_id') or 'none')}</small></p>",
        *(f"<p><b>Note:</b> {_e(n)}</p>" for n in report.get("notes", [])),
        "<h2>Summary</h2>",
        "<table><tr><th>severity</th><th>flagged (records, pairs or rows, summed over checks)"
        "</th></tr>",
        *(
            f'<tr><td><span class="sev" style="background:{COLORS[s]}"></span>{s}</td>'
            f'<td class="n">{n:,}</td></tr>'
            for s, n in _by_severity(t)
        ),
        f'<tr><th>total</th><td class="n"><b>{t["findings"]:,}</b></td></tr></table>',
        "<h2>Findings by system and severity</h2>",
        _svg_chart(t["by_system"]),
        "<h2>Top findings</h2>",
        _html_table(_findings(report)[:15], examples=True),
    ]
    for cat, title in CATEGORY_TITLES.items():
        rows = [c for c in report["checks"] if c["category"] == cat and c["count"]]
        if rows:
            parts += [f"<h2>{_e(title)}</h2>", _html_table(rows, examples=False)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_table(rows: list[dict[str, Any]], *, examples: bool) -> str:
    head = "<tr><th>severity</th><th>object</th><th>system</th><th>check</th><th>count</th>"
    head += "<th>of</th><th>rate</th><th>trend</th>" + ("<th>examples</th>" if examples else "")
    out = ["<table>", head + "</tr>"]
    for c in rows:
        color = COLORS.get(c["severity"], "#bbb")
        out.append(
            f'<tr><td><span class="sev" style="background:{color}"></span>{_e(c["severity"])}</td>'
            f"<td>{_e(c['object'])}</td><td>{_e(c['system'])}</td>"
            f"<td>{_e(c['title'] + _breakdown(c))}</td>"
            f'<td class="n">{c["count"]:,}</td><td class="n">{c["total"]:,}</td>'
            f'<td class="n">{_pct(c)}</td><td class="n">{_e(_trend(c).strip(" ()"))}</td>'
            + (f"<td><small>{_e(_example_text(c))}</small></td>" if examples else "")
            + "</tr>"
        )
    out.append("</table>")
    return "\n".join(out)


def _svg_chart(by_system: dict[str, dict[str, int]]) -> str:
    """Horizontal stacked bars: one per system (or system pair), one colour per severity."""
    bar_h, gap, label_w, width = 18, 6, 170, 520
    peak = max((sum(v.values()) for v in by_system.values()), default=0) or 1
    height = len(by_system) * (bar_h + gap) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + width + 60}" '
        f'height="{height}" role="img" aria-label="findings by system and severity">'
    ]
    for i, (system, counts) in enumerate(by_system.items()):
        y = i * (bar_h + gap)
        out.append(
            f'<text x="{label_w - 6}" y="{y + bar_h - 4}" text-anchor="end" '
            f'font-size="12">{_e(system)}</text>'
        )
        x = float(label_w)
        for sev in SEVERITIES:
            n = counts.get(sev, 0)
            if not n:
                continue
            w = width * n / peak
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{COLORS[sev]}"><title>{_e(system)}: {n:,} {sev}</title></rect>'
            )
            x += w
        out.append(
            f'<text x="{x + 4:.1f}" y="{y + bar_h - 4}" font-size="12">'
            f"{sum(counts.values()):,}</text>"
        )
    y = len(by_system) * (bar_h + gap) + 12
    for j, sev in enumerate(SEVERITIES):
        lx = label_w + j * 110
        out.append(f'<rect x="{lx}" y="{y}" width="12" height="12" fill="{COLORS[sev]}"/>')
        out.append(f'<text x="{lx + 16}" y="{y + 11}" font-size="12">{sev}</text>')
    out.append("</svg>")
    return "\n".join(out)
