"""How a report's findings read in words: the overall verdict, a figure, an example.
Markdown and HTML both say them this way."""

from __future__ import annotations

from typing import Any

from resolver.report.verdicts import dollars


def overall(report: dict[str, Any]) -> str:
    """The worst verdict of the run: fail, warn or pass."""
    verdicts = {c["verdict"] for c in report.get("checks", [])}
    return "fail" if "fail" in verdicts else "warn" if "warn" in verdicts else "pass"


def example_text(ex: dict[str, Any]) -> str:
    """One example as words: the record(s), system(s) and the two values."""
    if "key_a" in ex:
        return f"{ex['key_a']} {_q(ex.get('value_a'))} vs {ex['key_b']} {_q(ex.get('value_b'))}"
    if "record_a" in ex:
        return (
            f"{ex['record_a']} {ex['value_a']} vs {ex['record_b']} {ex['value_b']} "
            f"({ex['days']} days)"
        )
    if "older_key" in ex:
        return f"{ex['older_key']} holds an older value than {ex['newer_key']}"
    if "source_row" in ex:
        col = f", column {ex['column_name']}" if ex.get("column_name") else ""
        return f"{ex.get('source_file')} row {ex['source_row']}{col}: {ex.get('reason')}"
    if "keys" in ex:
        return f"{', '.join(map(str, ex['keys']))} are one {ex.get('entity_id', 'entity')}"
    if "orphan_id" in ex:
        money = f" {dollars(ex['amount_cents'])}" if ex.get("amount_cents") else ""
        near = f"; nearest {ex['candidate_record_key']}" if ex.get("candidate_record_key") else ""
        return f"{ex['record_key']}{money}, {ex.get('age_days')} days old{near}"
    if "run_id" in ex:
        return f"run {ex['run_id']} started {ex.get('started_at')}: {ex.get('error')}"
    if "record_key" in ex:
        rest = ", ".join(f"{k} {v}" for k, v in ex.items() if k != "record_key" and v)
        return f"{ex['record_key']}" + (f" ({rest})" if rest else "")
    return ", ".join(f"{k} {v}" for k, v in ex.items() if v is not None)


def _q(v: Any) -> str:
    return "(empty)" if v is None else f"'{v}'"


def figure_text(c: dict[str, Any]) -> str:
    f = c.get("figure")
    if f is None:
        return "-"
    if c.get("unit") == "share":
        return f"{100 * f:.1f}%"
    return f"{f:g} {c.get('unit', '')}".strip()
