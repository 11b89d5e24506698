"""How fast the dashboard renders (issue 19 targets: under 150 ms server-side each): the jobs
page of a store with 100,000 jobs, and the job page of a job with 10,000 tasks.

    python bench/bench_web.py [--jobs N] [--tasks N] [--runs N] [--keep DIR] [--strict]

The store is filled through the store's own interface (``SQLiteStore.create_job`` and
``write``, as a runner records), then a real ``orchdsl serve`` process serves it on a free
port of 127.0.0.1 and each page is asked for ``--runs`` times over one kept-alive connection
after two uncounted requests. "server" is the ``Server-Timing: app;dur=`` the dashboard sends
(from the request reaching the app to the response starting: store reads and rendering);
"total" is the client's wall time for the whole response.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

TARGET_MS = 150.0


def fill(path: str, jobs: int, tasks: int) -> int:
    """A store with ``jobs`` small finished jobs of three files and one job of ``tasks``
    tasks (100 per phase, one attempt each, a failure and a retry every 50th); the big job's
    id."""
    from orchdsl.model import Attempt, JobResult, JobState, TaskResult, TaskState, Trigger
    from orchdsl.store.base import Changes, Runner
    from orchdsl.store.sqlite import SQLiteStore

    store = SQLiteStore(path)
    runner = Runner("bench", os.getpid())
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    files = [f"/srv/pipelines/{name}.orch" for name in ("sales", "crm", "ledger")]
    states = [JobState.SUCCESS] * 8 + [JobState.WARNING, JobState.ERROR]
    done = []
    for i in range(jobs - 1):
        job = JobResult(0, f"Pipeline {i % 3}", files[i % 3], Trigger.SCHEDULE)
        job.job_id = store.create_job(job, runner, f"bench/{i}")
        job.state = states[i % len(states)]
        job.started_at = start + timedelta(minutes=i)
        job.finished_at = job.started_at + timedelta(seconds=30 + i % 90)
        done.append(job)
        if len(done) == 5000:
            store.write(Changes(jobs=done))
            done = []
    store.write(Changes(jobs=done))
    big = JobResult(0, "Wide fan-out", files[0], Trigger.MANUAL)
    for t in range(tasks):
        big.tasks[f"t{t:05d}"] = TaskResult(f"t{t:05d}", f"Phase {t // 100:03d}")
    big.job_id = store.create_job(big, runner, "bench/big")
    changes = Changes(jobs=[big])
    for t, task in enumerate(big.tasks.values()):
        began = start + timedelta(seconds=t // 100 * 10 + t % 7)
        task.attempts = [Attempt(1, began, began + timedelta(seconds=2 + t % 5), 0,
                                 stdout=f"{task.name}: 12 rows\n", outputs={"rows": "12"})]
        if t % 50 == 0:
            task.attempts[0].exit_code = 1
            task.attempts.append(Attempt(2, began + timedelta(seconds=8),
                                         began + timedelta(seconds=9), 0))
        task.state = TaskState.SUCCEEDED
        changes.tasks.append((big.job_id, task))
        changes.attempts += [(big.job_id, task.name, a) for a in task.attempts]
    big.state, big.started_at = JobState.SUCCESS, start
    big.finished_at = start + timedelta(seconds=tasks // 100 * 10 + 20)
    store.write(changes)
    store.close()
    return big.job_id


def serve(path: str) -> tuple[subprocess.Popen, str, int]:
    command = os.path.join(os.path.dirname(sys.executable), "orchdsl")
    process = subprocess.Popen([command, "serve", "--store", path, "--bind", "127.0.0.1:0",
                                "--read-only"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    line = process.stdout.readline()
    found = re.search(r"http://([\d.]+):(\d+)/", line)
    if not found:
        process.kill()
        raise SystemExit(f"orchdsl serve did not start: {line}{process.stderr.read()}")
    return process, found.group(1), int(found.group(2))


def measure(host: str, port: int, target: str, runs: int) -> tuple[list[float], list[float], int]:
    connection = http.client.HTTPConnection(host, port, timeout=60)
    server, total, size = [], [], 0
    for n in range(runs + 2):
        began = time.perf_counter()
        connection.request("GET", target)
        response = connection.getresponse()
        body = response.read()
        took = (time.perf_counter() - began) * 1000
        if response.status != 200:
            raise SystemExit(f"GET {target}: {response.status}")
        timing = re.search(r"dur=([\d.]+)", response.getheader("server-timing", ""))
        if n >= 2:
            server.append(float(timing.group(1)))
            total.append(took)
        size = len(body)
    connection.close()
    return server, total, size


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", metavar="DIR", help="make the store in DIR and keep it")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    if args.keep is None:
        with tempfile.TemporaryDirectory(prefix="bench-web-") as folder:
            return _run(args, folder)
    os.makedirs(args.keep, exist_ok=True)
    return _run(args, args.keep)


def _run(args, folder: str) -> int:
    path = os.path.join(folder, f"web-{args.jobs}-{args.tasks}.db")
    if not os.path.exists(path):
        began = time.perf_counter()
        big = fill(path, args.jobs, args.tasks)
        print(f"filled {path}: {args.jobs:,} jobs, one of {args.tasks:,} tasks, in "
              f"{time.perf_counter() - began:.1f} s", file=sys.stderr)
    else:
        big = args.jobs
    process, host, port = serve(path)
    pages = [("jobs page (newest 50 of %s)" % f"{args.jobs:,}", "/jobs"),
             ("jobs page, state=error", "/jobs?state=error"),
             ("jobs page, one file, older page", f"/jobs?file=/srv/pipelines/crm.orch&before={args.jobs // 2}"),
             (f"job page ({args.tasks:,} tasks)", f"/jobs/{big}"),
             (f"job JSON (/api/jobs/{big})", f"/api/jobs/{big}")]
    failed = False
    try:
        print(f"{'page':<40} {'server median':>14} {'p95':>8} {'max':>8} {'total median':>13} "
              f"{'size':>10}")
        for name, target in pages:
            server, total, size = measure(host, port, target, args.runs)
            p95 = sorted(server)[max(0, int(len(server) * 0.95) - 1)]
            verdict = ""
            if not target.startswith("/api/") and "state=" not in target and "file=" not in target:
                ok = p95 < TARGET_MS
                failed |= not ok
                verdict = "  ok" if ok else f"  FAIL (target {TARGET_MS:.0f} ms)"
            print(f"{name:<40} {statistics.median(server):>11.1f} ms {p95:>5.1f} ms "
                  f"{max(server):>5.1f} ms {statistics.median(total):>10.1f} ms "
                  f"{size:>9,}B{verdict}")
    finally:
        process.terminate()
        process.wait(10)
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
