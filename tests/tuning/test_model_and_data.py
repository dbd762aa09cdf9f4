from __future__ import annotations

from math import comb

import duckdb
import pandas as pd
import pytest

from resolver import tuning
from resolver.demo.fixtures import MODELS, RULES, DemoStore


@pytest.fixture(scope="module")
def linkers(demo_store: DemoStore) -> dict:
    from resolver import store

    con = store.connect(demo_store.db, read_only=True)
    try:
        return {
            o: tuning.linker_for(con, o, models_dir=MODELS, rules_dir=RULES)
            for o in ("customer", "invoice")
        }
    finally:
        con.close()


def test_truth_pairs_and_labels(con: duckdb.DuckDBPyConnection, demo_store: DemoStore) -> None:
    entities = tuning.truth_entities(demo_store.truth_dir, "customer")
    loaded = {r[0] for r in con.execute("SELECT record_key FROM customers").fetchall()}
    sizes = entities[entities.index.isin(loaded)].value_counts()
    pairs = tuning.truth_pairs(con, "customer", demo_store.truth_dir)
    assert len(pairs) == sum(comb(int(n), 2) for n in sizes)
    assert (pairs["record_key_l"] < pairs["record_key_r"]).all()
    labels = tuning.truth_labels(con, "customer", demo_store.truth_dir)
    assert labels["is_match"].sum() == len(pairs)
    neg = labels[~labels["is_match"]]
    assert (
        entities.reindex(neg["record_key_l"]).to_numpy()
        != entities.reindex(neg["record_key_r"]).to_numpy()
    ).all()


def test_recurring_invoices_are_different_entities_and_not_merged(
    con: duckdb.DuckDBPyConnection, demo_store: DemoStore
) -> None:
    hard = tuning.hard_negative_pairs(
        con, "invoice", demo_store.truth_dir, kind="recurring_invoice"
    )
    assert len(hard) > 0 and set(hard["kind"]) == {"recurring_invoice"}
    truth = tuning.truth_entities(demo_store.truth_dir, "invoice")
    assert (
        truth.reindex(hard["record_key_l"]).to_numpy()
        != truth.reindex(hard["record_key_r"]).to_numpy()
    ).all()
    members = con.execute("SELECT record_key, entity_id FROM invoice_members").df()
    entity = members.set_index("record_key")["entity_id"]
    same = (
        entity.reindex(hard["record_key_l"]).to_numpy()
        == entity.reindex(hard["record_key_r"]).to_numpy()
    )
    assert (hard["merged"].to_numpy() == same).all()
    assert hard["kept"].equals(hard["match_probability"].notna())
    assert not hard["merged"].any()  # the run keeps recurring invoices apart


def test_linker_scores_agree_with_the_store(con: duckdb.DuckDBPyConnection, linkers: dict) -> None:
    for obj, linker in linkers.items():
        stored = con.execute(
            f"SELECT record_key_l, record_key_r, match_probability FROM {obj}_pairs "
            "ORDER BY match_weight, record_key_l LIMIT 15"
        ).df()
        scored = tuning.pair_scores(linker, con, stored)
        assert len(scored) == len(stored)
        both = stored.merge(scored, on=["record_key_l", "record_key_r"], suffixes=("", "_now"))
        assert both["match_probability_now"].to_numpy() == pytest.approx(
            both["match_probability"].to_numpy(), abs=1e-9
        )


def test_splink_model_charts_and_waterfalls(
    con: duckdb.DuckDBPyConnection, linkers: dict, demo_store: DemoStore
) -> None:
    linker = linkers["customer"]
    assert linker.visualisations.match_weights_chart().chart_dict
    assert linker.visualisations.m_u_parameters_chart().chart_dict
    labels = tuning.truth_labels(con, "customer", demo_store.truth_dir)
    ex = pd.concat(
        [tuning.example_pairs(con, "customer", k, labels=labels) for k in tuning.EXAMPLE_KINDS]
    )
    records = tuning.waterfall_records(linker, con, ex)
    assert [(r["record_key_l"], r["record_key_r"]) for r in records] == [
        tuple(sorted(p)) for p in ex[["record_key_l", "record_key_r"]].itertuples(index=False)
    ]
    chart = linker.visualisations.waterfall_chart(records)
    assert {d["record_number"] for d in chart.chart_dict["data"]["values"]} == {0, 1, 2}


def test_example_pairs_mean_what_they_say(
    con: duckdb.DuckDBPyConnection, demo_store: DemoStore
) -> None:
    labels = tuning.truth_labels(con, "customer", demo_store.truth_dir)
    clear = tuning.example_pairs(con, "customer", "clear_match", labels=labels, n=5)
    assert (clear["band"] == "auto_link").all() and clear["is_match"].all()
    assert clear["match_probability"].is_monotonic_decreasing
    near = tuning.example_pairs(con, "customer", "near_miss", labels=labels, n=5)
    assert (near["band"] != "auto_link").all() and near["is_match"].all()
    hard = tuning.example_pairs(con, "customer", "hard_negative", labels=labels, n=5)
    assert (~hard["is_match"].astype(bool)).all()
    unlabelled = tuning.example_pairs(con, "customer", "hard_negative", n=3)
    assert unlabelled["veto"].notna().all()
    with pytest.raises(ValueError, match="kind must be one of"):
        tuning.example_pairs(con, "customer", "nonsense")
