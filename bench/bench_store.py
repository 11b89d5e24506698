#!/usr/bin/env python3
"""The job store's cost (docs/high-availability.md, "How fast"), on SQLite and PostgreSQL:

1. **Recording a 10,000-task job**: the W1 workload of bench_run.py at 10,000 tasks (``true``
   in 100 phases of 100, J=2) run in process through ``orchdsl.api.run``, with no store and
   then with each store. The cost is the time the job's own thread spent in the store
   (every ``create_job``, ``write`` and ``cancel_requests``, timed around the calls: they
   block the job while they run), as a share of the job's time without a store; the wall
   times of the paired runs are shown too (on a shared machine their difference is noisier
   than the cost itself). Targets: under 10% on SQLite, under 20% on PostgreSQL.
2. **``orchdsl jobs`` on 100,000 jobs**: the queries ``jobs`` makes (``store.jobs`` and the
   dead-runner check of the page), timed in process: the first page, a filtered page, a
   page deep in the history (``--before``). Target: under 100 ms. The whole command, start-up
   of the interpreter included, is timed too.

    python bench/bench_store.py                       # both, SQLite and a throw-away PostgreSQL
    python bench/bench_store.py --tasks 2000 --runs 1 # quicker
    python bench/bench_store.py --pg postgresql://user:pw@host/db   # an existing server

A throw-away PostgreSQL comes from tests/pg_server.py (initdb/pg_ctl; as root it runs as the
postgres user; it needs the test extra). Run it with the project's venv python.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = {"sqlite": 0.10, "postgresql": 0.20}
LIST_TARGET_S = 0.100


class TimedStore:
    """A store whose calls made in the job's thread are timed (``spent``)."""

    TIMED = ("create_job", "write", "cancel_requests", "record_delivery")

    def __init__(self, store):
        self._store = store
        self.spent = 0.0
        self.calls = 0

    def __getattr__(self, name):
        value = getattr(self._store, name)
        if name not in self.TIMED:
            return value

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - start
                self.calls += 1
        return timed


