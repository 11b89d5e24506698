"""Pause the cyclic garbage collector while building large acyclic structures.

Parsing and compiling allocate many small objects and free none; each allocation burst makes
the collector rescan everything alive so far, so time grew faster than the input (parse of
20,000 tasks: 2.7 s with the collector, 1.3 s without; compile: 0.8 s against 0.2 s). What
these stages build holds no reference cycles, so nothing is lost by not collecting meanwhile.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def one_shot() -> None:
    """For a command that builds large acyclic data (AST, graph, plan), prints it and exits
    (lint, graph, a dry run): the cyclic collector would only rescan it, 40-85% of the time at
    20,000 tasks. Commands that keep running (a real run, the scheduler) keep it."""
    gc.disable()


def keep_for_good() -> None:
    """For a command that builds its large data once and then works for a while (a real run):
    what exists now (AST, graph, plan) moves to the collector's permanent generation, so the
    collections the job triggers never rescan it (W3, 10,000 call tasks: see bench_run.py).
    Only for one-shot processes: frozen cycles are never collected. The thresholds go up as
    well: a job makes and drops a few objects per task, hardly ever a cycle, and the young
    generation was collected every 700 of them (W3 whole process: 7% less CPU)."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
