"""Tessera benchmarks, run by `make bench`: medians and ratios, never timed tests.

See bench/README.md and `python -m bench --help`.
"""
