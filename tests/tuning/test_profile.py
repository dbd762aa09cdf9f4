from __future__ import annotations

import duckdb
import pytest

from resolver import tuning


def test_profile_counts_match_the_store(con: duckdb.DuckDBPyConnection) -> None:
    prof = tuning.profile(con)
    row = prof[(prof["system"] == "crm") & (prof["field"] == "email")].iloc[0]
    filled, distinct, norm = con.execute(
        "SELECT count(nullif(trim(email), '')), count(DISTINCT nullif(trim(email), '')), "
        "count(email_norm) FROM customers WHERE system = 'crm'"
    ).fetchall()[0]
    assert (row["raw_filled"], row["raw_distinct"], row["norm_filled"]) == (filled, distinct, norm)
    assert row["raw_complete"] == pytest.approx(filled / row["records"])
    # fields without a normalized twin have no normalized figures
    status = prof[(prof["object"] == "invoice") & (prof["field"] == "status")]
    assert status["norm_column"].isna().all() and status["norm_filled"].isna().all()
    # every system of each object is profiled
    systems = {r[0] for r in con.execute("SELECT DISTINCT system FROM invoices").fetchall()}
    assert set(prof.loc[prof["object"] == "invoice", "system"]) == systems


def test_value_profile_groups_raw_spellings_under_one_value(con: duckdb.DuckDBPyConnection) -> None:
    top = tuning.value_profile(con, "customer", "phone", top_n=3)
    assert len(top) == 3 and (top["variants"] > 1).all()
    assert list(top["variants"]) == sorted(top["variants"], reverse=True)
    first = top.iloc[0]
    n = con.execute(
        "SELECT count(DISTINCT phone) FROM customers WHERE phone_e164 = ?", [first["norm"]]
    ).fetchall()[0][0]
    assert n == first["variants"]
    with pytest.raises(ValueError, match="no normalized column"):
        tuning.value_profile(con, "customer", "status")


def test_refused_values_have_no_normalized_value(con: duckdb.DuckDBPyConnection) -> None:
    refused = tuning.refused_values(con, "customer", "name", limit=50)
    for raw in refused["raw"]:
        rows = con.execute(
            "SELECT count(*) FROM customers WHERE name = ? AND full_name_norm IS NOT NULL", [raw]
        ).fetchall()[0][0]
        assert rows == 0


def test_rejects_by_reason_accounts_for_every_rejected_row(con: duckdb.DuckDBPyConnection) -> None:
    by_reason = tuning.rejects_by_reason(con)
    loads = tuning.load_summary(con)
    assert loads["rows_rejected"].sum() > 0
    # each rejected row is listed under at least one reason
    per_source = by_reason.groupby(["system", "object"])["rows"].sum()
    for r in loads.itertuples():
        if r.rows_rejected:
            assert per_source[(r.system, r.object)] >= r.rows_rejected
    assert {"duplicate_id", "missing_required"} <= set(by_reason["reason"])


def test_splink_charts_build(con: duckdb.DuckDBPyConnection) -> None:
    chart = tuning.profile_chart(con, "customer", ["email_key", "zip5"])
    assert len(chart.chart_dict["vconcat"]) == 2  # one row of charts per column
    comp = tuning.completeness_chart(con, "customer", ["email_norm", "phone_digits"])
    values = comp.chart_dict["data"]["values"]
    crm = next(
        v for v in values if v["source_dataset"] == "crm" and v["column_name"] == "email_norm"
    )
    filled, total = con.execute(
        "SELECT count(email_norm), count(*) FROM customers WHERE system = 'crm'"
    ).fetchall()[0]
    assert crm["completeness"] == pytest.approx(filled / total)
    with pytest.raises(ValueError, match="no column"):
        tuning.profile_chart(con, "customer", ["nope"])


def test_a_profile_of_columns_without_values_says_so(con: duckdb.DuckDBPyConnection) -> None:
    """Notebook 01 on a store whose sources leave a column empty, or deliver no invoices
    at all, says which columns hold no value instead of stopping on Splink's "No non-null
    column expressions found to profile"; the columns that hold values are still charted."""
    assert con.execute("SELECT count(tax_id_norm) FROM customers").fetchall()[0][0] == 0
    empty = tuning.profile_chart(con, "customer", ["tax_id_norm"])
    assert isinstance(empty, str) and "tax_id_norm" in empty and "no value" in empty
    chart = tuning.profile_chart(con, "customer", ["email_key", "tax_id_norm"])
    assert len(chart.chart_dict["vconcat"]) == 1  # the empty column is left out
