# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Explore the sources
#
# What each system sends us, field by field: how complete it is before and after
# normalization, which spellings the normalizers merge, which values they refuse,
# and which rows were rejected outright.
#
# **Data.** By default a small demo world is generated and run through the batch
# job (a few seconds). To look at your own store instead, start Jupyter with
# `RESOLVER_DB=data/demo.duckdb RESOLVER_DATA=data/demo` (after `make demo`), and
# `RESOLVER_RULES=path/to/rules` when it was built with your own rules folder.
#
# **As a script.** `python notebooks/01_explore_sources.py` runs it too: tables are
# printed and charts saved as HTML (to `RESOLVER_CHARTS`, default
# `charts/` in the scratch folder).

# %%
import pandas as pd

from resolver import tuning
from resolver.tuning import charts, display

pd.set_option("display.max_colwidth", 80)
ws = tuning.workspace()
con = ws.connect()
print(f"store {ws.db}  (demo world: {ws.demo}); rules {ws.rules_dir}")

# %% [markdown]
# ## What was loaded
# Every row read is either loaded or rejected, per source file.

# %%
display(tuning.load_summary(con))

# %% [markdown]
# ## Rejected rows by reason
# A row with several problems counts once under each.

# %%
rejects = tuning.rejects_by_reason(con)
display(rejects)

# %%
display(charts.bar(rejects, x="rows:Q", y="reason:N", color="system:N", title="rejected rows"))

# %% [markdown]
# ## Completeness per system and field, raw and normalized
# `raw_complete` is the share of records with a value in the canonical column;
# `norm_complete` the share with a value in its normalized column. Normalized can be
# *higher* (a CRM's first and last name build `full_name_norm`; a ledger's single-line
# address fills `address_line`) or *lower* (a value the normalizer refused, or a
# company name that is not a person's). Fewer distinct normalized values than raw
# ones are spelling variants merged.

# %%
prof = tuning.profile(con)
display(prof[prof["object"] == "customer"])

# %%
display(prof[prof["object"] == "invoice"])

# %%
display(charts.completeness_heatmap(prof))

# %% [markdown]
# Fields whose completeness changes most with normalization:

# %%
delta = prof.dropna(subset=["norm_column"]).assign(
    change=lambda d: d["norm_complete"].astype(float) - d["raw_complete"]
)
display(delta.reindex(delta["change"].abs().sort_values(ascending=False).index).head(10)[
    ["object", "system", "field", "norm_column", "raw_complete", "norm_complete", "change"]
])

# %% [markdown]
# ## What normalization merges
# The normalized values that gather the most raw spellings — one phone number in
# four formats, one email in two cases.

# %%
display(tuning.value_profile(con, "customer", "phone", top_n=5))

# %%
display(tuning.value_profile(con, "customer", "email", top_n=5))

# %%
display(tuning.value_profile(con, "customer", "company", top_n=5))

# %% [markdown]
# ## What normalization refuses
# Raw values that produced no normalized value (candidates for a normalizer fix or a
# contract change).

# %%
display(pd.concat(
    [
        tuning.refused_values(con, "customer", f).assign(field=f)
        for f in ("email", "phone", "name", "postal_code")
    ],
    ignore_index=True,
))

# %% [markdown]
# ## Splink's view of the columns the model uses
# Completeness of the model's input columns per system, then value distributions
# (Splink's `completeness_chart` and `profile_columns`). Skewed values — one phone or
# email shared by many records — make large blocks and weak evidence.

# %%
display(tuning.completeness_chart(
    con, "customer", ["first_name_norm", "last_name_norm", "email_norm", "phone_digits",
                      "address_line", "company_key"]
))

# %%
display(tuning.profile_chart(con, "customer",
                             ["email_key", "phone_digits", "last_name_norm", "zip5"]))

# %%
display(tuning.profile_chart(con, "invoice",
                             ["invoice_number_norm", "amount_cents", "invoice_date"]))

# %%
con.close()
