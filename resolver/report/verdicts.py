"""Pass / warn / fail per integration and check, from the report's figures.

An integration is a system or a pair of systems sharing records. Each of the seven
checks gives every integration it applies to one verdict: the worst of its measures
(a field, an object, an expectation, a timing figure), each graded against the
thresholds of ``rules/health.yaml``. Money at stake lifts a verdict whatever the rate,
and severity follows the size of the problem and its money, not a fixed table.
"""

from __future__ import annotations

from typing import Any

from resolver.report.health_rules import CHECKS, VERDICTS, HealthRules
from resolver.report.timing import FRESHNESS_COLUMNS

SEVERITIES = ("critical", "high", "medium", "low")
_RANK = {v: i for i, v in enumerate(VERDICTS)}
_FINDING_CHECK = {
    "completeness": "completeness",
    "agreement": "field_mapping",
    "rejects": "error_handling",
    "updates": "update_handling",
    "duplicates": "duplicates",
    "orphans": "orphans",
}


def grade(value: float | None, t: dict[str, Any]) -> str:
    """'fail' at or over t['fail'], 'warn' at or over t['warn'], else 'pass'."""
    if value is None:
        return "pass"
    if t.get("fail") is not None and value >= t["fail"]:
        return "fail"
    if t.get("warn") is not None and value >= t["warn"]:
        return "warn"
    return "pass"


def worst(verdicts: list[str]) -> str:
    return max(verdicts, key=_RANK.__getitem__, default="pass")


def _money_grade(cents: int, rules: HealthRules) -> str:
    m = rules.money
    return "fail" if cents >= m["fail_cents"] else "warn" if cents >= m["warn_cents"] else "pass"


def _finding_measure(c: dict[str, Any], rules: HealthRules) -> dict[str, Any] | None:
    check = _FINDING_CHECK.get(c["category"])
    if check is None:
        return None
    # completeness grades the fields health.yaml says a source must fill; other mapped
    # fields (a company, a unit) are empty by nature for many records and are listed only
    if check == "completeness" and c.get("field") not in rules.completeness_columns(
        c["object"], c["system"]
    ):
        return None
    if check == "duplicates":  # the records beyond one per group are the excess
        count, rate = c.get("excess", c["count"]), (c.get("excess", 0) / c["total"] or 0)
        rate = rate if c["total"] else 0.0
    else:
        count, rate = c["count"], c["rate"]
    money = int(c.get("amount_cents") or c.get("money_cents") or 0)
    verdict = worst([grade(rate, rules.threshold(check)), _money_grade(money, rules)])
    if count and c.get("at_least"):  # a finding that is a problem however small
        verdict = worst([verdict, c["at_least"]])
    scope = c.get("scope") or c["system"]
    if check == "update_handling" and c.get("newer_system"):  # a pair's stale values
        scope = "~".join(sorted((c["system"], c["newer_system"])))
    # what the next step names: the system, and the field, reject kind or counterpart
    names = {k: c[k] for k in ("field", "reason_kind", "target", "value_pairs") if c.get(k)}
    return {
        "check": check,
        "scope": scope,
        "system": c["system"],
        **names,
        "object": c["object"],
        "what": c["title"],
        "count": int(count),
        "total": int(c["total"]),
        "rate": round(rate, 4),
        "money_cents": money,
        "verdict": verdict,
        "finding": c["id"],
    }


