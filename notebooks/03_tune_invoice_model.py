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
# # 03 · Tune the invoice model
#
# The same steps as for customers — blocking, model, example pairs, thresholds —
# plus the invoices that must never merge: a customer billed the same amount every
# month (recurring invoices) looks like one invoice sent twice.
#
# **Data.** A demo world by default; `RESOLVER_DB` / `RESOLVER_DATA` point at yours,
# `RESOLVER_RULES` at your rules folder (default: the repository's `rules/`).
# **Writing.** Thresholds go to a scratch copy of the rules unless
# `RESOLVER_RULES_OUT` names a folder: e.g. your rules folder, to change its
# `invoices.yaml`.
# **As a script.** `python notebooks/03_tune_invoice_model.py` prints the tables and saves the
# charts as HTML (to `RESOLVER_CHARTS`, default `charts/` in the scratch folder).

# %%
import pandas as pd

from resolver import tuning
from resolver.review.decisions import labels as decision_labels
from resolver.tuning import charts, display

OBJECT = "invoice"
MIN_PRECISION = 0.999
MIN_RECALL = 0.999

pd.set_option("display.max_colwidth", 70)
ws = tuning.workspace()
con = ws.connect()
rules = tuning.load_rules(ws.rules_dir, ws.models_dir)[OBJECT]  # RESOLVER_RULES, models
print(f"store {ws.db}; rules {rules.path}; truth {ws.truth_dir}")
print(f"current thresholds: {rules.thresholds}")

# %% [markdown]
# ## Labels

# %%
reviewed = decision_labels(con, OBJECT)
truth = tuning.truth_labels(con, OBJECT, ws.truth_dir) if ws.truth_dir else None
true_pairs = tuning.truth_pairs(con, OBJECT, ws.truth_dir) if ws.truth_dir else None
print(f"{len(reviewed)} labelled pairs from decisions")
if truth is not None:
    print(f"{len(truth)} labelled pairs from the truth ({int(truth['is_match'].sum())} matches)")

# %% [markdown]
# ## Blocking
# Invoices block on the invoice number and on the customer's entity with the date
# or the amount; `customer_entity_id` comes from the customer run.

# %%
display(tuning.blocking_report(con, rules))

# %%
display(tuning.blocking_chart(con, rules))

# %%
if true_pairs is not None:
    display(tuning.rule_recall(con, rules, true_pairs))
if reviewed["is_match"].any():
    display(tuning.rule_recall(con, rules, reviewed))

# %% [markdown]
# ## The model

# %%
linker = tuning.linker_for(con, OBJECT, models_dir=ws.models_dir, rules=rules)
display(linker.visualisations.match_weights_chart())

# %%
display(linker.visualisations.m_u_parameters_chart())

# %% [markdown]
# ## Example pairs

# %%
example_labels = truth if truth is not None else reviewed
examples = pd.concat(
    [tuning.example_pairs(con, OBJECT, k, labels=example_labels).assign(example=k)
     for k in tuning.EXAMPLE_KINDS],
    ignore_index=True,
)
display(examples)

# %%
display(linker.visualisations.waterfall_chart(
    tuning.waterfall_records(linker, con, examples), filter_nulls=False
))

# %% [markdown]
# ## Recurring invoices must not merge
# `truth/hard_negatives.csv` (kind `recurring_invoice`) lists groups of invoices of
# one customer for the same amount on different dates. Every pair of them is scored
# here under the saved model, whether or not the run kept it (the store keeps pairs
# scoring 0.01 or more), and checked against the run's entities.

# %%
if ws.truth_dir:
    recurring = tuning.hard_negative_pairs(con, OBJECT, ws.truth_dir, kind="recurring_invoice")
    scores = tuning.pair_scores(linker, con, recurring)
    merged = int(recurring["merged"].sum())
    print(f"{recurring['group_id'].nunique()} recurring groups, {len(recurring)} pairs; "
          f"{int(recurring['kept'].sum())} kept by the run, {merged} merged")
    above = (scores["match_probability"] >= rules.thresholds.auto_link).sum()
    print(f"{above} pairs score at or above auto_link {rules.thresholds.auto_link} "
          "(the invoice-number veto keeps those of one system apart)")
    display(recurring.sort_values("match_probability", ascending=False).head(10))

# %%
if ws.truth_dir:
    strip = scores.assign(
        pair=lambda d: d["system_l"] + " / " + d["system_r"]
    )[["pair", "record_key_l", "record_key_r", "match_probability", "match_weight"]]
    display(charts.score_strip(strip, group="pair", threshold=rules.thresholds.auto_link))

# %% [markdown]
# The recurring pair that scores highest, explained:

# %%
if ws.truth_dir:
    top = scores.head(1)[["record_key_l", "record_key_r"]]
    display(linker.visualisations.waterfall_chart(
        tuning.waterfall_records(linker, con, top), filter_nulls=False))

# %% [markdown]
# ## Thresholds from labels

# %%
pairs = con.execute(f"SELECT * FROM {OBJECT}_pairs").df()
if len(reviewed) and reviewed["is_match"].nunique() == 2:
    display(tuning.precision_recall_curve(pairs, reviewed).head(10))
else:
    print("no reviewer decisions with both outcomes yet: thresholds come from the truth")

# %% [markdown]
# `choose_bands` takes the threshold with the best recall that keeps `MIN_PRECISION`
# on the labels, but never below a floor the scored pairs themselves support
# (`tuning.auto_link_floor`: match weight 0, and the model's own expected precision
# over every pair, labelled or not — labels are too thin at low scores to trust
# alone). The review threshold reaches `MIN_RECALL` and always leaves a band: at
# least `tuning.MIN_GAP_BITS` of match weight below auto-link.

# %%
labels_for_choice = truth if truth is not None else reviewed
bands = tuning.choose_bands(pairs, labels_for_choice, rules,
                            min_precision=MIN_PRECISION, min_recall=MIN_RECALL)
auto_link, review, curve = bands.auto_link, bands.review, bands.curve
print(f"auto_link {auto_link} (floor {bands.floor}), review {review}: "
      f"{bands.band_pairs} scored pairs in the review band")
display(bands.table)

# %%
display(charts.precision_recall_chart(curve, auto_link=auto_link, review=review))

# %% [markdown]
# ## Write the thresholds back

# %%
target = ws.rules_for_writing()
print(tuning.write_bands(target, OBJECT, bands))

# %%
con.close()
