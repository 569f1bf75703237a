"""Benchmarks: one module per area, `python -m bench.bench_<area>`; `python -m bench` runs them all."""
