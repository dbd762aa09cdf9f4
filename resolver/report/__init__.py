"""The integration health report: completeness, field agreement, rejects, stale
updates, duplicates and orphans per system and system pair, with trends per run."""

from resolver.report.build import build_report, load_report, stage_report
from resolver.report.render import render, summary_lines

__all__ = ["build_report", "load_report", "render", "stage_report", "summary_lines"]
