"""How a report's findings read in words: the overall verdict, the headline an ops
manager reads first (checks failing, money at stake, what changed), the next step of
each check, a figure, an example. The console, Markdown, HTML and webhook say them
this way."""

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


def headline(report: dict[str, Any]) -> str:
    """'health report, run 5: FAIL — 2 of 3 checks failing, 1 warning'."""
    checks = report.get("checks", [])
    fail = sum(c["verdict"] == "fail" for c in checks)
    warn = sum(c["verdict"] == "warn" for c in checks)
    return (
        f"health report, run {report.get('run_id')}: {overall(report).upper()} — "
        f"{fail} of {len(checks)} checks failing, {warn} warning"
    )


def at_stake(report: dict[str, Any]) -> str:
    """The money the failing and warning checks put at stake, per check."""
    per: dict[str, int] = {}
    for c in report.get("checks", []):
        if c["verdict"] != "pass" and c.get("money_at_stake_cents"):
            title = check_title(c["check"])
            per[title] = per.get(title, 0) + int(c["money_at_stake_cents"])
    if not per:
        return "at stake: no money in the failing or warning checks"
    parts = ", ".join(f"{t} {dollars(v)}" for t, v in sorted(per.items(), key=lambda x: -x[1]))
    return f"at stake: {dollars(sum(per.values()))} ({parts})"


def change_line(report: dict[str, Any]) -> str:
    """'since run 4: 1 worse (crm error handling pass -> fail), none better'."""
    ch = report.get("changes")
    if not ch:
        return "no earlier run to compare verdicts with"
    since = f"since run {ch.get('since_run')}"
    if not ch["worse"] and not ch["better"]:
        return f"{since}: no verdict changed"

    def side(items: list[dict[str, Any]], word: str) -> str:
        if not items:
            return f"none {word}"
        named = ", ".join(
            f"{i['scope']} {check_title(i['check'])} {i['was']} -> {i['now']}" for i in items[:3]
        )
        more = f" and {len(items) - 3} more" if len(items) > 3 else ""
        return f"{len(items)} {word} ({named}{more})"

    return f"{since}: {side(ch['worse'], 'worse')}, {side(ch['better'], 'better')}"


def report_next_step(report: dict[str, Any], c: dict[str, Any]) -> str:
    """``next_step`` of a check of ``report``, in the rules folder the report's run read."""
    return next_step(c, report.get("rules_dir") or "rules")


def check_title(check: str) -> str:
    return check.replace("_", " ")


# timing's next step follows the measure that graded it (by its unit)
_TIMING_STEPS = {
    "days behind": "{system}'s export is behind the others: check its export job",
    "days old": "every export is old: check the export jobs that feed this run",
    "% volume change": "check {system}'s export is whole: its rows changed since the last run",
    "columns changed": "update {system}'s contract in {rules}/sources/ to its columns, "
    "or fix the export",
    "new enum values": "map the new values in {system}'s contract (enums: in {rules}/sources/)",
    "days p95 lag": "check the sync between {a} and {b}: the slowest pairs are in the detail",
    "failed runs": "read the failed runs' errors: the timing detail of `resolver report` "
    "lists each (also GET /runs); fix the cause before the next run",
    "hours since last run": "check the scheduler: the job did not run on time",
}


def next_step(c: dict[str, Any], rules: str = "rules") -> str:
    """What to do about a non-passing check, naming the command or file to act on;
    ``rules`` is the run's rules folder (the report's ``rules_dir``)."""
    top = c["measures"][0] if c.get("measures") else {}
    check, scope = c["check"], c["scope"]
    system, obj = top.get("system") or scope, top.get("object") or "customer"
    a, _, b = scope.partition("~")
    if check == "completeness":
        field = top.get("field", "the field")
        return (
            f"fill {field} in {system}'s export, or leave it out of completeness_fields "
            f"in {rules}/health.yaml if {system} does not keep it"
        )
    if check == "error_handling":
        kind = top.get("reason_kind", "each reason")
        return (
            f"read the rejected rows ({kind}) in the detail; fix {system}'s export or its "
            f"contract in {rules}/sources/, then re-run"
        )
    if check == "field_mapping":
        field = top.get("field", "values")
        pairs = top.get("value_pairs") or {}
        most = f" (most often {next(iter(pairs))})" if pairs else ""
        return (
            f"fix how {field} maps between {a} and {b}{most}; "
            f"resolver export corrections --system {a} --object {obj} (and {b}) lists the fixes"
        )
    if check == "update_handling":
        if top.get("what", "").startswith("fix not applied"):
            return f"apply the fix lists exported to {system}, or export them again"
        return (
            f"updates do not reach {system}: check the sync to it; "
            f"resolver export corrections --system {system} --object {obj} lists what to change"
        )
    if check == "duplicates":
        return (
            f"review the merge proposals (/review), then send {system} its merges: "
            f"resolver export merges --system {system} --object {obj}"
        )
    if check == "orphans":
        if not top:
            return f"write {rules}/orphans.yaml, or `expectations: {{}}` to turn the checks off"
        if top.get("target"):
            t = top["target"]
            return (
                f"work the orphan list (/review/orphans); resolver export missing --system {t} "
                f"--object {obj} lists what {t} lacks"
            )
        return f"work the orphan list (/review/orphans): fix the references in {system}"
    step = _TIMING_STEPS.get(top.get("unit", ""), "see the timing detail")
    return step.format(system=system, a=a, b=b or a, rules=rules)
