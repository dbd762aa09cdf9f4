"""What a contract may read (files under --data unless it says otherwise), and its
volume guard (min_rows_ratio), validated like every other key."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.errors import ContractError
from resolver.ingest.contracts import load_contracts

CONTRACT = """\
system: crm
object: customer
file: {file}
id: ContactID
fields: {{last_name: Last Name}}
{extra}"""


def _setup(tmp_path: Path, file: str, extra: str = "") -> tuple[Path, Path]:
    data = tmp_path / "exports" / "today"
    data.mkdir(parents=True)
    (tmp_path / "secret.csv").write_text("ContactID,Last Name\n1,Lee\n")
    (data / "contacts.csv").write_text("ContactID,Last Name\n1,Lee\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "crm.yaml").write_text(CONTRACT.format(file=file, extra=extra))
    return rules, data


@pytest.mark.parametrize("file", ["../../secret.csv", "sub/../../../secret.csv", "{abs}"])
def test_a_file_outside_the_data_folder_is_refused(tmp_path: Path, file: str) -> None:
    file = file.format(abs=tmp_path / "secret.csv")
    rules, data = _setup(tmp_path, file)
    with pytest.raises(ContractError) as err:
        load_contracts(rules, data_dir=data)
    (problem,) = err.value.problems
    assert problem.key == "file"
    assert f"{file!r} is outside the data folder {data}" in problem.message
    assert "allow_outside_data: true" in problem.message


def test_allow_outside_data_lets_a_contract_read_elsewhere(tmp_path: Path) -> None:
    rules, data = _setup(tmp_path, "../../secret.csv", "allow_outside_data: true\n")
    (c,) = load_contracts(rules, data_dir=data)
    assert c.allow_outside_data and c.file.resolve() == (tmp_path / "secret.csv").resolve()


def test_a_file_inside_the_data_folder_is_read(tmp_path: Path) -> None:
    rules, data = _setup(tmp_path, "./contacts.csv")
    (c,) = load_contracts(rules, data_dir=data)
    assert c.min_rows_ratio == 0.5 and not c.allow_outside_data


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("min_rows_ratio: 1.5\n", "1.5 must be a number from 0 to 1"),
        ("min_rows_ratio: half\n", "'half' must be a number from 0 to 1"),
        ("min_rows_ratio: true\n", "True must be a number from 0 to 1"),
        ("allow_outside_data: yes please\n", "must be true or false"),
    ],
)
def test_the_new_keys_are_validated(tmp_path: Path, extra: str, message: str) -> None:
    rules, data = _setup(tmp_path, "contacts.csv", extra)
    with pytest.raises(ContractError) as err:
        load_contracts(rules, data_dir=data)
    assert [p.message for p in err.value.problems] == [message]


def test_min_rows_ratio_zero_is_allowed(tmp_path: Path) -> None:
    rules, data = _setup(tmp_path, "contacts.csv", "min_rows_ratio: 0\n")
    (c,) = load_contracts(rules, data_dir=data)
    assert c.min_rows_ratio == 0.0
