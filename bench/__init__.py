"""Benchmarks of the roster sync against the Flat emulator: `make bench` (= `python -m bench.run`).

Not tests: nothing here asserts on a time. Each benchmark returns plain data; `bench.run` prints it as
tables and writes `bench/results.json`. How the figures were measured: `bench/RESULTS.md`.
"""
