"""Benchmarks of pms-runbook and its lab; `python -m bench --help`. Results go to BENCHMARKS.md by hand,
with the command that produced them."""