def w1_file(folder: str, tasks: int) -> str:
    per_phase = 100
    phases = "".join(
        f'    phase "P{p}" {{\n' + "".join(
            f'        task t{p}_{i} run ["true"]\n'
            for i in range(min(per_phase, tasks - p * per_phase))) + "    }\n"
        for p in range((tasks + per_phase - 1) // per_phase))
    path = os.path.join(folder, "w1.orch")
    with open(path, "w") as f:
        f.write(f'orchestration "W1" {{\n    concurrency 2\n{phases}}}\n')
    return path


def run_once(plan, store) -> tuple[float, float, int]:
    """(wall s, s spent in the store, store calls) of one job."""
    from orchdsl.api import run

    timed = TimedStore(store) if store is not None else None
    start = time.perf_counter()
    job = run(plan, store=timed)
    wall = time.perf_counter() - start
    assert job.state.value == "success", job.state
    return wall, timed.spent if timed else 0.0, timed.calls if timed else 0


def recording(stores: dict[str, str], tasks: int, runs: int) -> list[str]:
    from orchdsl.api import plan
    from orchdsl.store import open_store

    lines = ["| store | tasks | job without store, s | job with store, s | time in the store, s "
             "| store calls | cost | target |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    with tempfile.TemporaryDirectory() as folder:
        the_plan = plan(w1_file(folder, tasks))
        for kind, location in stores.items():
            bare, full, spent, calls = [], [], [], []
            store = open_store(location)
            run_once(plan(w1_file(folder, 50)), store)  # warm-up: imports, connections
            for _ in range(runs):
                bare.append(run_once(the_plan, None)[0])
                wall, inside, count = run_once(the_plan, store)
                full.append(wall)
                spent.append(inside)
                calls.append(count)
            store.close()
            cost = statistics.median(s / b for s, b in zip(spent, bare))
            verdict = "PASS" if cost < TARGETS[kind] else "FAIL"
            lines.append(f"| {kind} | {tasks:,} | {statistics.median(bare):.2f} | "
                         f"{statistics.median(full):.2f} | {statistics.median(spent):.3f} | "
                         f"{statistics.median(calls):.0f} | {cost:.1%} | "
                         f"< {TARGETS[kind]:.0%}: {verdict} |")
            print(lines[-1], file=sys.stderr)
    return lines


def fill(location: str, count: int) -> None:
    """``count`` finished jobs of 50 files (and three of dead runners), in one transaction."""
    import orchdsl.store.rows as rows
    from orchdsl.model import JobResult, JobState, Trigger
    from orchdsl.store import open_store
    from orchdsl.store.base import Runner

    store = open_store(location)
    runner = Runner("bench-host", 1, "1", "bench-boot", "bench-ns")
    states = [JobState.SUCCESS] * 8 + [JobState.WARNING, JobState.ERROR]
    values = []
    for i in range(count):
        job = JobResult(0, f"Pipeline {i % 50}", f"/srv/pipelines/p{i % 50}.orch",
                        Trigger.SCHEDULE if i % 3 else Trigger.MANUAL,
                        state=states[i % 10] if i < count - 3 else JobState.PROCESSING)
        values.append(rows.new_job(job, runner, f"token-{i}"))
    with store.transaction() as db:
        db.executemany(
            "INSERT INTO jobs (orchestration, file, file_hash, trigger, rerun_of, parent_job,"
            " state, created_at, host, pid, pid_started, boot_id, pid_namespace, token,"
            " heartbeat_at, params, selection, fire_time) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", values)
    store.close()


def listing(stores: dict[str, str], count: int, repeat: int) -> list[str]:
    from orchdsl.cli.history_view import seen
    from orchdsl.store import JobQuery, open_reader

    queries = {"first page (orchdsl jobs)": JobQuery(),
               "--status error": JobQuery(state="error"),
               "FILE --limit 50": JobQuery(file="/srv/pipelines/p7.orch", limit=50),
               f"--before {count // 2}": JobQuery(before_id=count // 2)}
    lines = ["| store | jobs | query | median ms | max ms | whole command, ms | target |",
             "|---|---:|---|---:|---:|---:|---|"]
    for kind, location in stores.items():
        fill(location, count)
        reader = open_reader(location)
        for name, query in queries.items():
            samples = []
            for _ in range(repeat):
                start = time.perf_counter()
                found = seen(reader, reader.jobs(query))
                samples.append(time.perf_counter() - start)
                assert found, name
            command = _command_ms(location) if name.startswith("first") else None
            median = statistics.median(samples)
            verdict = "PASS" if median < LIST_TARGET_S else "FAIL"
            lines.append(f"| {kind} | {count:,} | {name} | {median * 1000:.1f} | "
                         f"{max(samples) * 1000:.1f} | "
                         f"{f'{command:.0f}' if command else '-'} | < 100 ms: {verdict} |")
            print(lines[-1], file=sys.stderr)
        reader.close()
    return lines


def _command_ms(location: str) -> float:
    orchdsl = os.path.join(os.path.dirname(sys.executable), "orchdsl")
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([orchdsl, "jobs", "--store", location], check=True,
                       stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="paired job runs per store")
    parser.add_argument("--jobs", type=int, default=100_000, help="jobs in the listed store")
    parser.add_argument("--repeat", type=int, default=20, help="timings of each query")
    parser.add_argument("--pg", metavar="URL", help="an existing PostgreSQL database (else a "
                        "throw-away server is started)")
    parser.add_argument("--only", choices=("recording", "listing"))
    args = parser.parse_args(argv)
    server = None
    with tempfile.TemporaryDirectory() as folder:
        pg = args.pg
        if pg is None:
            sys.path.insert(0, os.path.join(HERE, "..", "tests"))
            from pg_server import PgServer

            server = PgServer()
        try:
            def stores(name: str) -> dict[str, str]:
                return {"sqlite": os.path.join(folder, f"{name}.db"),
                        "postgresql": pg or server.url(server.create_database())}
            out = []
            if args.only in (None, "recording"):
                out += recording(stores("recording"), args.tasks, args.runs) + [""]
            if args.only in (None, "listing"):
                out += listing(stores("listing"), args.jobs, args.repeat)
        finally:
            if server is not None:
                server.stop()
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
