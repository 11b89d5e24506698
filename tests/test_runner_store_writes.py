"""A job's store writes done by a thread of their own (orchdsl/runner/store_writes.py): every
row lands by the time the job returns, a write that fails is told as the job's store error,
the writer reads the records as they were when handed over, and the writer's connection does
not take the runner's SQLite locks away. Real SQLite files and real runs."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time

import orchdsl
from orchdsl.model import Attempt, JobResult, TaskResult, TaskState, Trigger
from orchdsl.observer import Observer
from orchdsl.runner.store_writes import StoreWrites
from orchdsl.store import open_reader
from orchdsl.store.base import Changes
from orchdsl.store.sqlite import SQLiteStore

from conftest import isolated_env, orchdsl_executable


def many(n: int) -> str:
    tasks = "\n".join(f'        task t{i} run "true"' for i in range(n))
    return f'orchestration "Many" {{\n    concurrency 4\n    phase "P" {{\n{tasks}\n    }}\n}}\n'


def test_every_row_is_written_when_the_job_returns(tmp_path):
    (tmp_path / "job.orch").write_text(many(300))
    store = str(tmp_path / "jobs.db")
    job = orchdsl.run(str(tmp_path / "job.orch"), store=store)
    assert job.state.value == "success"
    assert not [t for t in threading.enumerate() if t.name == "orchdsl-store"]
    reader = open_reader(store)
    try:
        [kept] = [reader.job(job.job_id)]
        assert kept.state.value == "success"
        assert [t.state for t in kept.tasks.values()] == [TaskState.SUCCEEDED] * 300
        assert all(len(t.attempts) == 1 and t.attempts[0].exit_code == 0
                   for t in kept.tasks.values())
    finally:
        reader.close()


class Told(Observer):
    def __init__(self):
        self.errors: list[str] = []

    def store_failed(self, job, text):
        self.errors.append(text)


def test_a_write_that_fails_in_the_thread_is_the_jobs_store_error(tmp_path, monkeypatch):
    # A full disk cannot be made here: SQLite's own error is raised by the store's write,
    # the only stand-in of this file (as tests/test_scheduler.py does).
    def full(self, changes):
        raise sqlite3.OperationalError("database or disk is full")

    (tmp_path / "job.orch").write_text(many(3))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    monkeypatch.setattr(SQLiteStore, "write", full)
    told = Told()
    job = orchdsl.run(str(tmp_path / "job.orch"), store=store, observer=told)
    assert job.state.value == "success"  # the job ran on, unrecorded
    assert told.errors == ["database or disk is full"]


def test_the_writer_reads_the_records_as_they_were_handed_over(tmp_path):
    """The runner's records change on; a batch keeps what they held when it was handed
    over (the next batch writes the newer state)."""
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    job = JobResult(0, "o", str(tmp_path / "o.orch"), Trigger.MANUAL)
    job.tasks["a"] = task = TaskResult("a", "P")
    from orchdsl.store.recovery import this_runner

    job.job_id = store.create_job(job, this_runner(), "tok")
    writes = StoreWrites(store)
    task.state = TaskState.RUNNING
    attempt = Attempt(1, _now())
    task.attempts.append(attempt)
    writes.write(Changes(tasks=[(job.job_id, task)], attempts=[(job.job_id, "a", attempt)]))
    task.state, attempt.exit_code = TaskState.FAILED, 3  # after it was handed over
    writes.close()
    reader = open_reader(str(tmp_path / "jobs.db"))
    try:
        kept = reader.job(job.job_id).tasks["a"]
        assert kept.state is TaskState.RUNNING and kept.attempts[0].exit_code is None
    finally:
        reader.close()


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def test_a_detached_run_whose_parent_opened_the_store_is_recorded(tmp_path):
    """The writer's connection is a second one of this process: opening the database file
    again to make it would drop the runner's own POSIX locks (a detached run, whose parent
    had the store open, then lost every write)."""
    (tmp_path / "job.orch").write_text(
        'orchestration "Bg" {\n    phase "P" {\n        task a run "sleep 0.5; touch done"\n'
        "    }\n}\n")
    env = isolated_env({"ORCHDSL_HOME": str(tmp_path / "home")})
    started = subprocess.run([orchdsl_executable(), "run", "job.orch", "--detach"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr
    deadline = time.monotonic() + 30
    while True:
        listed = subprocess.run([orchdsl_executable(), "jobs"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60).stdout
        if "success" in listed or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert listed.splitlines()[1].split()[:2] == ["1", "success"], listed
