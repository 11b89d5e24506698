"""The job store through its Python API (docs/language.md, "The job store"):
``orchdsl.store.sqlite.SQLiteStore``, its read-only ``SQLiteReader``, recovery
(``orchdsl.store.recovery``) and ``orchdsl.store.recorder.StoreRecorder`` on real SQLite files in
``tmp_path``.

Jobs are built from the runner's own model (``JobResult``, ``TaskResult``, ``Attempt``) and fed
to the recorder in the order the engine sends its events; what landed is read back with plain
``sqlite3``, the way any other reader of the file would see it.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from orchdsl.model import Attempt, JobResult, JobState, TaskResult, TaskState, Trigger
from orchdsl.store import JobQuery, StoreError, store_location
from orchdsl.store.recorder import FLUSH_ROWS, FLUSH_S, StoreRecorder
from orchdsl.store.recovery import recover, this_runner
from orchdsl.store.schema import APPLICATION_ID, MIGRATIONS
from orchdsl.store.sqlite import SQLiteReader, SQLiteStore
from store_files import (foreign_application_id, foreign_database, newer_store,
                         short_text_file, text_file)

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)


# --- helpers ---------------------------------------------------------------------------------

def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_job(*tasks: str, orchestration: str = "Job", file: str = "job.orch",
            trigger: Trigger = Trigger.MANUAL, rerun_of: int | None = None) -> JobResult:
    """A job as the engine creates it: state waiting, every task pending; a task written
    ``phase/name`` belongs to that phase (default ``One``)."""
    job = JobResult(0, orchestration, file, trigger, rerun_of=rerun_of)
    for spec in tasks:
        phase, _, name = spec.rpartition("/")
        job.tasks[name] = TaskResult(name, phase or "One")
    return job


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def create(store, job: JobResult) -> int:
    return store.create_job(job, this_runner(), "token")


def listed(store, **query) -> list[tuple[int, str]]:
    return [(j.job_id, j.state.value) for j in store.jobs(JobQuery(**query))]


def rows(path: Path, query: str, *args) -> list[tuple]:
    """What any other SQLite reader sees in the file."""
    db = sqlite3.connect(path)
    try:
        return db.execute(query, args).fetchall()
    finally:
        db.close()


def pragma(path: Path, name: str) -> int:
    return rows(path, f"PRAGMA {name}")[0][0]


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def path(tmp_path) -> Path:
    return tmp_path / "home" / "orchdsl.db"


@pytest.fixture
def store(path):
    opened = SQLiteStore(str(path))
    yield opened
    opened.close()


def run_job(recorder: StoreRecorder, job: JobResult, outcomes: dict[str, list[int]],
            clock: Clock | None = None) -> JobResult:
    """Play a whole job through the recorder as the engine does: created, started, then for
    each task its attempts (exit codes), retries in between, finished; then the job finished.
    Each event moves ``clock`` (when given) by a millisecond."""
    job.job_id = recorder.job_created(job)
    job.state, job.started_at = JobState.PROCESSING, at(0)
    recorder.job_started(job)
    moment = 0.0
    for name, codes in outcomes.items():
        task = job.tasks[name]
        for number, code in enumerate(codes, 1):
            moment += 0.001
            attempt = Attempt(number, at(moment))
            task.state = TaskState.RUNNING
            task.attempts.append(attempt)
            recorder.task_started(job, task, attempt)
            attempt.finished_at, attempt.exit_code = at(moment + 0.0005), code
            attempt.stdout = f"{name} attempt {number}\n"
            if code and number < len(codes):
                recorder.task_retrying(job, task, 0.0)
            if clock:
                clock.now += 0.001
        task.state = TaskState.SUCCEEDED if codes[-1] == 0 else TaskState.FAILED
        task.reason = None if codes[-1] == 0 else f"exit code {codes[-1]}"
        recorder.task_finished(job, task)
    for task in job.tasks.values():
        if task.state is TaskState.PENDING:
            task.state, task.reason = TaskState.SKIPPED, "not started: an earlier task failed"
    failed = any(t.state is TaskState.FAILED for t in job.tasks.values())
    job.state = JobState.ERROR if failed else JobState.SUCCESS
    job.finished_at = at(moment + 0.01)
    recorder.job_finished(job)
    return job


# --- the file: where, permissions, schema (7) ------------------------------------------------

USER_STATE = os.path.join(os.path.expanduser("~"), ".local", "state")
STORE_PATHS = [
    # --store, the environment, the store used
    (None, {}, f"{USER_STATE}/orchdsl/orchdsl.db"),
    (None, {"ORCHDSL_HOME": ""}, f"{USER_STATE}/orchdsl/orchdsl.db"),
    (None, {"XDG_STATE_HOME": "/srv/state"}, "/srv/state/orchdsl/orchdsl.db"),
    (None, {"ORCHDSL_HOME": "/var/lib/orch", "XDG_STATE_HOME": "/x"}, "/var/lib/orch/orchdsl.db"),
    (None, {"ORCHDSL_HOME": "rel/home"}, "rel/home/orchdsl.db"),
    (None, {"ORCHDSL_STORE": "/db/jobs.db", "ORCHDSL_HOME": "/h"}, "/db/jobs.db"),
    ("mine.db", {"ORCHDSL_HOME": "/var/lib/orch", "ORCHDSL_STORE": "/db/x.db"}, "mine.db"),
    ("/abs/jobs.sqlite", {}, "/abs/jobs.sqlite"),
]


@pytest.mark.parametrize("given, environ, expected", STORE_PATHS)
def test_the_store_is_the_flag_then_orchdsl_store_then_the_per_user_home(given, environ,
                                                                          expected):
    assert store_location(given, environ) == expected


def test_a_new_store_is_owner_only_and_carries_the_latest_schema_version_and_its_application_id(path):
    SQLiteStore(str(path)).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert pragma(path, "user_version") == len(MIGRATIONS)
    assert pragma(path, "application_id") == APPLICATION_ID
    assert {name for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type='table'")
            } >= {"jobs", "tasks", "attempts", "schedule_fires"}


def test_the_write_ahead_log_beside_the_store_is_owner_only_too(store, path):
    create(store, new_job("a"))
    sidecars = [Path(f"{path}-wal"), Path(f"{path}-shm")]
    assert any(p.exists() for p in sidecars)
    for sidecar in sidecars:
        if sidecar.exists():
            assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600, sidecar


def test_reopening_a_store_keeps_its_jobs_and_migrates_nothing(path):
    first = SQLiteStore(str(path))
    assert [create(first, new_job("a")), create(first, new_job("b"))] == [1, 2]
    first.close()
    again = SQLiteStore(str(path))
    assert [j.job_id for j in again.jobs()] == [2, 1]
    assert create(again, new_job("c")) == 3
    again.close()
    assert pragma(path, "user_version") == len(MIGRATIONS)


# --- files that are not ours are refused and left alone (7) ----------------------------------

REFUSED = [
    # what is at the path, words the error must say
    (text_file, "not an SQLite database"),
    (short_text_file, "not an SQLite database"),
    (foreign_database, "another program"),
    (foreign_application_id, "another program"),
    (newer_store, "newer orchdsl"),
]


@pytest.mark.parametrize("opener", [SQLiteStore, SQLiteReader])
@pytest.mark.parametrize("make, words", REFUSED, ids=lambda x: getattr(x, "__name__", x))
def test_a_file_that_is_not_our_store_is_refused_and_never_written(path, make, words, opener):
    path.parent.mkdir(mode=0o700)
    make(path)
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught:
        opener(str(path))
    message = str(caught.value)
    assert words in message and str(path) in message and "\n" not in message
    assert path.read_bytes() == before


# --- reading: jobs, filters, one job ---------------------------------------------------------

def test_jobs_are_listed_newest_first_and_filtered_by_file_state_and_limit(tmp_path, store):
    recorder = StoreRecorder(store)
    run_job(recorder, new_job("a", file=str(tmp_path / "x.orch")), {"a": [0]})
    run_job(recorder, new_job("a", file=str(tmp_path / "y.orch")), {"a": [1]})
    run_job(recorder, new_job("a", file=str(tmp_path / "x.orch")), {"a": [1]})
    assert listed(store) == [(3, "error"), (2, "error"), (1, "success")]
    assert listed(store, state="error") == [(3, "error"), (2, "error")]
    assert listed(store, limit=1) == [(3, "error")]
    assert listed(store, before_id=3, limit=1) == [(2, "error")]
    assert listed(store, file=str(tmp_path / "x.orch")) == [(3, "error"), (1, "success")]
    assert listed(store, file=str(tmp_path / "x.orch"), state="success") == [(1, "success")]
    assert listed(store, file=str(tmp_path / "nothing.orch")) == []


def test_one_job_comes_back_with_its_tasks_in_order_and_every_attempt(tmp_path, store):
    job = new_job("Extract/a", "Extract/flaky", "Load/later", file=str(tmp_path / "x.orch"))
    run_job(StoreRecorder(store), job, {"a": [0], "flaky": [3, 3]})
    shown = store.job(1)
    assert (shown.orchestration, shown.file, shown.state.value, shown.trigger.value) == (
        "Job", str(tmp_path / "x.orch"), "error", "manual")
    assert shown.started_at == at(0)
    assert [(t.name, t.phase, t.state.value, t.reason) for t in shown.tasks.values()] == [
        ("a", "Extract", "succeeded", None),
        ("flaky", "Extract", "failed", "exit code 3"),
        ("later", "Load", "skipped", "not started: an earlier task failed"),
    ]
    assert [(a.number, a.exit_code, a.stdout) for a in shown.tasks["flaky"].attempts] == [
        (1, 3, "flaky attempt 1\n"), (2, 3, "flaky attempt 2\n")]
    assert store.job(2) is None


def test_a_rerun_is_recorded_with_its_trigger_and_the_job_it_runs_again(store):
    recorder = StoreRecorder(store)
    run_job(recorder, new_job("a"), {"a": [1]})
    run_job(recorder, new_job("a", trigger=Trigger.RERUN, rerun_of=1), {"a": [0]})
    assert [(j.job_id, j.trigger.value, j.rerun_of, j.state.value) for j in store.jobs()] == [
        (2, "rerun", 1, "success"), (1, "manual", None, "error")]


# --- recovery: a job whose runner died is terminated (7) -------------------------------------

def own_start() -> str:
    return Path(f"/proc/{os.getpid()}/stat").read_bytes().rsplit(b")", 1)[1].split()[19].decode()


STALE = (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()
FRESH = "now"  # replaced by the time the test runs
RUNNERS = [
    # the runner recorded: pid, its start time, host, boot id, pid namespace, heartbeat ->
    # the job's state after recovery
    ("the runner is gone", dead_pid, lambda: None, socket.gethostname, None, None, FRESH,
     "terminated"),
    ("its pid now belongs to another process", os.getpid, lambda: "1", socket.gethostname,
     None, None, FRESH, "terminated"),
    ("the runner is alive", os.getpid, own_start, socket.gethostname, None, None, FRESH,
     "processing"),
    ("this host restarted since", os.getpid, own_start, socket.gethostname, "another-boot",
     None, FRESH, "terminated"),
    ("another pid namespace, beating", dead_pid, lambda: None, socket.gethostname, "this",
     "pid:[1]", FRESH, "processing"),
    ("another pid namespace, silent for minutes", dead_pid, lambda: None, socket.gethostname,
     "this", "pid:[1]", STALE, "terminated"),
    ("another host, beating", dead_pid, lambda: None, lambda: "elsewhere.example", "b", "p",
     FRESH, "processing"),
    ("another host, silent for minutes", dead_pid, lambda: None, lambda: "elsewhere.example",
     "b", "p", STALE, "terminated"),
]


def half_run_job(path: Path) -> None:
    """A job left processing: one task done, one running, one pending."""
    store = SQLiteStore(str(path))
    recorder = StoreRecorder(store)
    job = new_job("done", "busy", "Later/later")
    job.job_id = recorder.job_created(job)
    job.state, job.started_at = JobState.PROCESSING, at(0)
    recorder.job_started(job)
    done, busy = job.tasks["done"], job.tasks["busy"]
    done.attempts.append(Attempt(1, at(1), at(2), 0, stdout="finished\n"))
    done.state = TaskState.SUCCEEDED
    recorder.task_started(job, done, done.attempts[0])
    recorder.task_finished(job, done)
    busy.attempts.append(Attempt(1, at(1)))
    busy.state = TaskState.RUNNING
    recorder.task_started(job, busy, busy.attempts[0])
    recorder.flush()
    store.close()


def set_runner(path: Path, pid, started, host, boot, namespace, heartbeat) -> None:
    from orchdsl.store.recovery import boot_id

    db = sqlite3.connect(path)
    db.execute("UPDATE jobs SET pid = ?, pid_started = ?, host = ?, boot_id = ?, pid_namespace "
               "= ?, heartbeat_at = ?",
               (pid(), started(), host(), boot_id() if boot == "this" else boot, namespace,
                datetime.now(timezone.utc).isoformat() if heartbeat == FRESH else heartbeat))
    db.commit()
    db.close()


@pytest.mark.parametrize("pid, started, host, boot, namespace, heartbeat, state",
                         [r[1:] for r in RUNNERS], ids=[r[0] for r in RUNNERS])
def test_recovery_terminates_a_processing_job_only_when_its_runner_died(
        path, pid, started, host, boot, namespace, heartbeat, state):
    half_run_job(path)
    set_runner(path, pid, started, host, boot, namespace, heartbeat)

    reopened = SQLiteStore(str(path))
    assert reopened.job(1).state.value == "processing"  # opening recovers nothing
    recovered = recover(reopened)
    shown = reopened.job(1)
    reopened.close()
    assert shown.state.value == state
    assert recovered == ([1] if state == "terminated" else [])
    assert shown.started_at == at(0)
    tasks = shown.tasks
    assert tasks["done"].state.value == "succeeded"
    assert tasks["done"].attempts[0].stdout == "finished\n"
    if state == "terminated":
        assert shown.finished_at is not None
        assert (tasks["busy"].state.value, tasks["later"].state.value) == ("cancelled", "cancelled")
        attempt = tasks["busy"].attempts[0]
        assert attempt.started_at == at(1)
        assert attempt.finished_at is not None and attempt.reason == "terminated"
    else:
        assert shown.finished_at is None
        assert (tasks["busy"].state.value, tasks["later"].state.value) == ("running", "pending")


def test_a_reader_tells_a_dead_runners_job_without_writing_anything(path):
    from orchdsl.store.recovery import dead_jobs

    half_run_job(path)
    set_runner(path, dead_pid, lambda: None, socket.gethostname, None, None, FRESH)
    before = path.read_bytes()
    reader = SQLiteReader(str(path))
    assert set(dead_jobs(reader)) == {1}
    assert reader.job(1).state.value == "processing"
    reader.close()
    assert path.read_bytes() == before


def test_a_finished_job_is_never_touched_by_recovery(path):
    store = SQLiteStore(str(path))
    run_job(StoreRecorder(store), new_job("a", "b"), {"a": [0], "b": [2]})
    store.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE jobs SET pid = ?, pid_started = NULL", (dead_pid(),))
    db.commit()
    db.close()
    before = rows(path, "SELECT * FROM jobs")
    reopened = SQLiteStore(str(path))
    assert recover(reopened) == []
    reopened.close()
    assert rows(path, "SELECT * FROM jobs") == before


# --- the recorder batches (store_recorder) ---------------------------------------------------

def test_the_recorder_writes_the_job_and_its_start_at_once_then_batches_by_time(path, store):
    clock = Clock()
    recorder = StoreRecorder(store, clock=clock)
    job = new_job("a", "b")
    job.job_id = recorder.job_created(job)
    assert rows(path, "SELECT id, state FROM jobs") == [(1, "waiting")]
    job.state, job.started_at = JobState.PROCESSING, at(0)
    recorder.job_started(job)
    assert rows(path, "SELECT state, started_at FROM jobs") == [("processing", at(0).isoformat())]
    task = job.tasks["a"]
    task.state = TaskState.RUNNING
    task.attempts.append(Attempt(1, at(0.1)))
    recorder.task_started(job, task, task.attempts[0])
    assert rows(path, "SELECT name, state FROM tasks ORDER BY position") == [
        ("a", "pending"), ("b", "pending")]
    assert rows(path, "SELECT count(*) FROM attempts") == [(0,)]

    clock.now += FLUSH_S
    other = job.tasks["b"]
    other.state = TaskState.RUNNING
    other.attempts.append(Attempt(1, at(0.2)))
    recorder.task_started(job, other, other.attempts[0])
    assert rows(path, "SELECT state, started_at FROM jobs") == [("processing", at(0).isoformat())]
    assert rows(path, "SELECT name, state FROM tasks ORDER BY position") == [
        ("a", "running"), ("b", "running")]
    assert rows(path, "SELECT task, number, finished_at FROM attempts ORDER BY task") == [
        ("a", 1, None), ("b", 1, None)]


def test_the_end_of_a_job_writes_everything_still_pending(path, store):
    clock = Clock()  # never moves: nothing is flushed by time
    job = run_job(StoreRecorder(store, clock=clock), new_job("a", "flaky", "Two/later"),
                  {"a": [0], "flaky": [4, 4, 4]})
    assert rows(path, "SELECT state, finished_at FROM jobs") == [
        ("error", job.finished_at.isoformat())]
    assert rows(path, "SELECT name, state FROM tasks ORDER BY position") == [
        ("a", "succeeded"), ("flaky", "failed"), ("later", "skipped")]
    assert rows(path, "SELECT task, number, exit_code, stdout FROM attempts ORDER BY task, number"
                ) == [("a", 1, 0, "a attempt 1\n"), ("flaky", 1, 4, "flaky attempt 1\n"),
                      ("flaky", 2, 4, "flaky attempt 2\n"), ("flaky", 3, 4, "flaky attempt 3\n")]


class CountingStore(SQLiteStore):
    """A store that counts its write transactions."""

    writes = 0

    def write(self, *changes) -> None:
        self.writes += 1
        super().write(*changes)


def test_a_job_of_ten_thousand_tasks_is_recorded_quickly_in_few_transactions(path):
    tasks = 10_000
    store = CountingStore(str(path))
    job = new_job(*(f"Phase{i // 1000}/t{i:05d}" for i in range(tasks)))
    started = time.perf_counter()
    run_job(StoreRecorder(store, clock=Clock()), job, {f"t{i:05d}": [0] for i in range(tasks)})
    took = time.perf_counter() - started
    store.close()
    assert took < 3.0, f"{took:.2f}s"
    # one task and one attempt change per task, written FLUSH_ROWS changes at a time
    assert store.writes <= 2 * tasks // FLUSH_ROWS + 2
    assert rows(path, "SELECT count(*) FROM tasks WHERE job_id = 1 AND state = 'succeeded'") == [
        (tasks,)]
    assert rows(path, "SELECT count(*), count(finished_at), sum(exit_code) FROM attempts") == [
        (tasks, tasks, 0)]
    assert rows(path, "SELECT state FROM jobs") == [("success",)]


# --- more than one writer --------------------------------------------------------------------

def test_many_openers_of_a_new_store_all_get_it(tmp_path):
    """Runs started together on a store that does not exist yet all create or open it. The
    race lasts microseconds, so it is tried on a fresh store many times."""
    openers, rounds = 8, 50
    failures = []
    for round_ in range(rounds):
        path = tmp_path / f"fresh{round_}" / "orchdsl.db"
        gate = threading.Barrier(openers)
        opened = []

        def open_store():
            gate.wait()
            try:
                store = SQLiteStore(str(path))
                opened.append(create(store, new_job("a")))
                store.close()
            except Exception as exc:  # noqa: BLE001 - collected and shown
                failures.append(str(exc))

        threads = [threading.Thread(target=open_store) for _ in range(openers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert failures == [], f"round {round_}: {failures[0]}"
        assert sorted(opened) == list(range(1, openers + 1))
        assert pragma(path, "user_version") == len(MIGRATIONS)
