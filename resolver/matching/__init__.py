"""``POST /match``: one new record against the resolved records of the last run.

See :mod:`resolver.matching.matcher`.
"""

from resolver.matching.matcher import DEFAULT_TOP, MAX_TOP, Matcher, top_of
from resolver.matching.results import Candidate, Evidence, MatchResult

__all__ = ["DEFAULT_TOP", "MAX_TOP", "Candidate", "Evidence", "MatchResult", "Matcher", "top_of"]