def _timing_measures(timing: dict[str, Any], rules: HealthRules) -> list[dict[str, Any]]:
    out = []
    for f in timing.get("freshness", []):
        what = f"newest {f['object']} record {f['newest']}, "
        if f["newest"] is None:  # the source's records carry no date to measure it by
            fields = " or ".join(FRESHNESS_COLUMNS.get(f["object"], ("updated_at",)))
            what = (
                f"{f['system']}'s {f['object']} records have no {fields}: freshness not "
                f"measured (map {fields} in its contract to measure it)"
            )
        else:
            what += f"{f['behind_days']} days behind the freshest system"
        out.append(
            {
                "scope": f["system"],
                "object": f["object"],
                "what": what,
                "figure": f["behind_days"],
                "unit": "days behind",
                "verdict": grade(f["behind_days"], rules.timing("freshness_days")),
            }
        )
    age = timing.get("age") or {}
    if rules.timing("max_age_days") is not None and age.get("age_days") is not None:
        out.append(
            {
                "scope": "all systems",
                "object": "",
                "what": f"newest record of any system {age['freshest']}, "
                f"{age['age_days']} days before the run",
                "figure": age["age_days"],
                "unit": "days old",
                "verdict": grade(age["age_days"], {"fail": rules.timing("max_age_days")}),
            }
        )
    for v in timing.get("volumes", []):
        ch = v["change"]
        if ch is None:
            continue
        verdict = worst(
            [grade(-ch, rules.timing("volume_drop")), grade(ch, rules.timing("volume_rise"))]
        )
        out.append(
            {
                "scope": v["system"],
                "object": v["object"],
                "what": f"{v['rows_loaded']:,} {v['object']} rows loaded, "
                f"{v['previous_rows_loaded']:,} last run ({ch:+.1%})",
                "figure": round(100 * ch, 1),
                "unit": "% volume change",
                "verdict": verdict,
            }
        )
    for d in timing.get("schema_drift", []):
        parts = []
        if d["added"]:
            parts.append("added " + ", ".join(d["added"]))
        if d["removed"]:
            parts.append("removed " + ", ".join(d["removed"]))
        if d["retyped"]:
            parts.append(
                "retyped "
                + ", ".join(f"{r['column']} {r['was']}->{r['now']}" for r in d["retyped"])
            )
        verdict = "fail" if d["removed"] or d["retyped"] else "warn" if d["added"] else "pass"
        out.append(
            {
                "scope": d["system"],
                "object": d["object"],
                "what": "schema: " + ("; ".join(parts) if parts else "unchanged since last run"),
                "figure": len(d["added"]) + len(d["removed"]) + len(d["retyped"]),
                "unit": "columns changed",
                "verdict": verdict,
            }
        )
    for e in timing.get("new_enum_values", []):
        values = ", ".join(f"{v!s} ({n})" for v, n in e["values"].items())
        out.append(
            {
                "scope": e["system"],
                "object": e["object"],
                "what": f"{e['field']} ({e['column']}) has values not in the contract: {values}",
                "figure": len(e["values"]),
                "unit": "new enum values",
                "verdict": "warn",
            }
        )
    for s in timing.get("sync_lag", []):
        out.append(
            {
                "scope": s["scope"],
                "object": s["object"],
                "what": f"{s['field']} of linked {s['object']}s: p50 {s['p50_days']} days, "
                f"p95 {s['p95_days']}, max {s['max_days']} ({s['pairs']:,} pairs)",
                "figure": s["p95_days"],
                "unit": "days p95 lag",
                "verdict": grade(s["p95_days"], rules.timing("sync_lag_days")),
                "examples": s["slowest"],
            }
        )
    log = timing.get("run_log") or {}
    if log.get("failed_since"):
        ids = ", ".join(str(r["run_id"]) for r in log["failed_since"])
        out.append(
            {
                "scope": "all systems",
                "object": "",
                "what": f"run(s) {ids} failed since the last complete run",
                "figure": len(log["failed_since"]),
                "unit": "failed runs",
                "verdict": "warn",
                "examples": log["failed_since"][:3],
            }
        )
    if log.get("hours_since_last_complete") is not None:
        h = log["hours_since_last_complete"]
        out.append(
            {
                "scope": "all systems",
                "object": "",
                "what": f"{h:g} hours since the last complete run (run {log['last_complete_run']})",
                "figure": h,
                "unit": "hours since last run",
                "verdict": grade(h, rules.timing("run_gap_hours")),
            }
        )
    for m in out:
        m["check"] = "timing"
    return out


def severity(verdict: str, *, rate: float, money_cents: int, rules: HealthRules, check: str) -> str:
    """Critical: a failure whose money reaches the fail line or whose rate is twice the
    fail threshold; high: other failures; medium: warnings; low: the rest."""
    if verdict == "fail":
        t = rules.threshold(check) if check != "timing" else {}
        big = t.get("fail") is not None and rate >= 2 * t["fail"]
        if money_cents >= rules.money["fail_cents"] or big:
            return "critical"
        return "high"
    return "medium" if verdict == "warn" else "low"


