"""The runner through the Python API (LANGUAGE.md 3, 5, 7): ``orchdsl.run(path)`` and
``orchdsl.runner.job.run_job`` with an observer (tests/jobrunner.py), running real processes.

Tasks prove what happened with files: ``stamp.py`` (written next to every test's ``.orch``
file) appends the time it started and the time it ended to ``<name>.start`` / ``<name>.end``,
and tasks that start background processes write their pids. Timing bounds are generous: the
lower bounds are what the language promises, the upper bounds only catch a runner that
serialises or hangs.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from itertools import count
from pathlib import Path

import pytest

import trio

from jobfiles import (PY, alive, ends, max_overlap, pids, ran, sh, stamp,
                      starts)

import orchdsl
from orchdsl.api import plan as make_plan
from jobrunner import JobUnderTest
from orchdsl.observer import MemoryRecorder, Observer
from orchdsl.model import JobState, TaskState

SECRET = "tok-9f8e7d6c5b"


# --- helpers ---------------------------------------------------------------------------------


def run(path: Path, **options):
    options.setdefault("environ", {k: v for k, v in os.environ.items() if k != "TOKEN"})
    return orchdsl.run(str(path), **options)


def states(job) -> dict[str, str]:
    return {name: task.state.value for name, task in job.tasks.items()}


# --- phases: order and parallelism (5.2) -----------------------------------------------------

def test_a_phase_starts_only_after_the_phase_before_ends(folder, write):
    path = write(f"""
orchestration "Order" {{
    phase "One" {{
        task a {stamp("a", 0.4)}
        task b {stamp("b", 0.1)}
    }}
    phase "Two" {{
        task c {stamp("c", 0)}
        task d {stamp("d", 0)}
    }}
}}
""")
    job = run(path)
    assert job.state is JobState.SUCCESS
    assert states(job) == dict.fromkeys("abcd", "succeeded")
    phase_one_end = max(ends(folder, "a") + ends(folder, "b"))
    phase_two_start = min(starts(folder, "c") + starts(folder, "d"))
    assert phase_two_start >= phase_one_end


def test_the_tasks_of_a_phase_run_at_the_same_time(folder, write):
    path = write(f"""
orchestration "Parallel" {{
    phase "One" {{
        task a {stamp("a", 0.5)}
        task b {stamp("b", 0.5)}
    }}
}}
""")
    job = run(path)
    assert job.state is JobState.SUCCESS
    assert max(starts(folder, "a") + starts(folder, "b")) < min(ends(folder, "a") + ends(folder, "b"))
    assert job.duration_s < 0.95  # two 0.5 s sleeps one after the other take 1 s or more


# --- a failing task (5.2) --------------------------------------------------------------------

def test_a_failure_skips_later_phases_and_lets_its_siblings_finish(folder, write):
    path = write(f"""
orchestration "Fail" {{
    phase "One" {{
        task bad     {stamp("bad", 0, 3)}
        task sibling {stamp("sibling", 0.5)}
    }}
    phase "Two" {{
        task later {stamp("later", 0)}
    }}
    phase "Three" {{
        task last {stamp("last", 0)}
    }}
}}
""")
    job = run(path)
    assert job.state is JobState.ERROR
    assert states(job) == {"bad": "failed", "sibling": "succeeded", "later": "skipped",
                           "last": "skipped"}
    assert job.tasks["bad"].exit_code == 3
    assert job.tasks["bad"].reason == "exit code 3"
    assert ends(folder, "sibling")  # it slept its 0.5 s to the end
    assert not ran(folder, "later") and not ran(folder, "last")
    assert job.tasks["later"].attempts == []


FAIL_FAST_TASKS = f"""
    phase "One" {{
        task bad {sh("while [ ! -s sib.child ]; do sleep 0.02; done; exit 1")}
        task sib {sh("echo $$ > sib.pid; sleep 30 & echo $! > sib.child; wait")}
    }}
    phase "Two" {{
        task later {stamp("later", 0)}
    }}
"""


@pytest.mark.parametrize("clause, option", [("fail_fast", False), ("", True)],
                         ids=["file clause", "fail_fast=True"])
def test_fail_fast_cancels_the_running_siblings(folder, write, clause, option):
    path = write(f'orchestration "FF" {{\n    {clause}\n{FAIL_FAST_TASKS}}}\n')
    started = time.monotonic()
    job = run(path, fail_fast=option)
    assert time.monotonic() - started < 8  # not the 30 s of the sibling's sleep
    assert job.state is JobState.ERROR
    assert states(job) == {"bad": "failed", "sib": "cancelled", "later": "skipped"}
    assert "fail_fast" in job.tasks["sib"].reason
    assert [p for p in pids(folder, "sib.pid", "sib.child") if alive(p)] == []
    assert not ran(folder, "later")


def test_without_fail_fast_the_sibling_is_not_cancelled(folder, write):
    path = write(f"""
orchestration "No FF" {{
    phase "One" {{
        task bad {sh("while [ ! -s sib.child ]; do sleep 0.02; done; exit 1")}
        task sib {sh("echo $$ > sib.pid; sleep 0.5 & echo $! > sib.child; wait")}
    }}
}}
""")
    job = run(path)
    assert states(job) == {"bad": "failed", "sib": "succeeded"}


def test_a_failure_with_continue_on_failure_lets_the_job_go_on(folder, write):
    path = write(f"""
orchestration "Go on" {{
    fail_fast
    phase "One" {{
        task bad {stamp("bad", 0, 1)} continue_on_failure
        task sib {stamp("sib", 0.3)}
    }}
    phase "Two" {{
        task later {stamp("later", 0)}
    }}
}}
""")
    job = run(path)
    assert job.state is JobState.WARNING
    assert states(job) == {"bad": "failed", "sib": "succeeded", "later": "succeeded"}


# --- retries (3: delay before retry k is backoff * 2^(k-1)) ---------------------------------

def test_retries_run_n_plus_one_attempts_with_backoff(folder, write):
    path = write(f"""
