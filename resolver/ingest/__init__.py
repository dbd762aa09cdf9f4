"""Ingest: source contracts, reading each source (files, globs, Excel, databases), loading rows or rejecting them with a reason."""
