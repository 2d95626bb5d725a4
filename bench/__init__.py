"""Benchmarks: `python -m bench [--size small|province] [--only NAME]` writes docs/benchmarks.md."""