orchestration "Retry" {{
    phase "One" {{
        task flaky {stamp("flaky", 0, 7)} retries 2 backoff 200ms
    }}
}}
""")
    job = run(path)
    task = job.tasks["flaky"]
    assert job.state is JobState.ERROR and task.state is TaskState.FAILED
    assert [(a.number, a.exit_code) for a in task.attempts] == [(1, 7), (2, 7), (3, 7)]
    first, second, third = starts(folder, "flaky")
    assert second - first >= 0.2
    assert third - second >= 0.4
    assert third - first < 5
    assert all(a.finished_at >= a.started_at for a in task.attempts)


def test_a_retry_that_succeeds_makes_the_task_succeed(folder, write):
    path = write(f"""
orchestration "Retry" {{
    phase "One" {{
        task flaky {sh("if [ -e once ]; then echo second; exit 0; fi; touch once; echo first; exit 1")}
            retries 3
    }}
}}
""")
    job = run(path)
    task = job.tasks["flaky"]
    assert job.state is JobState.SUCCESS and task.state is TaskState.SUCCEEDED
    assert [(a.exit_code, a.stdout) for a in task.attempts] == [(1, "first\n"), (0, "second\n")]


# --- timeouts, processes (5.4) ---------------------------------------------------------------

def test_a_timed_out_task_leaves_no_grandchild(folder, write):
    path = write(f"""
orchestration "Timeout" {{
    phase "One" {{
        task slow {sh("sh -c 'sleep 60 & echo $! > pid; sleep 60'")} timeout 500ms
    }}
    phase "Two" {{
        task later {stamp("later", 0)}
    }}
}}
""")
    started = time.monotonic()
    job = run(path)
    took = time.monotonic() - started
    assert job.state is JobState.ERROR
    assert states(job) == {"slow": "failed", "later": "skipped"}
    assert job.tasks["slow"].reason == "timed out after 500ms"
    assert 0.5 <= took < 8
    assert not alive(pids(folder, "pid")[0])


def test_a_background_process_left_by_a_finished_task_is_stopped(folder, write):
    path = write(f"""
orchestration "Leftover" {{
    phase "One" {{
        task quick {sh("sleep 60 & echo $! > bg.pid")}
    }}
}}
""")
    started = time.monotonic()
    job = run(path)
    assert job.state is JobState.SUCCESS
    assert time.monotonic() - started < 8  # the sleep holds the task's pipes
    assert not alive(pids(folder, "bg.pid")[0])


def test_the_job_timeout_cancels_the_running_tasks(folder, write):
    path = write(f"""
orchestration "Job timeout" {{
    timeout 500ms
    phase "One" {{
        task slow {sh("echo $$ > slow.pid; sleep 30 & echo $! > slow.child; wait")}
    }}
    phase "Two" {{
        task later {stamp("later", 0)}
    }}
}}
""")
    started = time.monotonic()
    job = run(path)
    assert 0.5 <= time.monotonic() - started < 8
    assert job.state is JobState.ERROR
    assert job.reason == "job timed out after 500ms"
    assert states(job) == {"slow": "cancelled", "later": "skipped"}
    assert [p for p in pids(folder, "slow.pid", "slow.child") if alive(p)] == []
    assert not ran(folder, "later")


# --- concurrency (3) -------------------------------------------------------------------------

def intervals(folder: Path, names) -> list[tuple[float, float]]:
    return [(starts(folder, n)[0], ends(folder, n)[0]) for n in names]


def test_concurrency_1_in_the_file_runs_one_task_at_a_time(folder, write):
    path = write(f"""
orchestration "Serial" {{
    concurrency 1
    phase "One" {{
        task a {stamp("a", 0.2)}
        task b {stamp("b", 0.2)}
        task c {stamp("c", 0.2)}
    }}
}}
""")
    job = run(path)
    assert job.state is JobState.SUCCESS
    assert max_overlap(intervals(folder, "abc")) == 1


def test_a_failure_skips_the_siblings_still_waiting_for_a_slot(folder, write):
    path = write(f"""
orchestration "Queue" {{
    concurrency 1
    phase "One" {{
        task a {stamp("a", 0)}
        task bad {stamp("bad", 0, 1)}
        task c {stamp("c", 0)}
        task d {stamp("d", 0)}
    }}
}}
""")
    job = run(path)
    assert job.state is JobState.ERROR
    assert states(job) == {"a": "succeeded", "bad": "failed", "c": "skipped", "d": "skipped"}
    assert job.tasks["c"].reason == "not started: task bad failed"
    assert ran(folder, "a") and not ran(folder, "c") and not ran(folder, "d")


def test_a_retry_gives_its_slot_to_a_sibling_during_the_backoff(folder, write):
    # bad fails at once and waits 0.6 s before its retry; with one slot, the sibling runs in
    # that pause instead of after both attempts.
    path = write(f"""
orchestration "Backoff" {{
    concurrency 1
    phase "One" {{
        task bad {stamp("bad", 0, 1)} retries 1 backoff 600ms
        task sib {stamp("sib", 0)}
    }}
}}
""")
    job = run(path)
    assert job.state is JobState.ERROR
    assert len(starts(folder, "bad")) == 2
    assert starts(folder, "bad")[0] < starts(folder, "sib")[0] < starts(folder, "bad")[1]


@pytest.mark.parametrize("clause, option, limit", [
    ("", 2, 2),
    ("concurrency 1", 2, 2),  # the option overrides the file
    ("concurrency 3", None, 3),
])
def test_concurrency_limits_the_tasks_running_at_once(folder, write, clause, option, limit):
    tasks = "\n".join(f"        task t{i} {stamp(f't{i}', 0.4)}" for i in range(5))
    path = write(f'orchestration "Limit" {{\n    {clause}\n    phase "One" {{\n{tasks}\n    }}\n}}\n')
    job = run(path, concurrency=option)
    assert job.state is JobState.SUCCESS
    assert max_overlap(intervals(folder, [f"t{i}" for i in range(5)])) == limit


# --- params: values reach the task exactly and inject nothing (2, 3) -------------------------

INJECTIONS = [
    "x; touch PWNED",
    "$(touch PWNED)",
    "'; touch PWNED; '",
    '"; touch PWNED; "',
    "`touch PWNED`",
    "a\ntouch PWNED",
    "\\\"; touch PWNED; \\'",
]

CONTEXTS = {
    "unquoted": "printf %s ${v} > got.txt",
    "double quotes": 'printf %s "${v}" > got.txt',
    "single quotes": "printf %s '${v}' > got.txt",
    "command substitution": 'printf %s "$(printf %s ${v})" > got.txt',
}


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("value", INJECTIONS)
def test_a_param_value_reaches_the_command_exactly_and_injects_nothing(folder, write, value,
                                                                       context):
    path = write(f"""
