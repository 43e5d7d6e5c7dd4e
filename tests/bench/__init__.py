"""Benchmarks (``make bench``): never part of the test suite; each prints ``BENCH <name> <value> <unit>`` lines."""
