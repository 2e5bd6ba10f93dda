"""Benchmarks: `make bench` prints the figures. Tests check behaviour; speed and memory
are measured here, never asserted in tests."""