orchestration "Params" {{
    param v = "default"
    phase "One" {{
        task t {sh(CONTEXTS[context])}
    }}
}}
""")
    job = run(path, params={"v": value})
    assert not (folder / "PWNED").exists()
    assert job.state is JobState.SUCCESS, job.tasks["t"].attempts[-1].stderr
    assert (folder / "got.txt").read_text() == value


@pytest.mark.parametrize("value", INJECTIONS[:3])
def test_a_param_in_backticks_inside_double_quotes_injects_nothing(folder, write, value):
    """sh reads a backquoted command inside double quotes again, undoing the backslashes
    that quote the value for the double quotes (shell_quoting says backticks open a new
    unquoted context, as ``$(...)`` does)."""
    path = write(f"""
orchestration "Params" {{
    param v = "default"
    phase "One" {{
        task t {sh('printf %s "`printf %s ${v}`" > got.txt')}
    }}
}}
""")
    run(path, params={"v": value})
    assert not (folder / "PWNED").exists()
    assert (folder / "got.txt").read_text() == value


def test_param_values_in_argv_env_and_cwd_are_taken_as_they_are(folder, write):
    (folder / "a b;c").mkdir()
    path = write(f"""
orchestration "Params" {{
    param v = "a b;c"
    phase "One" {{
        task argv run ["{PY}", "-c", "import os, sys; open(os.environ['OUT'], 'w').write(sys.argv[1] + '|' + os.getcwd())", "${{v}}"]
            cwd "${{v}}" env OUT = "${{v}}.txt"
    }}
}}
""")
    job = run(path)
    assert job.state is JobState.SUCCESS, job.tasks["argv"].attempts[-1].stderr
    assert (folder / "a b;c" / "a b;c.txt").read_text() == f"a b;c|{folder / 'a b;c'}"


# --- a shell command means /bin/sh -c (3) ----------------------------------------------------

@pytest.mark.parametrize("command", [
    ":",
    ": placeholder",
    "echo 'a\\tb'",
    "echo 'x\\ny'",
    "echo plain words",
    "printf '%s-%s' one 'two three'",
], ids=repr)
def test_a_string_command_behaves_as_under_bin_sh(folder, write, command):
    """The runner runs plain-looking commands without a shell (processes.command_argv); they
    must still do what ``/bin/sh -c`` does with them."""
    expected = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True,
                              cwd=folder)
    path = write(f'orchestration "Sh" {{\n    phase "One" {{\n        task t {sh(command)}\n    }}\n}}\n')
    attempt = run(path).tasks["t"].attempts[-1]
    assert (attempt.exit_code, attempt.reason, attempt.stdout) == \
        (expected.returncode, None, expected.stdout)


def test_a_task_runs_in_its_folder_with_the_environment_its_env_and_its_secrets(folder, write):
    (folder / "sub").mkdir()
    path = write(f"""
orchestration "Env" {{
    secret TOKEN
    phase "One" {{
        task here  {sh("pwd > where.txt")}
        task there {sh("pwd > where.txt")} cwd "sub"
        task vars  {sh('printf "%s|%s|%s" "$FROM_RUNNER" "$OWN" "$TOKEN" > vars.txt')}
            env OWN = "mine"
    }}
}}
""")
    environ = {"PATH": "/usr/bin:/bin", "FROM_RUNNER": "runner", "TOKEN": SECRET}
    job = run(path, environ=environ)
    assert job.state is JobState.SUCCESS
    assert (folder / "where.txt").read_text().strip() == str(folder)
    assert (folder / "sub" / "where.txt").read_text().strip() == str(folder / "sub")
    assert (folder / "vars.txt").read_text() == f"runner|mine|{SECRET}"


def test_a_command_that_cannot_start_fails_its_task_with_a_reason(folder, write):
    path = write("""
orchestration "Missing" {
    phase "One" {
        task ghost run ["./no-such-program"]
        task lost  run "true" cwd "no-such-folder"
    }
}
""")
    job = run(path)
    assert job.state is JobState.ERROR
    assert job.tasks["ghost"].reason == "cannot start ./no-such-program: no such file or command"
    assert "no-such-folder does not exist" in job.tasks["lost"].reason


def test_programs_are_found_on_the_tasks_path_and_keep_their_name(folder, write):
    # The runner looks a program up on PATH once per job; the command still sees the name it
    # was given as argv[0], a task's own PATH counts, and relative PATH entries are relative
    # to the task's folder (as a shell would have it).
    for name in ("mine", "theirs"):
        (folder / name).mkdir()
        script = folder / name / "hello"
        script.write_text(f"#!/bin/sh\necho {name} $0\n")
        script.chmod(0o755)
    path = write(f"""
orchestration "Path" {{
    phase "One" {{
        task name  run ["cat", "/proc/self/cmdline"]
        task mine  run ["hello"] env PATH = "{folder}/mine:/usr/bin:/bin"
        task again run ["hello"] env PATH = "{folder}/theirs:/usr/bin:/bin"
        task rel   run ["hello"] env PATH = "theirs:/usr/bin:/bin"
        task none  run ["hello"]
    }}
}}
""")
    job = run(path)
    out = {name: t.attempts[-1].stdout for name, t in job.tasks.items() if t.attempts}
    assert out["name"] == "cat\0/proc/self/cmdline\0"
    assert out["mine"] == f"mine {folder}/mine/hello\n"
    assert out["again"] == f"theirs {folder}/theirs/hello\n"
    assert out["rel"] == "theirs theirs/hello\n"
    assert job.tasks["none"].reason == "cannot start hello: no such file or command"


# --- output: bounded, masked ------------------------------------------------------------------

def test_a_task_printing_megabytes_keeps_its_head_and_tail(folder, write):
    script = "import sys; sys.stdout.write('H' * 20000 + 'x' * 2000000 + 'T' * 50000)"
    path = write(f"""
