"""Recording cost of the job store: 10,000 task results through StoreRecorder into a real
SQLite file, as the engine sends the events (issue 5 target: under 0.5 s).

    python bench/bench_store.py [--runs N] [--tasks N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone

TARGET_S = 0.5


def record(folder: str, tasks: int) -> float:
    from orchdsl.model import Attempt, JobResult, JobState, TaskResult, TaskState, Trigger
    from orchdsl.store import Store
    from orchdsl.store_recorder import StoreRecorder

    store = Store(os.path.join(folder, f"bench-{time.monotonic_ns()}.db"))
    job = JobResult(0, "Bench", os.path.join(folder, "bench.orch"), Trigger.MANUAL)
    for i in range(tasks):
        job.tasks[f"t{i}"] = TaskResult(f"t{i}", f"P{i // 1000}")
    recorder = StoreRecorder(store)
    start = time.perf_counter()
    job.job_id = recorder.job_created(job)
    job.state, job.started_at = JobState.PROCESSING, datetime.now(timezone.utc)
    recorder.job_started(job)
    for task in job.tasks.values():
        attempt = Attempt(1, datetime.now(timezone.utc))
        task.state = TaskState.RUNNING
        task.attempts.append(attempt)
        recorder.task_started(job, task, attempt)
        attempt.finished_at, attempt.exit_code = datetime.now(timezone.utc), 0
        attempt.stdout = f"{task.name}: wrote 12 rows\n"
        task.state = TaskState.SUCCEEDED
        recorder.task_finished(job, task)
    job.state, job.finished_at = JobState.SUCCESS, datetime.now(timezone.utc)
    recorder.job_finished(job)
    elapsed = time.perf_counter() - start
    rows = store.db.execute("SELECT count(*) FROM attempts WHERE job_id = ?", (job.job_id,)).fetchone()[0]
    assert rows == tasks, (rows, tasks)
    store.close()
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        record(folder, 100)  # warm-up: imports, the first database
        samples = [record(folder, args.tasks) for _ in range(args.runs)]
    median = statistics.median(samples)
    print(f"| recording | tasks | median s | min-max s | µs/task | runs |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| StoreRecorder -> SQLite (WAL) | {args.tasks:,} | {median:.3f} | "
          f"{min(samples):.3f}-{max(samples):.3f} | {median / args.tasks * 1e6:.1f} | {args.runs} |")
    verdict = "PASS" if median < TARGET_S or args.tasks != 10_000 else "FAIL"
    print(f"\n{verdict}: {args.tasks:,} task results recorded in {median:.3f} s (target < {TARGET_S} s "
          "for 10,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
