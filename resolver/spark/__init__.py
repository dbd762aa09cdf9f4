"""The Spark engine: the batch job's heavy stages on Apache Spark (``pip install
'resolver[spark]'``), with the same answers as DuckDB.

``session.py`` starts a classic Spark session set up for Splink (its similarity jar,
a checkpoint directory); ``linkage.py`` scores through Splink's ``SparkAPI``;
``clustering.py`` runs connected components on Spark and resolver's constrained
clustering per component; ``normalize.py`` applies the normalizers over distinct values
on the executors. The store stays the system of record: results are written back to it.
"""
