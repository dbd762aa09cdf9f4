"""Exports: what resolver hands back to other systems (the crosswalk and the per-system fix lists)."""
