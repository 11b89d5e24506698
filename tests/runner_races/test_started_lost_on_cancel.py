"""Regression test for a bug found in review, now fixed (the text says how it was):
A call a lane already started when the job is cancelled (engine.cancel, SIGINT/SIGTERM;
the job timeout does the same) is recorded as `skipped` "not reached", with no attempt and no
task_started, when its Started event was still in Lanes._events: _listen is cancelled with the
nursery and _abandon_quick_calls() looks only at calls whose Started it heard (self._quick);
the others are dropped from self._handed and left pending, and _finish() calls them "not
reached" although the function ran.

The window (a lane posts Started between trio taking the events and the cancel) is widened
here by an observer that takes 50 ms in task_finished (a store flush can), then cancels: the
same as a SIGINT arriving at that moment."""
import time

import pytest


import trio

import orchdsl
import orchdsl.api
from jobrunner import JobUnderTest
from race_helpers import Log, write

N = 5


class CancelAfterFirst(Log):
    engine = None

    def task_finished(self, job, task):
        super().task_finished(job, task)
        if task.name == "t0":
            time.sleep(0.05)  # the trio thread busy a moment (a store flush, a slow terminal)
            self.engine.cancel("SIGINT")


def test_a_call_that_ran_is_not_recorded_as_not_reached(tmp_path):
    ran_file = tmp_path / "ran.txt"
    write(tmp_path, "steps.py", "def f(name):\n"
          f"    open({str(ran_file)!r}, 'a').write(name + '\\n')\n")
    tasks = "\n".join(f'    task t{i} call "steps:f"' for i in range(N))
    # one param per task is not possible; the function records the order it ran in instead
    path = write(tmp_path, "p.orch", f'orchestration "o" {{\n  concurrency 1\n'
                 f'  param name = "x"\n  phase "p" {{\n{tasks}\n  }}\n}}\n')
    log = CancelAfterFirst()
    engine = JobUnderTest(orchdsl.api.plan(str(path)), log)
    log.engine = engine
    job = trio.run(engine.run)
    assert job.state.value == "cancelled"
    times_ran = len(ran_file.read_text().split())
    with_attempts = [t.name for t in job.tasks.values() if t.attempts]
    states = {t.name: (t.state.value, t.reason) for t in job.tasks.values()}
    assert times_ran == len(with_attempts), (times_ran, states)


def ran_by_now(ran_file, expected: int) -> int:
    """How many calls wrote their line. A lane that took a call runs it even when the job is
    given up on meanwhile (Python cannot stop a thread): it has its attempt, and on a busy
    machine it may only get to write a moment after the job returned."""
    deadline = time.monotonic() + 5
    while True:
        count = len(ran_file.read_text().split()) if ran_file.exists() else 0
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.01)


@pytest.mark.slow  # seconds of real work: the full suite's
def test_job_timeout_with_many_quick_calls(tmp_path):
    """Nothing injected: a job timeout while one lane runs many tiny calls back to back."""
    n = 3000
    ran_file = tmp_path / "ran.txt"
    write(tmp_path, "steps.py", "import time\ndef f():\n"
          f"    open({str(ran_file)!r}, 'a').write('x\\n')\n    time.sleep(0.0005)\n")
    tasks = "\n".join(f'    task t{i} call "steps:f"' for i in range(n))
    path = write(tmp_path, "p.orch", f'orchestration "o" {{\n  concurrency 1\n  timeout 300ms\n'
                 f'  phase "p" {{\n{tasks}\n  }}\n}}\n')
    bad = []
    for round_ in range(5):
        if ran_file.exists():
            ran_file.unlink()
        job = orchdsl.run(str(path), observer=Log(), store=None)
        assert job.state.value == "error"
        with_attempts = [t.name for t in job.tasks.values() if t.attempts]
        times_ran = ran_by_now(ran_file, len(with_attempts))
        if times_ran != len(with_attempts):
            bad.append((round_, times_ran, len(with_attempts)))
    assert bad == []
