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
# # 02 · Tune the customer model
#
# Blocking (what each rule costs and which matches it catches), the trained model
# (m/u parameters and match weights), waterfalls of example pairs, and thresholds
# chosen from labels — then written back to the rules' `customers.yaml`.
#
# **Data.** A demo world by default; `RESOLVER_DB` / `RESOLVER_DATA` point at yours,
# `RESOLVER_RULES` at your rules folder (default: the repository's `rules/`).
# **Writing.** Thresholds go to a scratch copy of the rules unless
# `RESOLVER_RULES_OUT` names a folder: e.g. your rules folder, to change its
# `customers.yaml`.
# **As a script.** `python notebooks/02_tune_customer_model.py` prints the tables and saves the
# charts as HTML (to `RESOLVER_CHARTS`, default `charts/` in the scratch folder).

# %%
import pandas as pd

from resolver import tuning
from resolver.review.decisions import labels as decision_labels
from resolver.tuning import charts, display

OBJECT = "customer"
MIN_PRECISION = 0.999  # pairwise precision the auto-link band must keep
MIN_RECALL = 0.995  # share of true pairs that must at least reach a reviewer

pd.set_option("display.max_colwidth", 70)
ws = tuning.workspace()
con = ws.connect()
rules = tuning.load_rules(ws.rules_dir, ws.models_dir)[OBJECT]  # RESOLVER_RULES, models
print(f"store {ws.db}; rules {rules.path}; truth {ws.truth_dir}")
print(f"current thresholds: {rules.thresholds}")

# %% [markdown]
# ## Labels
# Two sources: reviewers' decisions in the store (`resolver.review.decisions.labels`), and,
# for a demo world, the generator's truth.

# %%
reviewed = decision_labels(con, OBJECT)
truth = tuning.truth_labels(con, OBJECT, ws.truth_dir) if ws.truth_dir else None
true_pairs = tuning.truth_pairs(con, OBJECT, ws.truth_dir) if ws.truth_dir else None
print(f"{len(reviewed)} labelled pairs from decisions "
      f"({int(reviewed['is_match'].sum()) if len(reviewed) else 0} matches)")
if truth is not None:
    print(f"{len(truth)} labelled pairs from the truth ({int(truth['is_match'].sum())} matches)")

# %% [markdown]
# ## Blocking
# Comparisons each prediction rule adds (exact counts, Splink's
# `count_comparisons_from_blocking_rules`), then the cumulative chart.

# %%
display(tuning.blocking_report(con, rules))

# %%
display(tuning.blocking_chart(con, rules))

# %% [markdown]
# Which true pairs each rule catches, in order: `new` is what a rule adds to the ones
# before it; the `(none)` row is the matches no rule makes — the model never sees
# them, whatever the thresholds.

# %%
if true_pairs is not None:
    display(tuning.rule_recall(con, rules, true_pairs))
if reviewed["is_match"].any():
    display(tuning.rule_recall(con, rules, reviewed))

# %%
if true_pairs is not None:
    hits = tuning.rule_hits(con, rules, true_pairs)
    missed = hits[~hits["any_rule"]][["record_key_l", "record_key_r"]]
    keys = sorted(set(missed["record_key_l"]) | set(missed["record_key_r"]))
    print(f"{len(missed)} true pairs no rule catches; their records:")
    display(tuning.link_input(con, OBJECT, rules, keys=keys).head(10))

# %% [markdown]
# ## The model
# A Splink linker over the store's records with `models/customers.json`'s settings.

# %%
linker = tuning.linker_for(con, OBJECT, models_dir=ws.models_dir, rules=rules)
display(linker.visualisations.match_weights_chart())

# %%
display(linker.visualisations.m_u_parameters_chart())

# %% [markdown]
# ## Example pairs
# A clear match, a near miss (a true match that did not auto-link) and a hard
# negative (the best-scoring non-match), picked from the store's `customer_pairs`.

# %%
example_labels = truth if truth is not None else reviewed
examples = pd.concat(
    [tuning.example_pairs(con, OBJECT, k, labels=example_labels).assign(example=k)
     for k in tuning.EXAMPLE_KINDS],
    ignore_index=True,
)
display(examples)

# %%
records = tuning.waterfall_records(linker, con, examples)
display(linker.visualisations.waterfall_chart(records, filter_nulls=False))

# %% [markdown]
# ## Look-alikes that are different customers
# Households, common names and franchises from the demo truth: are any merged?

# %%
if ws.truth_dir:
    hard = tuning.hard_negative_pairs(con, OBJECT, ws.truth_dir)
    display(hard.groupby("kind").agg(pairs=("kept", "size"), kept=("kept", "sum"),
                                     vetoed=("veto", "count"), merged=("merged", "sum")))

# %% [markdown]
# ## Thresholds from labels
# Pairwise precision and recall at each candidate threshold. For auto-linking a
# vetoed pair never counts as predicted (it cannot auto-link); for the review band it
# does (vetoed pairs go to reviewers).

# %%
pairs = con.execute(f"SELECT * FROM {OBJECT}_pairs").df()
if len(reviewed) and reviewed["is_match"].nunique() == 2:
    curve_reviewed = tuning.precision_recall_curve(pairs, reviewed)
    display(curve_reviewed.head(10))
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
# `write_thresholds` keeps the file's comments and layout and re-validates it.
# Re-run the batch job (`resolver run`) to apply them; no retraining is needed
# (thresholds are not part of the model's rules hash).

# %%
target = ws.rules_for_writing()
print(tuning.write_bands(target, OBJECT, bands))

# %%
con.close()
