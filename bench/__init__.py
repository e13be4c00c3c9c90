"""Benchmarks (not part of the test suite). Run all with `.venv/bin/python -m bench.run` (`make bench`)."""
