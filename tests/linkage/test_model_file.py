"""Model files are engine-neutral; each engine gets its own SQL on load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolver.linkage.model import read_model, save_model
from resolver.linkage.model_file import for_engine, neutral_settings, translate_sql

MODELS = Path(__file__).resolve().parents[2] / "models"


def _sql_texts(settings: dict) -> list[str]:
    out = [
        r if isinstance(r, str) else r["blocking_rule"]
        for r in settings["blocking_rules_to_generate_predictions"]
    ]
    for comp in settings["comparisons"]:
        out += [lv["sql_condition"] for lv in comp["comparison_levels"]]
    return out


@pytest.mark.parametrize("obj", ["customer", "invoice"])
def test_a_saved_model_names_no_engine_and_quotes_nothing(obj: str, tmp_path: Path) -> None:
    model = read_model(MODELS, obj)
    # as Splink writes it from DuckDB: dialect tags and quoted identifiers
    model.splink["sql_dialect"] = "duckdb"
    model.splink["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": 'l."email_key" = r."email_key"', "sql_dialect": "duckdb"}
    ]
    path = save_model(model, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "sql_dialect" not in text
    assert '\\"' not in text  # no quoted identifier anywhere in the SQL
    doc = json.loads(text)["splink"]
    assert doc["blocking_rules_to_generate_predictions"] == ["l.email_key = r.email_key"]


def test_the_committed_models_are_neutral() -> None:
    for name in ("customers.json", "invoices.json"):
        assert "sql_dialect" not in (MODELS / name).read_text(encoding="utf-8")


def test_duckdb_runs_the_neutral_sql_unchanged() -> None:
    model = read_model(MODELS, "customer")
    settings = for_engine(model.splink, "duckdb")
    assert settings["sql_dialect"] == "duckdb"
    assert _sql_texts(settings) == _sql_texts(neutral_settings(model.splink))


@pytest.mark.parametrize(
    ("sql", "spark"),
    [
        # DuckDB's own string distances, registered on Spark (resolver.spark.functions)
        (
            "jaro_winkler_similarity(a_l, a_r) >= 0.9",
            "DUCKDB_JARO_WINKLER_SIMILARITY(a_l, a_r) >= 0.9",
        ),
        ("jaro_similarity(a_l, a_r) >= 0.9", "DUCKDB_JARO_SIMILARITY(a_l, a_r) >= 0.9"),
        ("levenshtein(a_l, a_r) <= 1", "DUCKDB_LEVENSHTEIN(a_l, a_r) <= 1"),
        ("damerau_levenshtein(a_l, a_r) <= 1", "DUCKDB_DAMERAU_LEVENSHTEIN(a_l, a_r) <= 1"),
        ("list_has_any(v_l, v_r)", "ARRAYS_OVERLAP(v_l, v_r)"),
        ("list_has_all(v_l, v_r)", "SIZE(ARRAY_EXCEPT(v_r, v_l)) = 0"),
        ("x_l::DOUBLE > 1", "TRY_CAST(x_l AS DOUBLE) > 1"),
        ("CAST(x_l AS INTEGER) = 1", "TRY_CAST(x_l AS INT) = 1"),
        ("len(list_distinct(v_l)) = 2", "SIZE(ARRAY_DISTINCT(v_l)) = 2"),
        ("length(s_l) = 2", "LENGTH(s_l) = 2"),
        ('"a_l" = "a_r"', "`a_l` = `a_r`"),
    ],
)
def test_spark_sql_is_translated(sql: str, spark: str) -> None:
    assert translate_sql(sql, "spark") == spark


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown engine 'oracle'"):
        translate_sql("a = b", "oracle")


def test_a_model_trained_on_spark_is_saved_in_the_neutral_sql() -> None:
    neutral = read_model(MODELS, "customer").splink
    on_spark = for_engine(neutral, "spark")  # what Splink saves after training on Spark
    assert _sql_texts(neutral_settings(on_spark)) != _sql_texts(neutral)  # Spark's SQL kept
    saved = neutral_settings(on_spark, sql_from=neutral)
    assert _sql_texts(saved) == _sql_texts(neutral)
    assert "sql_dialect" not in json.dumps(saved)
