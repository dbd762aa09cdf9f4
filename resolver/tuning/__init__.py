"""Analyst functions behind the notebooks: profile sources, analyse blocking, look at
the model through Splink's charts, choose thresholds from labels and write them
back to the rules, measure review outcomes.

Rules come from :func:`load_rules` (``RESOLVER_RULES``, default the repository's
``rules/``); :func:`display` shows a table or chart in Jupyter and prints it (saving
charts as HTML) when a notebook runs as a plain script.

Everything reads the published store; only :func:`simulate_reviewer` and
:func:`ensure_orphans` write (use them on ``Workspace.writable_copy()``).
"""

from resolver.store.analysis import rejects_by_reason
from resolver.store.source_loads import load_summary
from resolver.tuning.blocking import blocking_chart, blocking_report, rule_hits, rule_recall
from resolver.tuning.data import (
    hard_negative_pairs,
    link_input,
    truth_entities,
    truth_labels,
    truth_pairs,
)
from resolver.tuning.model_view import (
    EXAMPLE_KINDS,
    example_pairs,
    linker_for,
    pair_scores,
    waterfall_records,
)
from resolver.tuning.profile import (
    completeness_chart,
    profile,
    profile_chart,
    refused_values,
    value_profile,
)
from resolver.tuning.review import (
    acceptance_by_band,
    all_proposals,
    auto_merge_precision,
    decisions_over_time,
    ensure_orphans,
    orphan_backlog,
    review_analytics,
    simulate_reviewer,
    wilson_interval,
)
from resolver.tuning.rules import load_rules, rules_folder
from resolver.tuning.show import display, save_chart
from resolver.tuning.thresholds import (
    BREAK_EVEN,
    MIN_GAP_BITS,
    Bands,
    at_threshold,
    auto_link_floor,
    choose_bands,
    choose_review_threshold,
    choose_threshold,
    precision_recall_curve,
    review_ceiling,
    write_bands,
)
from resolver.tuning.workspace import Workspace, workspace

__all__ = [
    "BREAK_EVEN",
    "EXAMPLE_KINDS",
    "MIN_GAP_BITS",
    "Bands",
    "Workspace",
    "acceptance_by_band",
    "all_proposals",
    "at_threshold",
    "auto_link_floor",
    "auto_merge_precision",
    "blocking_chart",
    "blocking_report",
    "choose_bands",
    "choose_review_threshold",
    "choose_threshold",
    "completeness_chart",
    "decisions_over_time",
    "display",
    "ensure_orphans",
    "example_pairs",
    "hard_negative_pairs",
    "link_input",
    "linker_for",
    "load_rules",
    "load_summary",
    "orphan_backlog",
    "pair_scores",
    "precision_recall_curve",
    "profile",
    "profile_chart",
    "refused_values",
    "rejects_by_reason",
    "review_analytics",
    "review_ceiling",
    "rule_hits",
    "rule_recall",
    "rules_folder",
    "save_chart",
    "simulate_reviewer",
    "truth_entities",
    "truth_labels",
    "truth_pairs",
    "value_profile",
    "waterfall_records",
    "wilson_interval",
    "workspace",
    "write_bands",
]
