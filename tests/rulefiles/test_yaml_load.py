"""One bounded YAML loader: an alias bomb or an oversized file is refused at once,
naming the file, wherever a contract, rules or keys file is read."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from api.key_ring import KeyRing, KeysError
from resolver.errors import ContractError, RulesError
from resolver.ingest.contracts import load_contracts
from resolver.linkage.rules import read_overrides
from resolver.rulefiles import load_yaml
from resolver.rulefiles.yaml_load import MAX_BYTES, UnsafeYaml

ROOT = Path(__file__).resolve().parents[2]

# nine levels of nine: 9**9 (387 million) strings when walked
BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def _under(key: str) -> str:
    return f"{key}:\n" + "".join(f"  {line}\n" for line in BOMB.splitlines())


def test_an_alias_bomb_under_training_is_refused_naming_the_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    path = rules / "customers.yaml"
    path.write_text(path.read_text() + _under("training"))
    with pytest.raises(RulesError) as err:
        read_overrides(rules, "customer")
    (problem,) = err.value.problems
    assert problem.file == str(path)
    assert "refused: its aliases expand to over 100,000 values" in problem.message


def test_the_batch_job_fails_fast_on_an_alias_bomb(tmp_path: Path) -> None:
    """A real process on a real bomb file: one error line, no traceback, and it ends
    (within the subprocess timeout; without the loader it runs until memory is gone)."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    path = rules / "customers.yaml"
    path.write_text(path.read_text() + _under("training"))
    cmd = [sys.executable, "-m", "resolver", "check", "--rules", str(rules)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert f"{path}: not valid YAML: refused: its aliases expand" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_contract_alias_bomb_is_a_contract_problem(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    (rules / "sources").mkdir(parents=True)
    contract = rules / "sources" / "crm.yaml"
    contract.write_text(
        "system: crm\nobject: customer\nfile: c.csv\nid: ID\n"
        "fields: {last_name: Last}\n" + _under("enum_maps")
    )
    (tmp_path / "c.csv").write_text("ID,Last\n1,Lee\n")
    with pytest.raises(ContractError) as err:
        load_contracts(rules, data_dir=tmp_path)
    assert any(p.file == str(contract) and "alias" in p.message for p in err.value.problems), (
        err.value.problems
    )


def test_a_keys_file_alias_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(BOMB + "keys: []\n")
    with pytest.raises(KeysError, match="refused: its aliases expand"):
        KeyRing.from_file(path)


def test_the_bomb_is_refused_before_it_is_built() -> None:
    with pytest.raises(UnsafeYaml, match="a YAML alias bomb"):
        load_yaml("bomb.yaml", text=BOMB)


def test_an_alias_that_contains_itself_is_refused() -> None:
    with pytest.raises(UnsafeYaml, match="contains it"):
        load_yaml("loop.yaml", text="a: &a [1, *a]\n")


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("w") as f:
        f.write("a: ")
        f.write("x" * (MAX_BYTES + 1))
    with pytest.raises(UnsafeYaml, match=r"refused: 4,194,30\d bytes"):
        load_yaml(path)


def test_ordinary_anchors_and_large_plain_documents_load(tmp_path: Path) -> None:
    text = "base: &base {kind: string, tf: true}\nname: {<<: *base, column: x}\nother: *base\n"
    assert load_yaml("a.yaml", text=text) == {
        "base": {"kind": "string", "tf": True},
        "name": {"kind": "string", "tf": True, "column": "x"},
        "other": {"kind": "string", "tf": True},
    }
    # many values, no aliases: bounded by size alone
    big = {"map": {f"v{i}": f"V{i}" for i in range(60_000)}}
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(big))
    assert load_yaml(path) == big
    assert load_yaml("empty.yaml", text="") is None
