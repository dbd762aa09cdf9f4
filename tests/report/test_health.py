"""The health verdicts, their thresholds, the job's gate, the console and the webhook."""

from __future__ import annotations

import io
import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import duckdb
import pytest

from resolver.errors import RulesError
from resolver.pipeline import orphans_state
from resolver.progress import LineProgress, LiveProgress
from resolver.report import gate
from resolver.report.checks import _disagreements, unit_canonical
from resolver.report.health_rules import DEFAULTS, HealthRules, parse_health_rules
from resolver.report.render import render, summary_lines
from resolver.report.timing import run_log
from resolver.report.verdicts import changes, grid, priorities, verdict_checks


def _finding(category, system, obj, count, total, **extra):
    return {
        "id": f"{category}.{obj}.{system}.{extra.get('key', 'k')}",
        "category": category,
        "title": extra.pop("title", f"{category} finding"),
        "object": obj,
        "system": system,
        "count": count,
        "total": total,
        "rate": count / total,
        "severity": "high",
        "examples": [],
        **extra,
    }


def test_defaults_apply_and_health_yaml_overrides_them() -> None:
    rules = parse_health_rules({"thresholds": {"error_handling": {"fail": 0.5}}})
    assert rules.threshold("error_handling") == {"warn": 0.02, "fail": 0.5}
    assert rules.threshold("orphans") == DEFAULTS["thresholds"]["orphans"]


def test_bad_health_yaml_names_every_problem() -> None:
    with pytest.raises(RulesError) as err:
        parse_health_rules(
            {
                "thresholds": {"error_handling": {"warn": 0.5, "fail": 0.1}, "speling": {}},
                "timing": {"freshness_days": {"warn": "soon"}},
                "webhook": {"url": "ftp://x"},
            },
            where="rules/health.yaml",
        )
    text = str(err.value)
    for part in ("thresholds.speling", "thresholds.error_handling", "freshness_days.warn", "url"):
        assert part in text
    assert "rules/health.yaml" in text


def test_severity_follows_size_not_a_fixed_table() -> None:
    """A source with 67.6% of its rows rejected ranks first, ahead of a one-row invoice
    reject; an orphan list worth $40,227 is critical whatever its rate."""
    findings = [
        _finding("rejects", "dispatch", "customer", 676, 1000, reason_kind="bad_date"),
        _finding("rejects", "billing", "invoice", 1, 5000, reason_kind="bad_amount"),
        _finding(
            "orphans",
            "billing",
            "invoice",
            109,
            18000,
            amount_cents=4_022_700,
            scope="billing~ledger",
            title="every billing invoice reaches the ledger",
        ),
    ]
    checks = verdict_checks(findings, {}, HealthRules(), scopes=["billing", "dispatch"])
    g = grid(checks)
    assert g["dispatch"]["error_handling"] == "fail"
    assert g["billing"]["error_handling"] == "pass"
    assert g["billing~ledger"]["orphans"] == "fail"  # 0.6% of invoices, but $40,227
    top = priorities(checks)
    assert [(c["scope"], c["severity"]) for c in top] == [
        ("billing~ledger", "critical"),
        ("dispatch", "critical"),
    ]
    assert "$40,227" in top[0]["sentence"] and "109 of 18,000 invoices" in top[0]["sentence"]
    orphan = next(c for c in checks if c["check"] == "orphans")
    assert orphan["money_at_stake_cents"] == 4_022_700


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("12 MAIN ST APT 21, CHICAGO, IL 60601", "12 MAIN ST # 21, CHICAGO, IL 60601"),
        ("12 MAIN ST UNIT 21, CHICAGO, IL 60601", "12 MAIN ST #21, CHICAGO, IL 60601"),
        ("12 MAIN ST STE. 21, CHICAGO, IL 60601", "12 MAIN ST APT #21, CHICAGO, IL 60601"),
    ],
)
def test_unit_variants_are_not_address_disagreements(a: str, b: str) -> None:
    assert unit_canonical(a) == unit_canonical(b)
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE _xp AS SELECT 'crm' AS sys_a, 'ledger' AS sys_b, 'k1' AS key_a, "
        "'k2' AS key_b, ? AS address_line, ? AS b_address_line UNION ALL SELECT 'crm', "
        "'ledger', 'k3', 'k4', '1 NORTH RD, X', '9 SOUTH RD, X'",
        [a, b],
    )
    (c,) = _disagreements(con, "customer", "address_line", "high", {("crm", "ledger"): 2})
    assert c["count"] == 1  # only the real difference
    assert c["examples"][0]["key_a"] == "k3"


