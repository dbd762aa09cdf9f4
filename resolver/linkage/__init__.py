"""Linkage: profile the loaded records, derive a Splink model (with rules overrides), train it and score candidate pairs."""
