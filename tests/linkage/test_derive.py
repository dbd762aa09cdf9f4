"""The model derived from the data: what each data shape gets, and that training never
crashes on a column that is absent or empty.

Each case writes a small CSV, a contract for it and nothing else (a contracts-only rules
folder), and trains through `resolver.pipeline.train`: ingest, normalize, profile,
derive, EM. The data is generated here with duplicates in it, so every shape has
something to learn from.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
import yaml

from resolver.errors import RulesError
from resolver.linkage.comparisons import comparison_dict
from resolver.linkage.derive import FAMILIES, reads_columns
from resolver.linkage.model import _deduct_matches_from_u, _floor_m
from resolver.linkage.rules import merge_overrides
from resolver.pipeline import train

FIRST = ["anna", "ben", "carla", "david", "elena", "frank", "grace", "hugo", "iris", "jonas"]
LAST = ["smith", "novak", "garcia", "muller", "rossi", "kowalski", "brown", "jensen", "dubois"]
STREETS = ["high street", "station road", "church lane", "mill road", "park avenue"]
UK_POSTCODES = ["SW1A 1AA", "EC1A 1BB", "W1A 0AX", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT"]


def _people(n: int, seed: int) -> pd.DataFrame:
    """``n`` people, each written once or twice (the second copy with a small change)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        person = {
            "first": rng.choice(FIRST),
            "last": rng.choice(LAST) + rng.choice(["", "s", "er", "ova"]),
            "email": f"user{i}@mail{rng.randint(1, 9)}.com",
            "phone": f"0{rng.randint(1000000000, 9999999999)}",
            "street": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
            "city": rng.choice(["leeds", "york", "bath", "hull", "derby"]),
            "postcode": rng.choice(UK_POSTCODES),
            "company": f"{rng.choice(LAST)} {rng.choice(['ltd', 'plumbing', 'builders'])} {i}",
            "dob": f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        }
        rows.append({"id": f"{i}a", **person})
        if rng.random() < 0.5:
            copy = dict(person)
            copy["first"] = copy["first"][:-1] + "x" if rng.random() < 0.3 else copy["first"]
            rows.append({"id": f"{i}b", **copy})
    return pd.DataFrame(rows)


SHAPES = {
    # every field a contract could give
    "full": {"first_name": "first", "last_name": "last", "email": "email", "phone": "phone",
             "street": "street", "city": "city", "postal_code": "postcode", "birth_date": "dob"},
    "no_email": {"first_name": "first", "last_name": "last", "phone": "phone",
                 "street": "street", "city": "city", "postal_code": "postcode"},
    "no_names": {"email": "email", "phone": "phone", "street": "street", "city": "city"},
    "organisations": {"company": "company", "phone": "phone", "street": "street",
                      "city": "city"},
    "international": {"first_name": "first", "last_name": "last", "street": "street",
                      "city": "city", "postal_code": "postcode", "country": None},
}  # fmt: skip


def _train(tmp_path: Path, shape: str, *, empty: tuple[str, ...] = ()) -> dict:
    df = _people(150, seed=len(shape))
    for col in empty:
        df[col] = ""
    df["country"] = "GB"
    data = tmp_path / "data"
    data.mkdir()
    df.to_csv(data / "people.csv", index=False)
    fields = {k: (v or "country") for k, v in SHAPES[shape].items()}
    contract = {
        "system": "crm",
        "object": "customer",
        "file": "people.csv",
        "id": "id",
        "fields": fields,
        "parse": {"date_format": "iso", "country": "GB", "phone_region": "GB"},
    }
    rules = tmp_path / "rules"
    (rules / "sources").mkdir(parents=True)
    (rules / "sources" / "people.yaml").write_text(yaml.safe_dump(contract))
    models = train(
        rules_dir=rules, db_path=tmp_path / "store.duckdb", data_dir=data, models_dir=tmp_path / "m"
    )
    return models["customer"].meta


@pytest.mark.slow
@pytest.mark.parametrize(
    ("shape", "present", "absent"),
    [
        ("full", {"first_name", "last_name", "email", "contact", "birth_date"}, {"company"}),
        ("no_email", {"first_name", "last_name", "contact"}, {"email"}),
        ("no_names", {"email", "contact"}, {"first_name", "last_name", "names_swapped"}),
        ("organisations", {"company", "contact"}, {"first_name", "email"}),
        ("international", {"first_name", "last_name", "address"}, {"phone", "contact", "email"}),
    ],
)
def test_each_shape_gets_the_comparisons_its_fields_support(
    tmp_path: Path, shape: str, present: set[str], absent: set[str]
) -> None:
    meta = _train(tmp_path, shape)
    comps = meta["rules"]["comparisons"]
    assert present <= set(comps), comps.keys()
    assert not absent & set(comps)
    blocked = {c for cols in meta["rules"]["blocking"] for c in cols}
    if shape == "international":  # a UK postcode is kept, compared and blocked on
        assert comps["address"]["postal_column"] == "postal_norm"
        assert "postal_norm" in blocked
    if "email" in absent:
        assert not {"email_key", "email_user"} & blocked
    # every comparison was trained by a pass, none on pairs that all agree on it
    reads = reads_columns(comps)
    for cols in meta["rules"]["training"]["em_blocking"]:
        for name in comps:
            fam = FAMILIES.get(name, set())
            assert not fam & set(cols) or reads[name] & set(cols), (name, cols)


