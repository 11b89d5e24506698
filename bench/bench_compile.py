"""Compile, plan and graph: how long ``orchdsl graph`` and ``orchdsl run --dry-run`` take.

    python bench/bench_compile.py [--runs N] [--quick]

Reuses the generated files of bench_lint.py (phases of ~100 tasks in ETL order, every 10th
task with a ``needs``). Per size it times, in process after a warm-up: parsing, checking,
compiling the AST to the networkx DAG, building the dry-run plan and rendering each graph
format; and as subprocesses ``orchdsl graph --format json`` and ``orchdsl run --dry-run``.
Target (issue 3): a 20,000-task file compiles (AST -> DAG) in under 1 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lint import Stats, find_orchdsl, generate, time_process  # noqa: E402

TARGET_COMPILE_S = 1.0


def time_call(function, runs: int) -> Stats:
    function()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return Stats.of(samples)


def stages(path: str, runs: int) -> dict[str, Stats]:
    from orchdsl._gc import gc_paused
    from orchdsl.compiler import compile_file, compile_orchestration
    from orchdsl.cli.graph_formats import render
    from orchdsl.check.linter import lint_result
    from orchdsl.lang.loader import Loader
    from orchdsl.planning.build import build_plan

    loaded = Loader().load(path)
    compiled = compile_file(path)

    def compile_only():
        with gc_paused():
            compile_orchestration(loaded.document.orchestration)

    found = {
        "parse": time_call(lambda: Loader().load(path), runs),
        "check (lint rules)": time_call(lambda: lint_result(loaded, Loader()), runs),
        "compile (AST -> DAG)": time_call(compile_only, runs),
        "compile_file (parse+check+compile)": time_call(lambda: compile_file(path), runs),
        "plan (dry run)": time_call(lambda: build_plan(compiled), runs),
    }
    for name in ("ascii", "dot", "mermaid", "json"):
        found[f"render {name}"] = time_call(lambda n=name: render(n, compiled), runs)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1 run, no 20,000-task size")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    sizes = (100, 2_000) if args.quick else (100, 2_000, 20_000)
    orchdsl = find_orchdsl(None)
    print("| stage | tasks | median ms | min-max ms | µs/task | runs |")
    print("|---|---:|---:|---:|---:|---:|")
    compile_20k = None
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = os.path.join(folder, f"bench{size}.orch")
            with open(path, "w", encoding="utf-8") as f:
                f.write(generate(size))
            results = stages(path, runs)
            results["`orchdsl graph --format json` (process)"] = time_process(
                [orchdsl, "graph", path, "--format", "json", "-o", os.devnull], runs)
            results["`orchdsl run --dry-run` (process)"] = time_process(
                [orchdsl, "run", path, "--dry-run", "--format", "json"], runs)
            for name, stats in results.items():
                print(f"| {name} | {size:,} | {stats.median_s * 1000:.1f} | "
                      f"{stats.min_s * 1000:.1f}-{stats.max_s * 1000:.1f} | "
                      f"{stats.median_s / size * 1e6:.1f} | {stats.runs} |")
            if size == 20_000:
                compile_20k = results["compile (AST -> DAG)"].median_s
    if compile_20k is not None:
        verdict = "PASS" if compile_20k < TARGET_COMPILE_S else "FAIL"
        print(f"\n{verdict}: 20,000-task compile (AST -> DAG) {compile_20k:.3f} s "
              f"(target < {TARGET_COMPILE_S} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
