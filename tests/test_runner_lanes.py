"""The local executor's lanes (orchdsl/runner/executors/lanes.py, docs/language.md "Running"):
commands and plain calls share worker threads that hold a concurrency slot each, take the
queued works in file order, at most 256 at once without a limit; a command that prints fast
waits for its log to be taken (backpressure); the guardian of a runner survives a call run in
a lane that ran a command before. Real processes, real runs; what ran is told by files the
tasks write (stamp.py, tests/jobfiles.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

import orchdsl
from orchdsl.observer import Observer
from orchdsl.runner import capture
from orchdsl.runner.executors import lanes

from conftest import isolated_env, orchdsl_executable
from jobfiles import PY, alive, ends, lit, max_overlap, stamp, starts

CALLS = """\
import os, time

def mark(name):  # a call runs in the runner's folder: the file's own folder is named
    with open(os.path.join(os.path.dirname(__file__), name + ".start"), "a") as f:
        f.write(repr(time.time()) + "\\n")

def k1():
    mark("k1")

def k2():
    mark("k2")
"""


def overlap(folder, names) -> int:
    return max_overlap([(starts(folder, n)[0], ends(folder, n)[0]) for n in names])


def test_commands_and_calls_run_in_file_order_in_one_lane(folder, write):
    (folder / "steps.py").write_text(CALLS)
    names = ["c1", "k1", "c2", "k2", "c3"]
    tasks = "\n".join(
        f'        task {n} call "steps:{n}"' if n[0] == "k" else
        f"        task {n} {stamp(n, 0.05)}" for n in names)
    path = write(f'orchestration "Order" {{\n    concurrency 1\n'
                 f'    phase "P" {{\n{tasks}\n    }}\n}}\n')
    job = orchdsl.run(str(path), store=None)
    assert job.state.value == "success", job
    order = sorted(names, key=lambda n: starts(folder, n)[0])
    assert order == names
    assert overlap(folder, [n for n in names if n[0] == "c"]) == 1


def test_without_a_limit_at_most_max_lanes_run_at_once(folder, write, monkeypatch):
    monkeypatch.setattr(lanes, "MAX_LANES", 3)
    names = [f"t{i}" for i in range(7)]
    tasks = "\n".join(f"        task {n} {stamp(n, 0.3)}" for n in names)
    path = write(f'orchestration "Many" {{\n    phase "P" {{\n{tasks}\n    }}\n}}\n')
    job = orchdsl.run(str(path), store=None)
    assert job.state.value == "success"
    assert overlap(folder, names) == 3


@pytest.mark.parametrize("fail_fast", [False, True])
def test_a_sibling_that_fails_at_once_never_keeps_the_others_of_its_phase_from_starting(
        folder, write, fail_fast):
    # Without a concurrency limit every task of a phase has a lane: one that fails before the
    # others' lanes took them (a program that does not exist fails in microseconds) must not
    # turn them into tasks that waited for a slot (docs/language.md, "After a failure"). Once
    # seen in 15 of 200 runs; a run here is a few milliseconds, so 40 of them prove it.
    names = [f"t{i}" for i in range(6)]
    tasks = "\n".join(f'        task {n} run ["true"]' for n in names)
    path = write(f'orchestration "Siblings" {{\n{"    fail_fast" if fail_fast else ""}\n'
                 f'    phase "P" {{\n        task ghost run ["./no-such-program"]\n{tasks}\n'
                 f'    }}\n    phase "Later" {{\n        task later run ["true"]\n    }}\n}}\n')
    plan = orchdsl.plan(str(path))
    for _ in range(40):
        job = orchdsl.run(plan, store=None)
        assert job.tasks["ghost"].state.value == "failed"
        assert job.tasks["later"].state.value == "skipped"
        states = {job.tasks[n].state.value for n in names}
        # fail_fast may cancel a sibling that is running, or skip one whose lane had not
        # taken it yet: never leave it pending or hang.
        allowed = {"succeeded", "cancelled", "skipped"} if fail_fast else {"succeeded"}
        assert states <= allowed, {n: (job.tasks[n].state.value, job.tasks[n].reason)
                                   for n in names}


class Chunks(Observer):
    def __init__(self):
        self.sizes: list[int] = []

    def task_log(self, job, task, attempt, segments):
        self.sizes.append(sum(len(text) for _, _, text in segments))


def test_a_command_that_prints_fast_waits_for_its_log_to_be_taken(folder, write):
    """40 MiB as fast as a process can write them: the lane stops reading while 4 MiB wait
    for the trio thread, so no chunk handed on is much larger (without the wait, the 0.5 s
    drain would take tens of MiB at once) and every byte arrives."""
    total = 40 * 1024 * 1024
    writer = f"import sys; b = b'x' * 65536\nfor _ in range({total // 65536}): sys.stdout.buffer.write(b)"
    (folder / "flood.py").write_text(writer)
    path = write('orchestration "Flood" {\n    phase "P" {\n'
                 f'        task flood run {lit(PY + " flood.py")}\n    }}\n}}\n')
    chunks = Chunks()
    job = orchdsl.run(str(path), store=None, observer=chunks)
    assert job.state.value == "success", job
    assert sum(chunks.sizes) == total
    assert max(chunks.sizes) <= capture.FLUSH_BYTES + 256 * 1024, max(chunks.sizes)


def test_a_retry_is_taken_before_the_works_queued_already(folder, write):
    """With one slot, the retry of a failed command runs before the tasks still queued
    (docs/language.md, "Running": retries come first)."""
    flaky = (f"{PY} -c \"import os, sys, time; open('flaky.start', 'a').write(repr(time.time()) "
             "+ chr(10)); e = os.path.exists('flag'); open('flag', 'a').close(); "
             "sys.exit(0 if e else 1)\"")
    names = ["b", "c", "d"]
    tasks = "\n".join(f"        task {n} {stamp(n, 0.2)}" for n in names)
    path = write(f'orchestration "Retry" {{\n    concurrency 1\n    phase "P" {{\n'
                 f"        task flaky run {lit(flaky)} retries 1 backoff 10ms\n{tasks}\n"
                 "    }\n}\n")
    job = orchdsl.run(str(path), store=None)
    assert job.state.value == "success", job
    second = starts(folder, "flaky")[1]
    assert second < starts(folder, "c")[0], "the retry waited behind the queue"


def test_the_guardian_outlives_a_call_in_a_lane_that_ran_a_command(folder, write):
    """The guardian is started from the trio thread, never from a lane: a call stops the
    children of its thread when it ends, and must not stop the guardian with them, or the
    tasks of a killed runner would live on."""
    (folder / "steps.py").write_text("def quick():\n    pass\n")
    path = write('orchestration "Guarded" {\n    concurrency 1\n'
                 '    phase "A" {\n        task first run "true"\n        task c call "steps:quick"\n    }\n'
                 '    phase "B" {\n        task long run '
                 + lit("echo $$ > task.pid; exec sleep 300") + "\n    }\n}\n")
    runner = subprocess.Popen([orchdsl_executable(), "run", path.name, "--no-live"],
                              cwd=folder, env=isolated_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    pid = None
    try:
        deadline = time.monotonic() + 20
        while not ((folder / "task.pid").exists() and (folder / "task.pid").read_text().strip()):
            assert time.monotonic() < deadline and runner.poll() is None
            time.sleep(0.02)
        pid = int((folder / "task.pid").read_text())
        runner.send_signal(signal.SIGKILL)
        runner.wait(10)
        deadline = time.monotonic() + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(pid), "the task outlived its killed runner: no guardian"
    finally:
        runner.kill()
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.mark.parametrize("why", ["fail_fast", "its timeout"])
def test_a_stopped_command_may_print_and_gets_kill_after_the_grace(folder, write, why):
    """TERM, and the command's handler may still print; a command that ignores TERM gets
    KILL after the grace (1 s here). Either way the job ends soon, the reason says why."""
    (folder / "stubborn.py").write_text(
        "import signal, time\nsignal.signal(signal.SIGTERM, lambda *a: print('term', flush=True))\n"
        "print('ready', flush=True)\ntime.sleep(30)\n")
    task = f"        task stubborn run {lit(PY + ' stubborn.py')}"
    if why == "fail_fast":
        body = f'    fail_fast\n    phase "P" {{\n{task}\n        task bad run "sleep 0.5; exit 3"\n'
    else:
        body = f'    phase "P" {{\n{task} timeout 300ms\n'
    path = write(f'orchestration "Stop" {{\n{body}    }}\n}}\n')
    started = time.monotonic()
    job = _run_with_grace(path, 1.0)
    took = time.monotonic() - started
    stubborn = job.tasks["stubborn"]
    attempt = stubborn.attempts[-1]
    assert attempt.stdout.split() == ["ready", "term"]
    if why == "fail_fast":
        assert stubborn.state.value == "cancelled"
        assert attempt.reason == "cancelled" and attempt.exit_code is None
    else:
        assert stubborn.state.value == "failed" and attempt.reason == "timed out after 300ms"
        assert attempt.exit_code == -signal.SIGKILL
    assert 1.0 < took < 5, took


def _run_with_grace(path, grace: float):
    import trio

    from jobrunner import JobUnderTest

    return trio.run(JobUnderTest(orchdsl.plan(str(path)), grace_s=grace).run)
