"""Clustering: scored pairs into clusters, under the constraints reviewers and duplicate-free systems impose."""