orchestration "Big" {{
    phase "One" {{
        task big run ["{PY}", "-c", "{script}"]
    }}
}}
""")
    job = run(path)
    assert job.state is JobState.SUCCESS
    dropped = 20000 + 2000000 + 50000 - 16 * 1024 - 48 * 1024
    assert job.tasks["big"].attempts[-1].stdout == (
        "H" * 16 * 1024 + f"\n[... {dropped} characters not kept ...]\n" + "T" * 48 * 1024)


def test_a_secret_never_reaches_the_attempts_output(folder, write):
    path = write(f"""
orchestration "Secret" {{
    secret TOKEN
    phase "One" {{
        task leak {sh("echo $TOKEN; echo ${TOKEN}; echo $TOKEN >&2")}
        task split {sh(f"printf {SECRET[:5]}; sleep 0.2; printf {SECRET[5:]}")}
    }}
}}
""")
    job = run(path, environ={"PATH": "/usr/bin:/bin", "TOKEN": SECRET})
    assert job.state is JobState.SUCCESS
    leak, split = job.tasks["leak"].attempts[-1], job.tasks["split"].attempts[-1]
    assert (leak.stdout, leak.stderr) == ("***\n***\n", "***\n")
    assert split.stdout == "***"


@pytest.mark.parametrize("clause, task_b, reason", [
    ("secret TOKEN", stamp("b", 0), "secret TOKEN is not set in the environment"),
    ("", sh("echo ${env.ORCH_TEST_UNSET}"),
     "environment variable ORCH_TEST_UNSET is not set (task b)"),
])
def test_a_missing_value_fails_the_job_before_any_task_starts(folder, write, clause, task_b,
                                                              reason):
    path = write(f"""
orchestration "Missing" {{
    {clause}
    phase "One" {{
        task a {stamp("a", 0)}
    }}
    phase "Two" {{
        task b {task_b}
    }}
}}
""")
    job = run(path, environ={"PATH": "/usr/bin:/bin"})
    assert job.state is JobState.ERROR
    assert job.reason == reason
    assert states(job) == {"a": "skipped", "b": "skipped"}
    assert not ran(folder, "a") and not ran(folder, "b")


# --- job and task states (5.1), selection, needs (5.3) ---------------------------------------

STATE_CASES = [
    # options of task b, the job state, b's state
    ("", "success", "succeeded"),
    ("continue_on_failure", "warning", "failed"),
    ("retries 1", "error", "failed"),
]


@pytest.mark.parametrize("options, job_state, b_state", STATE_CASES)
def test_the_job_state_follows_its_failures(folder, write, options, job_state, b_state):
    code = 0 if job_state == "success" else 1
    path = write(f"""
orchestration "States" {{
    phase "One" {{
        task a {stamp("a", 0)}
        task b {stamp("b", 0, code)} {options}
    }}
}}
""")
    job = run(path)
    assert (job.state.value, job.tasks["b"].state.value) == (job_state, b_state)
    assert job.ok is (job_state != "error")


def test_a_disabled_task_is_disabled_and_never_runs(folder, write):
    path = write(f"""
orchestration "Disabled" {{
    phase "One" {{
        task a {stamp("a", 0)}
        task off {stamp("off", 0)} disabled
    }}
    phase "Two" {{
        task b {stamp("b", 0)}
    }}
}}
""")
    job = run(path)
    assert job.state is JobState.SUCCESS
    assert states(job) == {"a": "succeeded", "off": "disabled", "b": "succeeded"}
    assert not ran(folder, "off")


@pytest.mark.parametrize("selection, chosen", [
    ({"only": ["a", "c*"]}, {"a", "c1", "c2"}),
    ({"skip": ["b"]}, {"a", "c1", "c2"}),
    ({"skip": ["c*", "a"]}, {"b"}),
    ({"phases": ["Two"]}, {"c1", "c2"}),
    ({"from_phase": "Two"}, {"c1", "c2"}),
])
def test_unselected_tasks_are_skipped_and_never_run(folder, write, selection, chosen):
    path = write(f"""
orchestration "Select" {{
    phase "One" {{
        task a {stamp("a", 0)}
        task b {stamp("b", 0)}
    }}
    phase "Two" {{
        task c1 {stamp("c1", 0)}
        task c2 {stamp("c2", 0)}
    }}
}}
""")
    job = run(path, **selection)
    assert job.state is JobState.SUCCESS
    assert states(job) == {n: "succeeded" if n in chosen else "skipped" for n in job.tasks}
    assert {n for n in job.tasks if ran(folder, n)} == chosen


def test_a_needs_task_starts_before_the_barrier_of_its_phase(folder, write):
    path = write(f"""
orchestration "Needs" {{
    phase "One" {{
        task fast {stamp("fast", 0)}
        task slow {stamp("slow", 1.0)}
    }}
    phase "Two" {{
        task eager {stamp("eager", 0)} needs fast
        task normal {stamp("normal", 0)}
    }}
}}
""")
    job = run(path)
    assert job.state is JobState.SUCCESS
    assert starts(folder, "eager")[0] < ends(folder, "slow")[0]
    assert starts(folder, "normal")[0] >= ends(folder, "slow")[0]


@pytest.mark.parametrize("options, job_state", [("continue_on_failure", "warning"), ("", "error")])
def test_a_needs_task_is_skipped_when_what_it_needs_failed(folder, write, options, job_state):
    path = write(f"""
orchestration "Needs" {{
    phase "One" {{
        task bad {stamp("bad", 0, 1)} {options}
        task ok {stamp("ok", 0.2)}
    }}
    phase "Two" {{
        task dependent {stamp("dependent", 0)} needs bad
    }}
}}
""")
    job = run(path)
    assert job.state.value == job_state
    assert states(job) == {"bad": "failed", "ok": "succeeded", "dependent": "skipped"}
    assert not ran(folder, "dependent")


def test_a_needs_on_an_unselected_task_counts_as_met(folder, write):
    path = write(f"""
