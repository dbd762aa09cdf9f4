"""Orphans: records that break an expectation of rules/orphans.yaml.

Two kinds of expectation:

``counterpart``
    the record's entity has a member in another system (a billing invoice that is
    not void or draft reaches the ledger; a billing customer is known to the CRM).
``reference``
    an invoice's ``customer_ref`` names a loaded customer record of its own system.

Every orphan names the nearest candidate that could satisfy it: for a counterpart
orphan the best-scoring pair whose other record is in the counterpart system; for
a reference orphan a customer of the invoice's system reached through a linked
invoice of another system (same invoice entity, whose customer resolves).

Resolving an orphan is a reviewer decision (``link`` or ``expected``) appended to
the decisions table; the next computation honours it. An orphan's id is a hash of
its expectation and record key, so it is the same in every run.
"""

from resolver.review.orphans.compute import DATE_COLUMN, ORPHAN_COLUMNS, stage_orphans
from resolver.review.orphans.review import (
    MAX_PAGE,
    get_orphan,
    list_orphans,
    orphan_counts,
    resolve_orphan,
)
from resolver.review.orphans.rules import (
    KINDS,
    RESOLUTIONS,
    RULES_FILE,
    SEVERITIES,
    Expectation,
    OrphanRules,
    load_orphan_rules,
    parse_orphan_rules,
)

__all__ = [
    "DATE_COLUMN",
    "KINDS",
    "MAX_PAGE",
    "ORPHAN_COLUMNS",
    "RESOLUTIONS",
    "RULES_FILE",
    "SEVERITIES",
    "Expectation",
    "OrphanRules",
    "get_orphan",
    "list_orphans",
    "load_orphan_rules",
    "orphan_counts",
    "parse_orphan_rules",
    "resolve_orphan",
    "stage_orphans",
]
