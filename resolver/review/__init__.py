"""What reviewers and other systems read and do: proposals, decisions, entities, crosswalk.

A server holds one :class:`ReviewView` per published store file (proposals, member
and golden records in memory, decisions mirrored from the journal); the functions
also take a plain store connection.
"""

from resolver.review.entity_lookup import crosswalk_lookup, get_entity
from resolver.review.proposals import (
    Action,
    Page,
    decide,
    decision_history,
    get_proposal,
    list_proposals,
    proposal_page,
    view_of,
)
from resolver.review.view import ReviewView

__all__ = [
    "Action",
    "Page",
    "ReviewView",
    "crosswalk_lookup",
    "decide",
    "decision_history",
    "get_entity",
    "get_proposal",
    "list_proposals",
    "proposal_page",
    "view_of",
]
