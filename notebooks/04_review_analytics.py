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
# # 04 · Review analytics
#
# How reviewing goes: decisions over time, how often reviewers accept proposals in
# each confidence band, how precise the auto-merge suggestions really are, and the
# orphan backlog by expectation and age.
#
# **Data.** A demo world by default; `RESOLVER_DB` / `RESOLVER_DATA` point at yours,
# `RESOLVER_RULES` at your rules folder (its `orphans.yaml`; default `rules/`).
# As a script (`python notebooks/04_review_analytics.py`) tables are printed and
# charts saved as HTML (to `RESOLVER_CHARTS`, default `charts/` in the scratch folder).
# A store without decisions gets a simulated reviewer who decides from the demo
# truth — on a **copy** of the store and its journal, never on the store itself.

# %%
import pandas as pd

from resolver import tuning
from resolver.store import decisions as store_decisions
from resolver.tuning import charts, display

SIMULATED_DECISIONS = 60  # proposals the simulated reviewer decides, spread over bands
AUTO_MERGE_SAMPLE = 200  # auto-merge proposals sampled per object to measure precision

ws = tuning.workspace()
con = ws.connect()
decided = len(store_decisions.load(con))
con.close()
print(f"store {ws.db}: {decided} decisions")

# %% [markdown]
# ## A reviewer, if the store has none
# It accepts proposals whose records are one true entity and rejects the others,
# through `resolver.review.decide` like the review API.

# %%
simulated = decided == 0 and ws.truth_dir is not None
if simulated:
    ws = ws.writable_copy()
    con = ws.connect(read_only=False)
    made = tuning.simulate_reviewer(con, ws.truth_dir, n=SIMULATED_DECISIONS, seed=7)
    print(f"simulated {len(made)} decisions on a copy: {ws.db}")
    display(made["action"].value_counts())
else:
    con = ws.connect()
print(f"{len(store_decisions.load(con))} decisions to analyse")

# %%
report = tuning.review_analytics(con, truth_dir=ws.truth_dir, sample=AUTO_MERGE_SAMPLE)

# %% [markdown]
# ## Decisions over time

# %%
over_time = report["decisions_over_time"]
display(over_time)

# %%
if len(over_time):
    display(charts.bar(over_time.assign(period=over_time["period"].astype(str)),
                       x="period:N", y="decisions:Q", color="action:N"))

# %% [markdown]
# ## Acceptance rate by confidence band
# A band where reviewers reject often is a band the model is too sure about; a band
# they always accept could be auto-merged.

# %%
bands = report["acceptance_by_band"]
display(bands)

# %%
display(charts.bar(bands.dropna(subset=["acceptance_rate"]), x="band:N", y="acceptance_rate:Q",
                   color="object:N", title="acceptance rate of decided proposals"))

# %% [markdown]
# ## Measured precision of auto-merges
# A seeded sample of the proposals suggested for auto-merge, judged by the demo truth
# (or, for a real store, by reviewers' decisions), with a 95% Wilson interval.

# %%
display(report["auto_merge_precision"])

# %% [markdown]
# ## Orphan backlog by expectation and age
# From the store's `orphans` table (written by the batch job, `resolver.review.orphans`).

# %%
# computes the table only when missing, and only on the simulated copy
source = tuning.ensure_orphans(con, ws.rules_dir)
print(f"orphans: {source}")
backlog = tuning.orphan_backlog(con)
display(backlog)

# %%
if len(backlog):
    display(charts.bar(backlog, x="orphans:Q", y="expectation:N", color="age:N"))
else:
    print("no orphans table in this store: run `resolver run` with rules/orphans.yaml")

# %%
con.close()
