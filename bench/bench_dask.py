#!/usr/bin/env python3
"""Benchmark the Dask executor (issue 17): orchdsl's overhead on a real local Dask cluster.

    .venv/bin/python bench/bench_dask.py              # 1,000 tasks, 3 runs of each row
    .venv/bin/python bench/bench_dask.py --tasks 200 --runs 1   # a smoke test
    .venv/bin/python bench/bench_dask.py --json bench-dask.json

Needs the project's venv with the dask extra (pip install -e ".[dask]"). It starts a
``dask scheduler`` and two ``dask worker`` processes (2 threads each) on 127.0.0.1, and kills
them at the end. The rows, each run alternately after one uncounted warm-up:

  base       ``client.submit(subprocess.run, ["true"], pure=False)`` for every task, then
             ``client.gather``: what the cluster itself costs
  orchdsl    ``run_job`` of one phase of N ``true`` tasks with ``executor=dask://...``, in this
             process, no store: wall time, and the CPU time of this process (every thread: the
             trio coordinator and the Dask client's loop) per task
  orchdsl+store  the same recorded in a SQLite store (the ``orchdsl run`` path)

Targets: orchdsl within 1.3x of base (the median of per-pair ratios); coordinator CPU per
task under 1 ms. The table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.3
TARGET_CPU_MS = 1.0
DASK = str(Path(sys.executable).parent / "dask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    """A scheduler and two workers as real processes, each in a session of its own."""

    def __init__(self, folder: str):
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.folder = folder
        self.processes = []

    def __enter__(self):
        self._spawn("scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                    "--no-dashboard")
        for name in ("w1", "w2"):
            self._spawn("worker", self.address, "--host", "127.0.0.1", "--name", name,
                        "--nthreads", "2", "--no-dashboard")
        from distributed import Client

        with Client(self.address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
        return self

    def _spawn(self, *args: str) -> None:
        log = open(os.path.join(self.folder, f"{args[0]}-{len(self.processes)}.log"), "wb")
        self.processes.append(subprocess.Popen([DASK, *args], stdout=log, stderr=log,
                                               stdin=subprocess.DEVNULL, start_new_session=True))

    def __exit__(self, *exc):
        for process in self.processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def base(address: str, tasks: int) -> tuple[float, float]:
    """Wall and CPU seconds of the plain loop, connecting included (as orchdsl's)."""
    from distributed import Client

    wall, cpu = time.perf_counter(), time.process_time()
    with Client(address, set_as_default=False) as client:
        futures = [client.submit(subprocess.run, ["true"], pure=False) for _ in range(tasks)]
        results = client.gather(futures)
    assert all(r.returncode == 0 for r in results)
    return time.perf_counter() - wall, time.process_time() - cpu


def plan_of(folder: str, tasks: int):
    from orchdsl.api import plan

    path = os.path.join(folder, f"bench-dask-{tasks}.orch")
    with open(path, "w") as f:
        f.write('orchestration "Bench dask" {\n    phase "One" {\n')
        f.writelines(f'        task t{i} run "true"\n' for i in range(tasks))
        f.write("    }\n}\n")
    return plan(path)


def orchdsl_run(plan, url: str, store_path: str | None) -> tuple[float, float]:
    import trio

    from orchdsl.runner.job import RunOptions, run_job

    store = None
    if store_path is not None:
        from orchdsl.store import open_store

        store = open_store(store_path)
    wall, cpu = time.perf_counter(), time.process_time()
    job = trio.run(lambda: run_job(plan, store=store, options=RunOptions(executor=url)))
    took = time.perf_counter() - wall, time.process_time() - cpu
    if store is not None:
        store.close()
    assert job.state.value == "success", (job.state, job.reason)
    return took


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    samples: dict[str, list[tuple[float, float]]] = {"base": [], "orchdsl": [],
                                                     "orchdsl+store": []}
    with tempfile.TemporaryDirectory() as folder, LocalCluster(folder) as cluster:
        url = f"dask://127.0.0.1:{cluster.port}"
        plan = plan_of(folder, args.tasks)
        for run in range(args.runs + 1):  # the first is the warm-up
            rows = {"base": lambda: base(cluster.address, args.tasks),
                    "orchdsl": lambda: orchdsl_run(plan, url, None),
                    "orchdsl+store": lambda: orchdsl_run(
                        plan, url, os.path.join(folder, f"store-{run}.db"))}
            for name, measure in rows.items():
                took = measure()
                print(f"run {run}: {name:<14} {took[0]:.3f}s wall, {took[1]:.3f}s cpu",
                      file=sys.stderr)
                if run:
                    samples[name].append(took)
    return report(samples, args)


def report(samples, args) -> int:
    n = args.tasks
    base_walls = [w for w, _ in samples["base"]]
    print(f"{n} `true` tasks on a local 2-worker Dask cluster (2 threads each), "
          f"{args.runs} runs, medians")
    print(f"{'row':<15} {'wall':>8} {'x base':>7} {'cpu/task':>9}")
    figures = {}
    for name, taken in samples.items():
        walls, cpus = [w for w, _ in taken], [c for _, c in taken]
        ratio = statistics.median(w / b for w, b in zip(walls, base_walls))
        cpu_ms = statistics.median(cpus) / n * 1000
        figures[name] = {"wall_s": statistics.median(walls), "ratio": ratio,
                         "cpu_ms_per_task": cpu_ms, "samples": taken}
        print(f"{name:<15} {statistics.median(walls):>7.3f}s {ratio:>6.2f}x {cpu_ms:>7.3f}ms")
    ratio, cpu_ms = figures["orchdsl"]["ratio"], figures["orchdsl"]["cpu_ms_per_task"]
    print(f"target: orchdsl within {TARGET_RATIO}x of base: "
          f"{'PASS' if ratio <= TARGET_RATIO else 'FAIL'} ({ratio:.2f}x)")
    print(f"target: coordinator CPU under {TARGET_CPU_MS} ms per task: "
          f"{'PASS' if cpu_ms < TARGET_CPU_MS else 'FAIL'} ({cpu_ms:.3f} ms)")
    if args.json:
        Path(args.json).write_text(json.dumps({"tasks": n, "runs": args.runs,
                                               "rows": figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
