"""Workload sources: where jobs come from (trace files, Gavel's generator)."""