@pytest.mark.slow
def test_an_empty_column_has_no_comparison_and_training_says_so(tmp_path: Path) -> None:
    meta = _train(tmp_path, "full", empty=("email", "dob"))
    assert "email" not in meta["rules"]["comparisons"]
    assert "birth_date" not in meta["rules"]["comparisons"]
    notes = " ".join(meta["derivation"])
    assert "email_norm: filled in 0.0% of rows; no comparison" in notes
    assert "estimated blocking recall" in notes


def _levels(splink: dict) -> list[dict]:
    return [lv for c in splink["comparisons"] for lv in c["comparison_levels"]]


def test_u_loses_the_matches_random_sampling_counted() -> None:
    comp = comparison_dict("phone", {"kind": "exact", "column": "phone_digits"})
    null, exact, other = comp["comparison_levels"]
    exact.update(m_probability=0.9, u_probability=0.002)
    other.update(m_probability=0.1, u_probability=0.998)
    splink = {"comparisons": [comp]}
    _deduct_matches_from_u(splink, 0.001)
    # measured 0.002 = 0.001 * 0.9 + 0.999 * u
    assert exact["u_probability"] == pytest.approx((0.002 - 0.0009) / 0.999)
    assert other["u_probability"] == pytest.approx((0.998 - 0.0001) / 0.999)
    assert sum(lv["u_probability"] for lv in (exact, other)) == pytest.approx(1.0)
    # when matches are nearly all a level holds, u keeps an eighth of what was measured
    exact.update(m_probability=0.9, u_probability=0.0005)
    _deduct_matches_from_u(splink, 0.001)
    assert exact["u_probability"] == pytest.approx(0.0005 / 8)
    assert "m_probability" not in null


def test_a_comparison_owns_its_levels() -> None:
    """Training writes m and u into the levels: one comparison's must never be
    another's (the shared "different" level once carried a test's m and u into every
    model trained after it in the same process)."""
    first = comparison_dict("phone", {"kind": "exact", "column": "phone_digits"})
    first["comparison_levels"][-1].update(m_probability=0.1, u_probability=0.998)
    second = comparison_dict("email", {"kind": "exact", "column": "email_key"})
    assert "m_probability" not in second["comparison_levels"][-1]


def test_no_level_weighs_more_than_the_floor_allows() -> None:
    comp = comparison_dict("first_name", {"kind": "exact", "column": "first_name_norm"})
    comp["comparison_levels"][1].update(m_probability=1.0, u_probability=0.01)
    comp["comparison_levels"][2].update(m_probability=1e-40, u_probability=0.99)
    floored = _floor_m({"comparisons": [comp]})
    assert floored == ["first_name/different"]
    assert comp["comparison_levels"][2]["m_probability"] == 1e-5


def test_overrides_merge_by_name_and_twice_is_once() -> None:
    base = {
        "comparisons": {"email": {"kind": "exact", "column": "email_key"}, "city": {"kind": "x"}},
        "thresholds": {"auto_link": 0.95, "review": 0.5},
        "blocking": [["email_key"]],
    }
    over = {"comparisons": {"city": None}, "thresholds": {"review": 0.4}, "blocking": [["x"]]}
    once = merge_overrides(base, over)
    assert once["comparisons"] == {"email": {"kind": "exact", "column": "email_key"}}
    assert once["thresholds"] == {"auto_link": 0.95, "review": 0.4}
    assert once["blocking"] == [["x"]]
    assert merge_overrides(once, over) == once
    assert base["comparisons"]["city"] == {"kind": "x"}  # the base is not changed


def test_too_few_rows_to_derive_a_model_says_so_in_one_problem(tmp_path: Path) -> None:
    """A first try on a small sample: no field has enough rows to compare, so nothing can
    be derived. One problem says why and what to do, instead of four complaints about a
    rules file the user never wrote."""
    df = _people(150, seed=1).head(4)
    data = tmp_path / "data"
    data.mkdir()
    df.to_csv(data / "people.csv", index=False)
    contract = {
        "system": "crm",
        "object": "customer",
        "file": "people.csv",
        "id": "id",
        "fields": {"first_name": "first", "last_name": "last", "email": "email"},
    }
    rules = tmp_path / "rules"
    (rules / "sources").mkdir(parents=True)
    (rules / "sources" / "people.yaml").write_text(yaml.safe_dump(contract))
    with pytest.raises(RulesError) as err:
        train(rules_dir=rules, db_path=tmp_path / "s.duckdb", data_dir=data, models_dir=tmp_path)
    assert len(err.value.problems) == 1, str(err.value)
    message = str(err.value)
    assert "4 customer records" in message
    assert "load more rows" in message
    assert "must be a non-empty list" not in message
