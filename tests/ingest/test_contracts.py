"""Contract validation: every kind of mistake gets its message, all reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolver.errors import ContractError
from resolver.ingest.contracts import load_contracts

GOOD = """\
system: crm
object: customer
file: people.csv
id: ID
fields:
  first_name: First
  last_name: Last
  email: Email
  status: Status
  updated_at: Changed
enums:
  status: {A: active, I: inactive}
required: [last_name]
parse:
  date_format: "%m/%d/%Y"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "sources").mkdir()
    (tmp_path / "people.csv").write_text(
        "ID,First,Last,Email,Status,Changed\n1,a,b,c,A,01/02/2024\n"
    )
    return tmp_path


def _write(folder: Path, text: str, name: str = "crm.yaml") -> None:
    (folder / "sources" / name).write_text(text)


def _problems(folder: Path) -> list[str]:
    with pytest.raises(ContractError) as exc:
        load_contracts(folder, data_dir=folder)
    return [str(p) for p in exc.value.problems]


def test_a_good_contract_loads(folder: Path) -> None:
    _write(folder, GOOD)
    (contract,) = load_contracts(folder, data_dir=folder)
    assert contract.name == "crm_customer"
    assert contract.fields["last_name"] == "Last"
    assert contract.date_format("updated_at") == "%m/%d/%Y"
    assert contract.source_columns()[0] == "ID"
    assert contract.extra == {}


def test_extra_attributes_are_read(folder: Path) -> None:
    _write(folder, GOOD.replace("system: crm\n", "system: crm\nextra: {contact_mail: Email}\n"))
    (contract,) = load_contracts(folder, data_dir=folder)
    assert contract.extra == {"contact_mail": "Email"}
    assert "Email" in contract.source_columns()


# (line, written instead) -> what the message offers: a column written as the admin
# remembers it gets the header's spelling, a misspelt canonical field the closest field
NEAR_MISSES = {
    ("  email: Email", "  email: E-mail"): "'Email'",
    ("  last_name: Last", "  last_name: last"): "'Last'",
    ("id: ID", "id: Id "): "'ID'",
    ("  updated_at: Changed", "  updated_at: Chnaged"): "'Changed'",
    ("  email: Email", "  emial: Email"): "email",
    ("  first_name: First", "  firstname: First"): "first_name",
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("file: people.csv", "file: missing.csv"), "missing.csv does not exist"),
        (("file: people.csv", "file: people.json"), "only CSV, Parquet and Excel"),
        (("file: people.csv", "file: people.xlsx"), "must name its sheet"),
        (("  email: Email", "  email: E-mail"), "fields.email: column 'E-mail' not in people.csv"),
        (("id: ID", "id: Key"), "id: column 'Key' not in people.csv"),
        (("  email: Email", "  mail: Email"), "fields.mail: unknown canonical field"),
        (("object: customer", "object: person"), "'person' is not one of customer, invoice"),
        (("system: crm", "system: CRM-1"), "must match [a-z][a-z0-9_]*"),
        (("required: [last_name]", "required: [company]"), "required.company"),
        (("A: active", "A: enabled"), "'enabled' is not one of active, inactive, prospect"),
        (('  date_format: "%m/%d/%Y"', "  locale: de"), "parse.locale: unknown key"),
        (("system: crm\n", "system: crm\ncolour: red\n"), "colour: unknown key"),
        (
            ("system: crm\n", "system: crm\nextra: {cuisine: Type}\n"),
            "extra.cuisine: column 'Type' not in people.csv",
        ),
        (
            ("system: crm\n", "system: crm\nextra: {email: Email}\n"),
            "extra.email: email is a canonical field of customer: map it under fields",
        ),
        (("system: crm\n", "system: crm\nextra: {Cuisine: Email}\n"), "extra.Cuisine: a name"),
        (("system: crm\n", "system: crm\nextra: [Email]\n"), "extra: must map attribute"),
        (("id: ID", "id: No"), "YAML read this value as true/false"),
        (("A: active", "Yes: active"), "YAML read this value as true/false"),
        (
            ('  date_format: "%m/%d/%Y"', '  phone_area_code: "31a"'),
            "parse.phone_area_code: '31a' must be 2 to 5 digits",
        ),
        (
            ('  date_format: "%m/%d/%Y"', '  phone_area_code: "310310"'),
            "parse.phone_area_code: '310310' must be 2 to 5 digits",
        ),
        (
            ('  date_format: "%m/%d/%Y"', "  phone_area_code: [310]"),
            "parse.phone_area_code: [310] must be 2 to 5 digits",
        ),
        (
            ("  email: Email", "  emial: Email"),
            "fields.emial: unknown canonical field for customer",
        ),
        *((change, f"did you mean {meant}?") for change, meant in NEAR_MISSES.items()),
    ],
)
def test_each_mistake_has_its_message(folder: Path, change: tuple[str, str], expected: str) -> None:
    _write(folder, GOOD.replace(*change))
    problems = _problems(folder)
    assert any(expected in p for p in problems), problems
    assert all("crm.yaml" in p for p in problems)