def test_the_gate_fails_the_job_at_the_chosen_level() -> None:
    checks = [
        {"check": "orphans", "scope": "a~b", "verdict": "fail"},
        {"check": "timing", "scope": "a", "verdict": "warn"},
    ]
    assert gate.tripped(checks, None) == []  # default: broken input only
    assert [c["check"] for c in gate.tripped(checks, "fail")] == ["orphans"]
    assert len(gate.tripped(checks, "warn")) == 2
    checks.append({"check": "error_handling", "scope": "a", "verdict": "fail"})
    assert [c["check"] for c in gate.tripped(checks, None)] == ["error_handling"]


def test_the_run_log_counts_failed_runs_and_the_gap() -> None:
    runs = [
        {"run_id": 3, "status": "failed", "started_at": "2025-01-03 02:00:00", "summary": {}},
        {"run_id": 2, "status": "complete", "started_at": "2025-01-01 02:00:00", "summary": {}},
    ]
    log = run_log(runs, run_id=4, run_time=datetime(2025, 1, 4, 2, 0))
    assert log["last_complete_run"] == 2 and log["hours_since_last_complete"] == 72.0
    assert [r["run_id"] for r in log["failed_since"]] == [3]
    checks = verdict_checks([], {"run_log": log}, HealthRules(), scopes=[])
    assert grid(checks)["all systems"]["timing"] == "fail"  # 72 h over the 50 h line


def test_a_missing_orphans_file_is_said_and_an_empty_one_is_a_choice(tmp_path: Path) -> None:
    from resolver.review.orphans import load_orphan_rules

    missing = orphans_state(load_orphan_rules(tmp_path))
    assert missing["missing"] and "orphans.yaml" in missing["why"]
    (tmp_path / "orphans.yaml").write_text("expectations: {}\n", encoding="utf-8")
    chosen = orphans_state(load_orphan_rules(tmp_path))
    assert not chosen["checked"] and not chosen["missing"]
    g_missing = grid(verdict_checks([], {}, HealthRules(), scopes=[], orphans_state=missing))
    g_chosen = grid(verdict_checks([], {}, HealthRules(), scopes=[], orphans_state=chosen))
    assert g_missing["all systems"]["orphans"] == "warn"
    assert g_chosen["all systems"]["orphans"] == "pass"


def test_the_live_display_is_one_line_redrawn() -> None:
    out = io.StringIO()
    p = LiveProgress(stream=out, expected_stages=3)
    for name in ("read", "link", "publish"):
        with p.stage(name, total=10) as advance:
            advance(10)
    p.finish()
    text = out.getvalue()
    assert "\n" not in text  # no stacked bars: every draw returns to the line's start
    assert "[3/3] publish" in text and "10/10 rows" in text


def test_cron_lines_are_dated_with_the_run_id_and_json_parses() -> None:
    out = io.StringIO()
    p = LineProgress(stream=out)
    p.run_id = 7
    with p.stage("ingest", total=5):
        pass
    first = out.getvalue().splitlines()[0]
    assert datetime.fromisoformat(first.split(" ")[0]).year >= 2024
    assert " run 7 ingest started" in first
    out = io.StringIO()
    p = LineProgress(stream=out, fmt="json")
    p.run_id = 7
    with p.stage("ingest"):
        p.note("hello")
    docs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [d["event"] for d in docs] == ["stage_start", "note", "stage_end"]
    assert all(d["run_id"] == 7 and d["time"] for d in docs)


