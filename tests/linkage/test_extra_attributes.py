"""A contract's ``extra:`` attributes reach the derived model and change what matches.

People with a member number outside the canonical fields: duplicates of one member
with small typos, and namesakes (two members with one name in one city) that only
the member number tells apart. With ``extra: {member_no: ...}`` the derived model
compares it and keeps the namesakes apart; the same data without it links them.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from resolver import store
from resolver.linkage.model import read_model
from resolver.normalize.extra import normalize_extra
from resolver.pipeline import run_batch

FIRST = [
    "ann",
    "bob",
    "cara",
    "dan",
    "eve",
    "finn",
    "gus",
    "hana",
    "ian",
    "jo",
    "kai",
    "lea",
    "max",
    "nia",
    "oto",
    "pia",
    "ray",
    "sue",
    "tom",
    "uma",
]
LAST = [
    "lee",
    "kim",
    "park",
    "ng",
    "wong",
    "khan",
    "shah",
    "diaz",
    "cruz",
    "ruiz",
    "lima",
    "rossi",
    "ito",
    "sato",
    "berg",
    "moss",
]
CITIES = ["york", "leeds", "hull", "bath", "ely", "wells", "derby", "ripon"]

CONTRACT = """\
system: club
object: customer
file: members.csv
id: id
fields:
  first_name: first
  last_name: last
  city: city
{extra}"""


def _typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text))
    return text[:i] + rng.choice("aeiou") + text[i + 1 :]


def _members(tmp: Path) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """800 members, a third with a second record (a typo in one name); 60 pairs of
    namesakes. Returns the rows and the namesake pairs (record ids)."""
    rng = random.Random(3)
    rows, namesakes = [], []
    for m in range(800):
        person = {
            "first": rng.choice(FIRST),
            "last": rng.choice(LAST),
            "city": rng.choice(CITIES),
            "member_no": f"M{rng.randrange(10**7):07d}",
            "member": m,
        }
        rows.append({**person, "id": f"{m}a"})
        if m % 3 == 0:
            dup = dict(person)
            key = rng.choice(["first", "last"])
            dup[key] = _typo(dup[key], rng)
            rows.append({**dup, "id": f"{m}b"})
        if m % 13 == 1:  # a namesake: another member, same name and city
            twin = {**person, "member_no": f"N{rng.randrange(10**7):07d}", "member": 1000 + m}
            rows.append({**twin, "id": f"{m}t"})
            namesakes.append((f"club:{m}a", f"club:{m}t"))
    df = pd.DataFrame(rows)
    df.drop(columns="member").to_csv(tmp / "members.csv", index=False)
    return df, namesakes


def _run(tmp: Path, extra: str) -> tuple[dict[str, str], dict]:
    rules = tmp / "rules"
    (rules / "sources").mkdir(parents=True)
    (rules / "sources" / "club.yaml").write_text(CONTRACT.format(extra=extra))
    db = tmp / "store.duckdb"
    run_batch(rules_dir=rules, db_path=db, data_dir=tmp, models_dir=tmp / "models", retrain=True)
    con = store.connect(db, read_only=True)
    try:
        entity = dict(con.execute("SELECT record_key, entity_id FROM customer_members").fetchall())
        columns = {r[0] for r in con.execute("DESCRIBE customers").fetchall()}
        stored = {}
        if "x_member_no" in columns:
            stored = dict(con.execute("SELECT record_key, x_member_no FROM customers").fetchall())
    finally:
        con.close()
    model = read_model(tmp / "models", "customer")
    return entity, {"model": model, "stored": stored}


@pytest.mark.slow
def test_an_extra_attribute_becomes_a_comparison_and_keeps_namesakes_apart(
    tmp_path: Path,
) -> None:
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    df, namesakes = _members(tmp_path / "with")
    _members(tmp_path / "without")
    assert len(namesakes) >= 50

    with_extra, got = _run(tmp_path / "with", "extra: {member_no: member_no}\n")
    without, plain = _run(tmp_path / "without", "")

    assert plain["stored"] == {}  # no extra: no x_ column
    comparisons = [c["output_column_name"] for c in got["model"].splink["comparisons"]]
    assert "x_member_no" in comparisons
    assert "x_member_no" not in [
        c["output_column_name"] for c in plain["model"].splink["comparisons"]
    ]
    assert ["x_member_no"] in got["model"].meta["rules"]["blocking"]  # it identifies
    # stored normalized, beside the canonical columns
    assert got["stored"]["club:0a"] == normalize_extra(df.loc[df.id == "0a", "member_no"].item())

    apart_with = sum(with_extra[a] != with_extra[b] for a, b in namesakes)
    apart_without = sum(without[a] != without[b] for a, b in namesakes)
    assert apart_without <= len(namesakes) // 4  # names and city alone link namesakes
    assert apart_with >= len(namesakes) * 9 // 10  # the member number keeps them apart
    # and the true duplicates (a typo in a name, one member number) still link
    dups = [(f"club:{m}a", f"club:{m}b") for m in range(0, 800, 3)]
    assert sum(with_extra[a] == with_extra[b] for a, b in dups) >= len(dups) * 9 // 10
