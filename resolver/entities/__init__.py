"""Entities: stable ids carried across runs, their lineage, and golden records by survivorship."""