def _report() -> dict:
    findings = [_finding("rejects", "crm", "customer", 30, 100, reason_kind="bad_date")]
    checks = verdict_checks(findings, {}, HealthRules(), scopes=["crm"])
    return {
        "run_id": 5,
        "created_at": "2025-01-01T00:00:00",
        "checks": checks,
        "findings": findings,
        "systems": [],
        "history": [],
    }


def test_the_webhook_posts_the_summary_to_a_local_receiver() -> None:
    got: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        status = gate.post_summary(f"http://127.0.0.1:{server.server_port}/hook", _report())
    finally:
        server.shutdown()
        server.server_close()
    assert status == 204
    (doc,) = got
    assert doc["run_id"] == 5 and doc["verdict"] == "fail"
    assert {"check": "error_handling", "scope": "crm", "verdict": "fail"}.items() <= (
        doc["checks"][0].items()
    )
    assert doc["priorities"] and "health report, run 5: FAIL" in doc["text"]


def test_an_unreachable_webhook_raises_oserror() -> None:
    with pytest.raises(OSError):
        gate.post_summary("http://127.0.0.1:9/hook", _report(), timeout=2)


def test_the_markdown_reads_at_100_columns() -> None:
    r = _report()
    r["findings"][0]["title"] = "a very long title " * 20
    r["checks"] = verdict_checks(r["findings"], {}, HealthRules(), scopes=["crm"])
    md = render(r, "md")
    assert max(len(line) for line in md.splitlines()) <= 100
    assert max(len(line) for line in summary_lines(r)) <= 100


def test_a_sync_lag_beyond_its_limit_fails_timing_of_the_pair() -> None:
    lag = {
        "object": "invoice",
        "field": "invoice_date",
        "scope": "billing~ledger",
        "pairs": 100,
        "p50_days": 0,
        "p95_days": 45,
        "max_days": 60,
        "slowest": [],
    }
    checks = verdict_checks([], {"sync_lag": [lag]}, HealthRules(), scopes=[])
    assert grid(checks)["billing~ledger"]["timing"] == "fail"
    ok = verdict_checks([], {"sync_lag": [lag | {"p95_days": 1}]}, HealthRules(), scopes=[])
    assert grid(ok)["billing~ledger"]["timing"] == "pass"


def test_completeness_grades_the_fields_health_yaml_names_per_object_and_system() -> None:
    """By default a missing due date is listed, not graded; health.yaml may name it for
    invoices, and a system may have its own list (dispatch need not fill emails)."""
    findings = [
        _finding("completeness", "billing", "invoice", 50, 100, field="due_date", key="d"),
        _finding("completeness", "dispatch", "customer", 50, 100, field="email", key="e"),
        _finding("completeness", "crm", "customer", 50, 100, field="email", key="e"),
    ]
    scopes = ["billing", "crm", "dispatch"]
    g = grid(verdict_checks(findings, {}, HealthRules(), scopes=scopes))
    assert "billing" not in g and g["dispatch"]["completeness"] == "fail"
    rules = parse_health_rules(
        {
            "completeness_fields": {
                "invoice": ["amount", "due_date"],
                "by_system": {"dispatch": {"customer": ["phone", "address"]}},
            }
        }
    )
    assert rules.completeness_columns("invoice", "billing") == {"amount_cents", "due_date"}
    g = grid(verdict_checks(findings, {}, rules, scopes=scopes))
    assert g["billing"]["completeness"] == "fail"
    assert "dispatch" not in g and g["crm"]["completeness"] == "fail"


def test_unknown_completeness_fields_are_named() -> None:
    with pytest.raises(RulesError) as err:
        parse_health_rules(
            {
                "completeness_fields": {
                    "customer": ["emial"],
                    "vendor": ["name"],
                    "by_system": {"crm": {"invoice": "amount"}},
                }
            },
            where="rules/health.yaml",
        )
    text = str(err.value)
    for part in ("completeness_fields.customer: unknown field 'emial'", "vendor", "crm.invoice"):
        assert part in text
    with pytest.raises(RulesError, match=r"by_system\.nowhere"):
        parse_health_rules(
            {"completeness_fields": {"by_system": {"nowhere": {"customer": ["email"]}}}},
            systems={"crm", "billing"},
        )