@pytest.mark.parametrize(("value", "expected"), [('"310"', "310"), ("310", "310"), ('"02"', "02")])
def test_a_phone_area_code_is_read(folder: Path, value: str, expected: str) -> None:
    _write(folder, GOOD + f"  phone_area_code: {value}\n")
    (contract,) = load_contracts(folder, data_dir=folder)
    assert contract.phone_area_code == expected


def test_every_problem_is_reported_at_once(folder: Path) -> None:
    bad = GOOD.replace("  email: Email", "  mail: x")
    _write(folder, bad)
    _write(folder, "system: [\n", name="broken.yaml")
    _write(folder, GOOD.replace("id: ID", "id: Nope"), name="other.yaml")
    _write(folder, GOOD, name="again.yaml")
    problems = _problems(folder)
    text = "\n".join(problems)
    assert "broken.yaml" in text and "not valid YAML" in text
    assert "fields.mail" in text
    assert "other.yaml: id: column 'Nope'" in text
    assert "already defined by" in text  # crm/customer twice


def test_a_folder_without_contracts_says_so(tmp_path: Path) -> None:
    problems = _problems(tmp_path)
    assert "no source contracts" in problems[0]


def test_the_shipped_demo_contracts_are_valid(demo_world: Path) -> None:
    contracts = load_contracts(Path("rules"), data_dir=demo_world)
    assert {(c.system, c.object) for c in contracts} == {
        ("crm", "customer"),
        ("dispatch", "customer"),
        ("billing", "customer"),
        ("ledger", "customer"),
        ("billing", "invoice"),
        ("ledger", "invoice"),
    }


def test_a_tab_separated_file_read_as_csv_names_the_tab_once_escaped(folder: Path) -> None:
    (folder / "people.tsv").write_text(
        "ID\tFirst\tLast\tEmail\tStatus\tChanged\n1\ta\tb\tc\tA\t01/02/2024\n"
    )
    _write(folder, GOOD.replace("file: people.csv", "file: people.tsv"))
    problems = _problems(folder)
    assert any(
        "people.tsv looks '\\t'-delimited, not ',': its header splits on '\\t' into the "
        'mapped columns; set csv: {delimiter: "\\t"}' in p
        for p in problems
    ), problems


@pytest.mark.parametrize(
    "change",
    [
        # nothing in the header is close: no guess
        ("  email: Email", "  email: Telefax"),
        ("  email: Email", "  shoe_size: Email"),
    ],
)
def test_no_guess_when_nothing_is_close(folder: Path, change: tuple[str, str]) -> None:
    _write(folder, GOOD.replace(*change))
    assert not any("did you mean" in p for p in _problems(folder)), _problems(folder)


def test_a_header_the_declared_encoding_cannot_decode_says_to_set_csv_encoding(
    folder: Path,
) -> None:
    """A Windows export (cp1252) read as UTF-8, its header already undecodable: the
    problem names the file, the header line, the byte and the contract key to set,
    instead of Python's bare "'utf-8' codec can't decode byte 0xdf"."""
    (folder / "people.csv").write_bytes(
        "ID,First,Last,Email,Status,Changed,Straße\n1,a,b,c,A,01/02/2024,x\n".encode("cp1252")
    )
    _write(folder, GOOD)
    problems = _problems(folder)
    assert len(problems) == 1, problems
    assert "people.csv: line 1 (the header)" in problems[0]
    assert "cannot be decoded as utf-8 (byte 0xdf)" in problems[0]
    assert "csv: {encoding: ...}" in problems[0] and "cp1252" in problems[0]
    assert problems[0].split(": ")[1] == "csv.encoding"


def test_an_undecodable_byte_in_a_row_leaves_the_contract_valid(folder: Path) -> None:
    """A byte the encoding cannot decode in a row (not the header) is that row's
    `bad_encoding` reject at ingest: checking the header must not refuse the whole source
    because the row was read in the same buffer."""
    (folder / "people.csv").write_bytes(
        b"ID,First,Last,Email,Status,Changed\n1,J\xfcrgen,M\xfcller,c,A,01/02/2024\n"
    )
    _write(folder, GOOD)
    assert [c.system for c in load_contracts(folder, data_dir=folder)] == ["crm"]
