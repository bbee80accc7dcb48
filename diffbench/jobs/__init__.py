"""Batch jobs: a job file (``spec``) is expanded into tasks (``plan``), each
task is measured in an isolated child process (``sandbox``, ``harness``),
tasks fan out over dask workers (``scheduler``) and every result lands in
an SQLite store (``store``) that never loses or duplicates one."""
