"""Test support shared by the whole suite, free of pytest so scripts and benchmarks can use it."""
