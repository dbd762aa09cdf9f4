"""Reading the sources a contract may name beyond one CSV or Parquet file: a glob of
files read as one source (:mod:`.globs`), an Excel sheet (:mod:`.excel`), a table or
query in a database (:mod:`.db`). :func:`resolver.ingest_sources.read.read_any` reads
any contract's source; every row comes back located by file and row, or by table
and key.
"""