def _ops_report() -> dict:
    findings = [
        _finding("rejects", "crm", "customer", 30, 100, reason_kind="bad_date"),
        _finding(
            "orphans",
            "billing",
            "invoice",
            109,
            18000,
            amount_cents=4_022_700,
            scope="billing~ledger",
            target="ledger",
            title="every billing invoice reaches the ledger",
        ),
        _finding("completeness", "dispatch", "customer", 12, 100, field="phone", key="p"),
    ]
    checks = verdict_checks(findings, {}, HealthRules(), scopes=["billing", "crm", "dispatch"])
    before = [{**c, "verdict": "pass"} if c["scope"] == "crm" else c for c in checks]
    return {
        "run_id": 5,
        "created_at": "2025-02-01T02:00:00",
        "checks": checks,
        "changes": changes(before, checks) | {"since_run": 4},
        "findings": findings,
        "systems": [],
        "history": [],
    }


def test_the_summary_heads_with_failing_checks_money_and_what_changed() -> None:
    """An ops manager's first three lines: how many checks fail, the money at stake,
    what changed since the last run."""
    lines = summary_lines(_ops_report())
    assert lines[0].startswith("health report, run 5: FAIL — 2 of 3 checks failing, 1 warning")
    assert lines[1] == "at stake: $40,227 (orphans $40,227)"
    assert lines[2] == "since run 4: 1 worse (crm error handling pass -> fail), none better"


def test_every_priority_says_what_to_do_next() -> None:
    """Each non-passing check carries a next step naming the command or file to act on,
    in the console, the Markdown, the HTML and the webhook."""
    r = _ops_report()
    text = " ".join(" ".join(summary_lines(r)).split())  # lines wrap at 100 columns
    assert "next: work the orphan list (/review/orphans)" in text
    assert "resolver export missing --system ledger --object invoice" in text
    assert "next: read the rejected rows (bad_date)" in text
    assert "fill phone in dispatch's export" in text
    for fmt in ("md", "html"):
        out = " ".join(render(r, fmt).split())
        assert "resolver export missing --system ledger" in out, fmt
        assert "$40,227" in out.split("Trend")[0], fmt
    doc = gate.webhook_payload(r)
    assert doc["next_steps"][0].startswith("billing~ledger orphans: work the orphan list")


def test_verdict_changes_since_the_last_run() -> None:
    before = [
        {"check": "timing", "scope": "crm", "verdict": "pass"},
        {"check": "orphans", "scope": "billing~ledger", "verdict": "fail"},
    ]
    after = [
        {"check": "timing", "scope": "crm", "verdict": "fail"},
        {"check": "orphans", "scope": "billing~ledger", "verdict": "warn"},
        {"check": "duplicates", "scope": "dispatch", "verdict": "pass"},
    ]
    got = changes(before, after)
    assert got["worse"] == [{"check": "timing", "scope": "crm", "was": "pass", "now": "fail"}]
    assert got["better"] == [
        {"check": "orphans", "scope": "billing~ledger", "was": "fail", "now": "warn"}
    ]


def test_a_priority_puts_money_on_the_measure_that_carries_it() -> None:
    """A customer status disagreement costs nothing itself: the cell's money from its
    invoice amounts is said as the check's, not as the status's."""
    findings = [
        _finding(
            "agreement",
            "billing~ledger",
            "customer",
            40,
            100,
            field="status",
            key="s",
            title="status disagrees between linked records",
        ),
        _finding(
            "agreement",
            "billing~ledger",
            "invoice",
            2,
            100,
            field="amount_cents",
            key="a",
            money_cents=3_000,
        ),
    ]
    (c,) = verdict_checks(findings, {}, HealthRules(), scopes=["billing~ledger"])
    (p,) = priorities([c])
    assert "status" in p["sentence"] and "($30)" not in p["sentence"]
    assert "$30 at stake in its other measures" in p["sentence"]
