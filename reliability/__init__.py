"""Reliability rigs: fault soak, crash recovery and scale-out, each a script that prints a table.

``python -m reliability.soak``, ``python -m reliability.crash`` and ``python -m
reliability.scaleout`` run full-size against the platform sandbox on a loopback port, bounded in
time and in requests; the test suite runs the same code small (``tests/reliability``). Figures
and commands are in docs/reliability.md.
"""