orchestration "Needs" {{
    phase "One" {{
        task up {stamp("up", 0)}
    }}
    phase "Two" {{
        task down {stamp("down", 0)} needs up
    }}
}}
""")
    job = run(path, skip=["up"])
    assert states(job) == {"up": "skipped", "down": "succeeded"}


# --- call tasks (3, 7) -----------------------------------------------------------------------

_modules = count()


@pytest.fixture
def module(folder):
    """``module(source) -> name``: a module of that source next to the .orch file, under a
    name no other test uses (the runner's process imports it)."""
    def write_module(source: str) -> str:
        name = f"orch_calls_{next(_modules)}_{folder.name.replace('-', '_')}"
        (folder / f"{name}.py").write_text(source)
        return name
    return write_module


def call_job(write, target: str, options: str = "", params: str = "") -> Path:
    return write(f"""
orchestration "Calls" {{
    {params}
    phase "One" {{
        task c call "{target}" {options}
    }}
}}
""")


CALL_SOURCE = """\
import json, pathlib
OUT = pathlib.Path(__file__).with_name("kwargs.json")

def named(day, region="none"):
    OUT.write_text(json.dumps({"day": day, "region": region}))

def keyword_only(*, region):
    OUT.write_text(json.dumps({"region": region}))

def everything(**kwargs):
    OUT.write_text(json.dumps(kwargs))

def nothing():
    OUT.write_text(json.dumps({}))
"""


@pytest.mark.parametrize("function, received", [
    ("named", {"day": "mon", "region": "eu"}),
    ("keyword_only", {"region": "eu"}),
    ("everything", {"day": "mon", "region": "eu", "unused": "u"}),
    ("nothing", {}),
])
def test_a_call_gets_the_params_its_signature_accepts(folder, write, module, function, received):
    name = module(CALL_SOURCE)
    params = 'param day = "sun" param region = "eu" param unused = "u"'
    job = run(call_job(write, f"{name}:{function}", params=params), params={"day": "mon"})
    assert job.state is JobState.SUCCESS, job.tasks["c"].attempts[-1].stderr
    assert json.loads((folder / "kwargs.json").read_text()) == received


def test_an_async_call_runs_on_trio(folder, write, module):
    name = module("""\
import pathlib, sniffio, trio

async def go():
    await trio.sleep(0.3)
    pathlib.Path(__file__).with_name("lib.txt").write_text(sniffio.current_async_library())
""")
    job = run(call_job(write, f"{name}:go"))
    assert job.state is JobState.SUCCESS, job.tasks["c"].attempts[-1].stderr
    assert (folder / "lib.txt").read_text() == "trio"
    assert job.tasks["c"].attempts[-1].duration_s >= 0.3


@pytest.mark.parametrize("asynchronous", [False, True], ids=["def", "async def"])
def test_a_call_that_raises_fails_with_its_traceback_in_stderr(write, module, asynchronous):
    name = module(f"""\
{"async " if asynchronous else ""}def go():
    raise ValueError("boom in the call")
""")
    job = run(call_job(write, f"{name}:go"))
    task = job.tasks["c"]
    assert job.state is JobState.ERROR and task.state is TaskState.FAILED
    assert task.reason == "ValueError: boom in the call"
    stderr = task.attempts[-1].stderr
    assert stderr.startswith("Traceback (most recent call last):")
    assert f"{name}.py" in stderr and stderr.endswith("ValueError: boom in the call\n")


@pytest.mark.parametrize("asynchronous", [False, True], ids=["def", "async def"])
def test_what_a_call_prints_lands_in_its_task_output(write, module, capsys, asynchronous):
    name = module(f"""\
import sys
{"async " if asynchronous else ""}def go():
    print("hello from the call")
    print("to stderr", file=sys.stderr)
""")
    job = run(call_job(write, f"{name}:go"))
    attempt = job.tasks["c"].attempts[-1]
    assert job.state is JobState.SUCCESS
    assert (attempt.stdout, attempt.stderr) == ("hello from the call\n", "to stderr\n")
    captured = capsys.readouterr()
    assert "hello from the call" not in captured.out + captured.err


def test_a_call_module_is_found_next_to_the_file_from_any_folder(tmp_path, folder, write, module,
                                                                 monkeypatch):
    name = module("def go():\n    print('found')\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    job = run(call_job(write, f"{name}:go"))
    assert job.tasks["c"].attempts[-1].stdout == "found\n"


def test_a_call_module_of_the_same_name_is_found_next_to_each_file(tmp_path):
    """Two orchestrations in two folders, each with its own ``steps_<id>.py``, run in one
    process: each must get the module next to its own file (7: looked up in the .orch file's
    directory first)."""
    name = f"steps_{tmp_path.name.replace('-', '_')}"
    outputs = []
    for side in ("left", "right"):
        side_folder = tmp_path / side
        side_folder.mkdir()
        (side_folder / f"{name}.py").write_text(f"def go():\n    print({side!r})\n")
        (side_folder / "job.orch").write_text(
            f'orchestration "{side}" {{\n phase "One" {{\n  task c call "{name}:go"\n }}\n}}\n')
        job = run(side_folder / "job.orch")
        outputs.append(job.tasks["c"].attempts[-1].stdout)
    assert outputs == ["left\n", "right\n"]


def test_a_sync_call_that_outlives_its_timeout_fails(write, module):
    name = module("import time\ndef go():\n    time.sleep(3)\n")
    started = time.monotonic()
    job = run(call_job(write, f"{name}:go", options="timeout 300ms"))
    assert time.monotonic() - started < 2.5
    task = job.tasks["c"]
    assert job.state is JobState.ERROR and task.state is TaskState.FAILED
    assert task.reason.startswith("timed out after 300ms")


def test_an_async_call_that_outlives_its_timeout_is_cancelled(write, module):
    name = module("import trio\nasync def go():\n    await trio.sleep(30)\n")
    started = time.monotonic()
    job = run(call_job(write, f"{name}:go", options="timeout 300ms"))
    assert time.monotonic() - started < 2.5
    assert job.tasks["c"].state is TaskState.FAILED


# Plain sync calls (no timeout, no retries) take a quicker path: a worker thread and no trio
# task of their own (see Engine._quick_call). These prove it keeps the same promises.

COUNTING_SOURCE = """\
import pathlib, threading, time
_lock = threading.Lock()
_now = [0]
_most = [0]
OUT = pathlib.Path(__file__).with_name("most.txt")

def go():
    with _lock:
        _now[0] += 1
        _most[0] = max(_most[0], _now[0])
        OUT.write_text(str(_most[0]))
    time.sleep(0.002)
    with _lock:
        _now[0] -= 1

def bad():
    raise RuntimeError("bad call")

def slow():
    time.sleep(3)
"""


def calls_job(write, name: str, tasks: str, clauses: str = "") -> Path:
    return write(f"""
orchestration "Calls" {{
    {clauses}
    phase "One" {{
{tasks}
    }}
    phase "Two" {{
        task after call "{name}:go"
    }}
}}
""")


STAMP_CALL_SOURCE = """\
import pathlib, time
HERE = pathlib.Path(__file__).parent

def _stamp(name, seconds):
    with open(HERE / f"{name}.start", "a") as f:
        f.write(repr(time.time()) + "\\n")
    time.sleep(seconds)
    with open(HERE / f"{name}.end", "a") as f:
        f.write(repr(time.time()) + "\\n")

def c1():
    _stamp("c1", 0.2)

def c2():
    _stamp("c2", 0.2)
"""


def test_calls_and_commands_share_the_concurrency_slots_in_file_order(folder, write, module):
    name = module(STAMP_CALL_SOURCE)
    path = write(f"""
orchestration "Mixed" {{
    concurrency 1
    phase "One" {{
        task c1 call "{name}:c1"
        task p {stamp("p", 0.2)}
        task c2 call "{name}:c2"
    }}
}}
""")
    job = run(path)
    assert job.state is JobState.SUCCESS
    spans = intervals(folder, ["c1", "p", "c2"])
    assert max_overlap(spans) == 1
    assert spans[0][1] <= spans[1][0] and spans[1][1] <= spans[2][0]  # c1, then p, then c2


@pytest.mark.parametrize("limit", [1, 2])
def test_calls_and_commands_mixed_over_phases_all_run_within_the_limit(folder, write, module,
                                                                       limit):
    # Calls (lanes) and commands (trio tasks) alternate over three phases, each finishing
    # fast: the walk, the lanes' slots and the nursery's end race each other; run it a few
    # times (a nursery closed too early raised from trio here once).
    name = module(STAMP_CALL_SOURCE.replace("0.2)", "0)"))
    phases = []
    for p in range(3):
        tasks = [f'        task c{p}_{i} call "{name}:c1"' if i % 2 else
                 f'        task t{p}_{i} run ["true"]' for i in range(8)]
        phases.append(f'    phase "P{p}" {{\n' + "\n".join(tasks) + "\n    }")
    path = write(f'orchestration "Mixed" {{\n    concurrency {limit}\n'
                 + "\n".join(phases) + "\n}\n")
    for _ in range(5):
        job = run(path)
        assert job.state is JobState.SUCCESS
        assert {t.state for t in job.tasks.values()} == {TaskState.SUCCEEDED}


def test_plain_calls_respect_concurrency(folder, write, module):
    name = module(COUNTING_SOURCE)
    tasks = "\n".join(f'        task c{i} call "{name}:go"' for i in range(200))
    job = run(calls_job(write, name, tasks, "concurrency 3"))
    assert job.state is JobState.SUCCESS
    assert all(t.state is TaskState.SUCCEEDED for t in job.tasks.values())
    assert int((folder / "most.txt").read_text()) <= 3


def test_a_failing_plain_call_starts_nothing_new(folder, write, module):
    name = module(COUNTING_SOURCE)
    tasks = "\n".join([f'        task bad call "{name}:bad"',
                       *(f'        task c{i} call "{name}:go"' for i in range(20))])
    job = run(calls_job(write, name, tasks, "concurrency 1"))
    assert job.state is JobState.ERROR
    assert job.tasks["bad"].reason == "RuntimeError: bad call"
    assert {job.tasks[f"c{i}"].state for i in range(20)} == {TaskState.SKIPPED}
    assert job.tasks["after"].state is TaskState.SKIPPED


def test_fail_fast_abandons_a_running_plain_call(write, module):
    name = module(COUNTING_SOURCE)
    tasks = f'        task slow call "{name}:slow"\n        task bad call "{name}:bad"'
    started = time.monotonic()
    job = run(calls_job(write, name, tasks, "fail_fast"))
    assert time.monotonic() - started < 2.5  # slow's 3 s were not waited for
    slow = job.tasks["slow"]
    assert slow.state is TaskState.CANCELLED
    assert slow.reason == "cancelled by fail_fast: task bad failed"
    assert slow.attempts[-1].finished_at is not None


@pytest.mark.parametrize("how", ["job timeout", "cancel()"])
def test_a_running_plain_call_is_cancelled_with_its_job(write, module, how):
    name = module(COUNTING_SOURCE)
    tasks = f'        task slow call "{name}:slow"'
    path = calls_job(write, name, tasks, "timeout 300ms" if how == "job timeout" else "")
    engine, recorder = engine_for(path)

    async def main():
        async with trio.open_nursery() as nursery:
            if how == "cancel()":
                nursery.start_soon(_cancel_after, engine, 0.3)
            return await engine.run()

    started = time.monotonic()
    job = trio.run(main)
    assert time.monotonic() - started < 2.5
    assert job.state is (JobState.ERROR if how == "job timeout" else JobState.CANCELLED)
    assert job.tasks["slow"].state is TaskState.CANCELLED
    assert ("finished", "slow", "cancelled") in recorder.events
    assert job.tasks["after"].state is TaskState.SKIPPED


async def _cancel_after(engine, seconds: float) -> None:
    await trio.sleep(seconds)
    engine.cancel("SIGINT")


def test_a_call_whose_module_cannot_be_imported_fails(write):
    job = run(call_job(write, "orch_no_such_module_anywhere:go"))
    task = job.tasks["c"]
    assert task.state is TaskState.FAILED
    assert task.reason.startswith("cannot load orch_no_such_module_anywhere:go: ModuleNotFoundError")


# --- nested orchestrations (3) ---------------------------------------------------------------

@pytest.mark.parametrize("child_code, child_options, task_state, job_state", [
    (0, "", "succeeded", "success"),
    (1, "continue_on_failure", "succeeded", "success"),  # the child ends in warning
    (1, "", "failed", "error"),
])
def test_a_nested_orchestration_runs_as_its_own_job(folder, write, child_code, child_options,
                                                    task_state, job_state):
    write(f"""
orchestration "Child" {{
    phase "Inside" {{
        task inner {stamp("inner", 0, child_code)} {child_options}
    }}
}}
""", "child.orch")
    path = write(f"""
orchestration "Parent" {{
    phase "One" {{
        task nested orchestration "child.orch"
    }}
    phase "Two" {{
        task after {stamp("after", 0)}
    }}
}}
""")
    recorder = MemoryRecorder()
    job = run(path, observer=recorder)
    assert ran(folder, "inner")
    assert (job.state.value, job.tasks["nested"].state.value) == (job_state, task_state)
    assert ran(folder, "after") is (job_state == "success")
    parent, child = recorder.jobs
    assert (parent.job_id, child.job_id, child.orchestration) == (1, 2, "Child")
    child_state = {0: "success", 1: "warning" if child_options else "error"}[child_code]
    assert child.state.value == child_state
    assert job.tasks["nested"].attempts[-1].stdout == f"child job 2 (Child): {child_state}\n"


def test_a_nested_orchestration_past_its_timeout_stops_the_child_job(folder, write):
    write(f"""
orchestration "Child" {{
    phase "Inside" {{
        task inner {sh("sleep 30 & echo $! > inner.child; wait")}
    }}
}}
""", "child.orch")
    path = write("""
orchestration "Parent" {
    phase "One" {
        task nested orchestration "child.orch" timeout 500ms
    }
}
""")
    started = time.monotonic()
    job = run(path)
    assert 0.5 <= time.monotonic() - started < 8
    assert job.state is JobState.ERROR
    assert job.tasks["nested"].state is TaskState.FAILED
    assert job.tasks["nested"].reason == "timed out after 500ms"
    assert not alive(pids(folder, "inner.child")[0])


# --- the engine and its observer -------------------------------------------------------------

class Recorder(Observer):
    def __init__(self):
        self.events: list[tuple] = []

    def job_created(self, job):
        self.events.append(("created", job.state.value))
        return 41

    def job_started(self, job):
        self.events.append(("job started", job.job_id))

    def task_started(self, job, task, attempt):
        self.events.append(("started", task.name, attempt.number))

    def task_retrying(self, job, task, delay_s):
        self.events.append(("retrying", task.name, delay_s))

    def task_output(self, job, task, stream, line):
        self.events.append(("output", task, stream, line))

    def task_finished(self, job, task):
        self.events.append(("finished", task.name, task.state.value))

    def job_finished(self, job):
        self.events.append(("job finished", job.state.value))


def engine_for(path: Path, **options) -> tuple[JobUnderTest, Recorder]:
    recorder = Recorder()
    plan = make_plan(str(path), environ=options.get("environ"))
    return JobUnderTest(plan, recorder, **options), recorder


def test_the_observer_hears_every_event_in_order(folder, write):
    path = write(f"""
orchestration "Events" {{
    secret TOKEN
    phase "One" {{
        task a {sh("echo one; echo $TOKEN >&2; printf 'no newline'")} retries 2 backoff 100ms
    }}
    phase "Two" {{
        task b {stamp("b", 0)} disabled
    }}
}}
""")
    engine, recorder = engine_for(path, stream=True,
                                  environ={"PATH": "/usr/bin:/bin", "TOKEN": SECRET})
    job = trio.run(engine.run)
    assert job.job_id == 41
    assert job.state is JobState.SUCCESS
    # stdout and stderr are two pipes: their lines keep their order within each stream only
    stdout = [e for e in recorder.events if e[:3] == ("output", "a", "stdout")]
    assert stdout == [("output", "a", "stdout", "one"), ("output", "a", "stdout", "no newline")]
    assert [e for e in recorder.events if e[0] != "output"] == [
        ("created", "waiting"),
        ("job started", 41),
        ("started", "a", 1),
        ("finished", "a", "succeeded"),
        ("job finished", "success"),
    ]
    assert ("output", "a", "stderr", "***") in recorder.events
    assert len(recorder.events) == 8


def test_the_observer_hears_each_retry_with_its_delay(folder, write):
    path = write(f"""
orchestration "Events" {{
    phase "One" {{
        task a {stamp("a", 0, 2)} retries 3 backoff 50ms
    }}
}}
""")
    engine, recorder = engine_for(path)
    trio.run(engine.run)
    assert [e for e in recorder.events if e[0] in ("started", "retrying", "finished")] == [
        ("started", "a", 1), ("retrying", "a", 0.05),
        ("started", "a", 2), ("retrying", "a", 0.1),
        ("started", "a", 3), ("retrying", "a", 0.2),
        ("started", "a", 4), ("finished", "a", "failed"),
    ]


def test_the_observer_is_called_in_the_trio_thread_even_for_a_printing_call(folder, write):
    """events.py: "The engine calls these in the trio thread" (a job store may hold a
    connection that only that thread may use)."""
    name = f"orch_thread_{folder.name.replace('-', '_')}"
    (folder / f"{name}.py").write_text("def go():\n    print('from a worker thread')\n")
    path = write(f"""
orchestration "Threads" {{
    phase "One" {{
        task c call "{name}:go"
        task s {sh("echo from a process")}
    }}
}}
""")
    threads: list[tuple[str, bool]] = []

    class ThreadRecorder(Recorder):
        def task_output(self, job, task, stream, line):
            threads.append((line, threading.current_thread() is threading.main_thread()))

    engine = JobUnderTest(make_plan(str(path)), ThreadRecorder(), stream=True)
    assert trio.run(engine.run).state is JobState.SUCCESS
    assert sorted(threads) == [("from a process", True), ("from a worker thread", True)]


def test_cancel_stops_the_running_tasks_and_their_processes(folder, write):
    path = write(f"""
orchestration "Cancel" {{
    phase "One" {{
        task a {sh("echo $$ > a.pid; sleep 30 & echo $! > a.child; wait")}
        task b {sh("sleep 30 & echo $! > b.child; wait")}
    }}
    phase "Two" {{
        task later {stamp("later", 0)}
    }}
}}
""")
    engine, recorder = engine_for(path)

    async def main():
        async with trio.open_nursery() as nursery:
            async def cancel_once_started():
                while not ((folder / "a.child").exists() and (folder / "b.child").exists()):
                    await trio.sleep(0.02)
                await trio.sleep(0.1)
                engine.cancel("SIGINT")
            nursery.start_soon(cancel_once_started)
            return await engine.run()

    started = time.monotonic()
    job = trio.run(main)
    assert time.monotonic() - started < 8
    assert job.state is JobState.CANCELLED
    assert job.reason == "cancelled by SIGINT"
    assert states(job) == {"a": "cancelled", "b": "cancelled", "later": "skipped"}
    assert [p for p in pids(folder, "a.pid", "a.child", "b.child") if alive(p)] == []
    assert not ran(folder, "later")
    assert recorder.events[-1] == ("job finished", "cancelled")


SIBLING = sh("echo working on it; echo $$ > sib.pid; sleep 30 & echo $! > sib.child; wait")
CANCELLED_BY = {
    "fail_fast": f"""fail_fast
        phase "One" {{
            task bad {sh("while [ ! -s sib.child ]; do sleep 0.02; done; exit 1")}
            task sib {SIBLING}
        }}""",
    "job timeout": f"""timeout 500ms
        phase "One" {{
            task sib {SIBLING}
        }}""",
    "cancel()": f"""phase "One" {{
            task sib {SIBLING}
        }}""",
}


def run_until_cancelled(folder: Path, write, cause: str):
    job, recorder = run_cancelled(folder, write, CANCELLED_BY[cause], cause, "sib.child")
    assert [p for p in pids(folder, "sib.pid", "sib.child") if alive(p)] == []
    return job, recorder


def run_cancelled(folder: Path, write, clauses: str, cause: str, ready: str):
    """Run the job; with cause ``cancel()``, cancel it once the file ``ready`` exists."""
    engine, recorder = engine_for(write(f'orchestration "Kept" {{\n    {clauses}\n}}\n'))

    async def main():
        async with trio.open_nursery() as nursery:
            if cause == "cancel()":
                async def cancel_once_started():
                    while not (folder / ready).exists():
                        await trio.sleep(0.02)
                    engine.cancel("SIGTERM")
                nursery.start_soon(cancel_once_started)
            return await engine.run()

    return trio.run(main), recorder


@pytest.mark.parametrize("cause", CANCELLED_BY)
def test_a_cancelled_attempt_is_kept_with_its_end_and_heard_finishing(folder, write, cause):
    job, recorder = run_until_cancelled(folder, write, cause)
    attempt = job.tasks["sib"].attempts[-1]
    assert job.tasks["sib"].state is TaskState.CANCELLED
    assert attempt.finished_at is not None and attempt.finished_at >= attempt.started_at
    assert attempt.reason == "cancelled"
    assert ("finished", "sib", "cancelled") in recorder.events


@pytest.mark.parametrize("cause", CANCELLED_BY)
def test_what_a_cancelled_attempt_printed_is_kept(folder, write, cause):
    job, _ = run_until_cancelled(folder, write, cause)
    assert job.tasks["sib"].attempts[-1].stdout == "working on it\n"


CLEANS_UP = """\
import signal, sys, time
def stop(*_):
    print("cleaning up", flush=True)
    time.sleep(0.3)
    open("cleaned", "w").write("ok")
    sys.exit(1)
signal.signal(signal.SIGTERM, stop)
print("started", flush=True)
open("ready", "w").write("ok")
time.sleep(30)
"""


@pytest.mark.parametrize("cause", CANCELLED_BY)
def test_a_cancelled_command_may_print_while_it_cleans_up(folder, write, cause):
    # The pipes stay open until its process group is down: its SIGTERM handler does not die
    # of a broken pipe, and what it printed then is kept (LANGUAGE.md 5.4: SIGTERM, then
    # SIGKILL after the grace period).
    (folder / "cleanup.py").write_text(CLEANS_UP)
    clauses = CANCELLED_BY[cause].replace(SIBLING, f'run ["{PY}", "cleanup.py"]').replace(
        "sib.child", "ready")
    job, _ = run_cancelled(folder, write, clauses, cause, "ready")
    assert (folder / "cleaned").exists()
    assert job.tasks["sib"].state is TaskState.CANCELLED
    assert job.tasks["sib"].attempts[-1].stdout == "started\ncleaning up\n"


# --- the public API (STYLE 7) ----------------------------------------------------------------

def test_the_public_plan_function_stays_callable_after_a_run(tmp_path):
    """``orchdsl.planning`` is the exported function, not the ``orchdsl.planning.build`` module that a run
    imports (``orchdsl.compiler`` and ``orchdsl.check.linter`` share the same fate)."""
    path = tmp_path / "job.orch"
    path.write_text('orchestration "Api" {\n    phase "One" {\n        task a run "true"\n    }\n}\n')
    script = (f"import orchdsl; job = orchdsl.run({str(path)!r}); "
              f"print(job.state.value, orchdsl.plan({str(path)!r}).name)")
    # From tmp_path: `python -c` puts the current folder first on sys.path, and the repo root
    # would shadow the installed package with the checkout.
    done = subprocess.run([PY, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "success Api\n"), done.stderr[-300:]


def test_a_bug_in_an_observer_ends_the_job_in_error_saying_so(folder, write):
    from orchdsl.observer import MemoryRecorder, Observer, Observers

    class Boom(Observer):
        def task_started(self, job, task, attempt):
            raise RuntimeError("boom")

    recorder = MemoryRecorder()
    path = write(f'orchestration "Bug" {{\n    phase "One" {{\n        task a {stamp("a", 0)}\n'
                 '    }\n}\n')
    with pytest.raises(BaseException) as raised:
        orchdsl.run(str(path), observer=Observers(recorder, Boom()))
    assert "boom" in repr(raised.value)
    [job] = recorder.jobs
    assert job.state is JobState.ERROR
    assert job.reason.startswith("internal error: ") and "boom" in job.reason