def verdict_checks(
    findings: list[dict[str, Any]],
    timing: dict[str, Any],
    rules: HealthRules,
    *,
    scopes: list[str],
    orphans_state: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One item per (check, scope): its verdict, figure, money and the measures behind it."""
    measures = [m for c in findings if (m := _finding_measure(c, rules))]
    measures += _timing_measures(timing, rules)
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for m in measures:
        cells.setdefault((m["check"], m["scope"]), []).append(m)
    out = []
    for (check, scope), ms in cells.items():
        ms.sort(key=lambda m: (-_RANK[m["verdict"]], -m.get("rate", 0), -m.get("money_cents", 0)))
        top = ms[0]
        verdict = worst([m["verdict"] for m in ms])
        money = sum(m.get("money_cents", 0) for m in ms)
        item = {
            "check": check,
            "scope": scope,
            "verdict": verdict,
            "figure": top.get("figure", top.get("rate")),
            "unit": top.get("unit", "share"),
            "headline": top["what"],
            "count": sum(m.get("count", 0) for m in ms if m["verdict"] != "pass"),
            "money_at_stake_cents": money
            if check in ("orphans", "field_mapping", "duplicates")
            else None,
            "measures": ms,
        }
        item["severity"] = severity(
            verdict, rate=top.get("rate", 0.0), money_cents=money, rules=rules, check=check
        )
        out.append(item)
    if orphans_state and not orphans_state.get("checked"):
        out.append(
            {
                "check": "orphans",
                "scope": "all systems",
                "verdict": "warn" if orphans_state.get("missing") else "pass",
                "figure": None,
                "unit": "",
                "headline": orphans_state["why"],
                "count": 0,
                "money_at_stake_cents": None,
                "measures": [],
                "severity": "medium" if orphans_state.get("missing") else "low",
            }
        )
    order = {s: i for i, s in enumerate(scopes)}
    out.sort(
        key=lambda c: (order.get(c["scope"], len(order)), c["scope"], CHECKS.index(c["check"]))
    )
    return out


def grid(checks: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """scope -> check -> verdict (checks that do not apply to a scope are absent)."""
    out: dict[str, dict[str, str]] = {}
    for c in checks:
        out.setdefault(c["scope"], {})[c["check"]] = c["verdict"]
    return out


PRIORITIES_SHOWN = 10  # the priorities a summary lists; the rest are counted


def priorities_left_out(checks: list[dict[str, Any]], limit: int = PRIORITIES_SHOWN) -> str:
    """'' when every non-passing check is among the priorities listed, else a line saying
    how many more there are and where they are."""
    more = sum(c["verdict"] != "pass" for c in checks) - limit
    if more <= 0:
        return ""
    return (
        f"and {more} more non-passing check(s), less severe: each is in the detail "
        "(resolver report)"
    )


def priorities(checks: list[dict[str, Any]], limit: int = PRIORITIES_SHOWN) -> list[dict[str, Any]]:
    """The non-passing checks, most severe and costly first, each in a plain sentence."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    bad = [c for c in checks if c["verdict"] != "pass"]
    bad.sort(
        key=lambda c: (
            rank[c["severity"]],
            -(c["money_at_stake_cents"] or 0),
            -c["count"],
            c["scope"],
        )
    )
    return [{**c, "sentence": sentence(c)} for c in bad[:limit]]


def sentence(c: dict[str, Any]) -> str:
    """'109 billing invoices ($40,227) never reached the ledger — critical'."""
    top = c["measures"][0] if c["measures"] else {}
    money = c["money_at_stake_cents"] or 0
    own = min(int(top.get("money_cents") or 0), money) if top else money
    amount = f" ({dollars(own)})" if own else ""
    if money > own:  # money the check's other measures carry (amounts beside a status)
        amount += f"; {dollars(money - own)} at stake in its other measures"
    if "total" in top:
        what = f"{top['count']:,} of {top['total']:,} {top['object']}s: {top['what']}{amount}"
    else:
        what = f"{c['headline']}{amount}"
    return f"{c['scope']}, {c['check'].replace('_', ' ')}: {what} — {c['severity']}"


def changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, list]:
    """The verdicts that moved since the previous run: ``worse`` and ``better``, each
    ``{check, scope, was, now}`` (a cell new this run counts as was ``pass``)."""
    was = {(c["check"], c["scope"]): c["verdict"] for c in before}
    out: dict[str, list] = {"worse": [], "better": []}
    for c in after:
        old = was.get((c["check"], c["scope"]), "pass")
        if old != c["verdict"]:
            side = "worse" if _RANK[c["verdict"]] > _RANK[old] else "better"
            item = {"check": c["check"], "scope": c["scope"], "was": old, "now": c["verdict"]}
            out[side].append(item)
    return out


def dollars(cents: int | None) -> str:
    return f"${(cents or 0) / 100:,.0f}"
