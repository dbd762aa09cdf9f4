"""Rules SQL runs in a sandbox: one expression over the pair or record it judges.

A veto, a deterministic rule, a custom comparison level or an orphan ``where:`` that
tries to write a file, read one, run a second statement or touch the session is
refused before any work starts, naming the file, the rule and the offending token;
the shipped rules and models pass and still score."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from resolver.demo.fixtures import DemoStore
from resolver.errors import RulesError
from resolver.linkage.model import load_model_and_rules
from resolver.linkage.rules import read_overrides
from resolver.matching.matcher import Matcher
from resolver.review.orphans import load_orphan_rules
from resolver.rulefiles import sql_problem

ROOT = Path(__file__).resolve().parents[2]


def _rules_with(tmp_path: Path, customers: dict) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    doc = yaml.safe_load((rules / "customers.yaml").read_text()) or {}
    (rules / "customers.yaml").write_text(yaml.safe_dump({**doc, **customers}))
    return rules


def _escapes(out: Path) -> list[tuple[str, str]]:
    """(SQL, what the refusal must name) for each way out of the sandbox."""
    return [
        (f"l.email = r.email OR (COPY customers TO '{out}')", "'COPY'"),
        (f"l.email = r.email); COPY customers TO '{out}'; SELECT (1", "';'"),
        ("l.email IN (SELECT column0 FROM read_csv('/etc/passwd'))", "read_csv(...)"),
        ("l.email = r.email; DROP TABLE customers", "';'"),
        ("l.email = r.email OR EXISTS (FROM '/etc/passwd')", "a subquery"),
        ("l.email = r.email OR read_text('/etc/passwd') IS NULL", "'read_text'"),
        ("getenv('HOME') = l.email", "'getenv'"),
        ("current_setting('temp_directory') = l.email", "'current_setting'"),
        ("nextval('seq') > 0", "'nextval'"),
        ("ATTACH '/tmp/x.duckdb' AS x", "'ATTACH'"),
        ("INSTALL httpfs", "'INSTALL'"),
        ("LOAD httpfs", "'LOAD'"),
        ("PRAGMA version", "'PRAGMA'"),
        ("SET enable_external_access = true", "'SET'"),
        ("l.email = r.email -- ; COPY", "comment"),
        ("l.email = ?", "'?'"),
        ("main.f(l.email)", "'main.f'"),
    ]


@pytest.mark.parametrize("case", range(17))
def test_a_veto_that_escapes_is_refused_naming_file_rule_and_token(
    tmp_path: Path, case: int
) -> None:
    out = tmp_path / "stolen.csv"
    sql, token = _escapes(out)[case]
    rules = _rules_with(tmp_path, {"vetoes": {"exfil": sql}})
    with pytest.raises(RulesError) as err:
        read_overrides(rules, "customer")
    (problem,) = err.value.problems
    assert problem.file == str(rules / "customers.yaml")
    assert problem.key == "vetoes.exfil"
    assert token in problem.message
    assert not out.exists()


def test_deterministic_rules_and_custom_levels_are_sandboxed(tmp_path: Path) -> None:
    rules = _rules_with(
        tmp_path,
        {
            "prior": {
                "recall": 0.7,
                "deterministic_rules": [
                    "l.email_key = r.email_key",
                    "l.email_key = r.email_key AND EXISTS (SELECT 1 FROM read_csv('/etc/shadow'))",
                ],
            },
            "comparisons": {
                "sneaky": {
                    "kind": "custom",
                    "levels": [{"sql": "email_l = email_r"}, {"sql": "getenv('X') = email_l"}],
                    "null_sql": "email_l IS NULL; DROP TABLE customers",
                }
            },
        },
    )
    with pytest.raises(RulesError) as err:
        read_overrides(rules, "customer")
    found = {p.key: p.message for p in err.value.problems}
    assert set(found) == {
        "prior.deterministic_rules[1]",
        "comparisons.sneaky.levels[1].sql",
        "comparisons.sneaky.null_sql",
    }
    assert "read_csv(...)" in found["prior.deterministic_rules[1]"]
    assert "'getenv'" in found["comparisons.sneaky.levels[1].sql"]
    assert "';'" in found["comparisons.sneaky.null_sql"]


def test_an_orphan_where_that_reads_a_file_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    doc = yaml.safe_load((rules / "orphans.yaml").read_text())
    spec = doc["expectations"]["invoice_in_ledger"]
    spec["from"]["where"] = "status IN (SELECT column0 FROM read_csv('/etc/passwd'))"
    (rules / "orphans.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(RulesError) as err:
        load_orphan_rules(rules)
    (problem,) = err.value.problems
    assert problem.file == str(rules / "orphans.yaml")
    assert problem.key == "expectations.invoice_in_ledger.from.where"
    assert "a subquery reading read_csv(...)" in problem.message


def test_the_batch_job_refuses_an_escaping_veto_before_any_work(
    workdir: tuple[Path, Path], demo_store: DemoStore, tmp_path: Path
) -> None:
    db, world = workdir
    out = tmp_path / "stolen.csv"
    before = db.read_bytes()
    rules = tmp_path / "rules"
    shutil.copytree(demo_store.rules_dir, rules)
    doc = yaml.safe_load((rules / "customers.yaml").read_text()) or {}
    doc["vetoes"] = {"exfil": f"l.email = r.email OR (COPY customers TO '{out}')"}
    (rules / "customers.yaml").write_text(yaml.safe_dump(doc))
    cmd = [*demo_store.run_command(db)]
    cmd[cmd.index("--rules") + 1] = str(rules)
    cmd[cmd.index("--data") + 1] = str(world)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert f"{rules / 'customers.yaml'}: vetoes.exfil: 'COPY'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert db.read_bytes() == before


def test_the_shipped_rules_and_models_pass_the_sandbox() -> None:
    for obj in ("customer", "invoice"):
        read_overrides(ROOT / "rules", obj)
        _, rules = load_model_and_rules(ROOT / "models", ROOT / "rules", obj)
        for sql in [*rules.vetoes.values(), *rules.prior["deterministic_rules"]]:
            assert sql_problem(sql) is None, sql
    load_orphan_rules(ROOT / "rules")
    for path in (ROOT / "models").glob("*.json"):
        text = json.dumps(json.loads(path.read_text()))
        doc = json.loads(text)
        conditions = [
            lv["sql_condition"]
            for comp in doc["splink"]["comparisons"]
            for lv in comp["comparison_levels"]
            if lv["sql_condition"] != "ELSE"
        ]
        assert conditions
        assert [c for c in conditions if sql_problem(c)] == []


@pytest.mark.parametrize(
    "sql",
    [
        "l.birth_date IS NOT NULL AND r.birth_date IS NOT NULL AND l.birth_date <> r.birth_date",
        "CASE WHEN l.tax_id_norm = r.tax_id_norm THEN false ELSE l.zip5 <> r.zip5 END",
        "jaro_winkler_similarity(l.last_name_norm, r.last_name_norm) < 0.5",
        "abs(date_diff('day', l.updated_at, r.updated_at)) > 3650",
        "l.email LIKE '%;%' AND r.company = 'COPY; DROP'",
        "extract(year FROM l.birth_date) <> extract(year FROM r.birth_date)",
        "list_contains(l.first_name_variants, r.first_name_key) = false",
    ],
)
def test_legitimate_vetoes_pass(sql: str) -> None:
    assert sql_problem(sql) is None


def test_a_legitimate_veto_still_vetoes_in_the_batch(
    workdir: tuple[Path, Path], demo_store: DemoStore, tmp_path: Path
) -> None:
    db, world = workdir
    rules = tmp_path / "rules"
    shutil.copytree(demo_store.rules_dir, rules)
    doc = yaml.safe_load((rules / "customers.yaml").read_text()) or {}
    doc["vetoes"] = {"other_branch": "l.branch <> r.branch"}
    (rules / "customers.yaml").write_text(yaml.safe_dump(doc))
    demo_store.run(db, world, rules_dir=rules)
    con = duckdb.connect(str(db), read_only=True)
    try:
        vetoed = con.execute(
            "SELECT count(*) FROM customer_pairs WHERE veto = 'other_branch'"
        ).fetchone()[0]
    finally:
        con.close()
    assert vetoed > 0


def test_the_match_scorer_cannot_reach_files(demo_store: DemoStore) -> None:
    """Defence in depth: the connection /match evaluates rules SQL on has no file access."""
    con = duckdb.connect(str(demo_store.db), read_only=True)
    try:
        matcher = Matcher.from_store(
            con, rules_dir=demo_store.rules_dir, models_dir=demo_store.models_dir
        )
    finally:
        con.close()
    cur = matcher._cursor()
    try:
        with pytest.raises(duckdb.PermissionException):
            cur.execute("SELECT * FROM read_csv('/etc/passwd')")
    finally:
        cur.close()
    # and the connection Splink's scoring SQL and the vetoes run on
    cur = matcher._indexes["customer"].splink._con.cursor()
    try:
        with pytest.raises(duckdb.PermissionException):
            cur.execute("SELECT * FROM read_csv('/etc/passwd')")
    finally:
        cur.close()
