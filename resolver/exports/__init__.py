"""Fix lists per system: what each source system should change, in its own ids and
column names (its contract, in reverse), ready for its import tool or a person.

``merges``       records of one system that are one entity: which survives, which merge
``corrections``  fields where the system disagrees with a golden value another system owns
``missing``      records the system should have and lacks (its counterpart orphans)

Every row has a ``fix_id`` that depends only on what the fix is, so exporting twice
gives the same rows, and a later run can tell whether a fix exported before was
applied (:func:`resolver.exports.replay.fixes_not_applied`).
"""

from resolver.exports.lists import KINDS, export_fix_list, fix_list

__all__ = ["KINDS", "export_fix_list", "fix_list"]
