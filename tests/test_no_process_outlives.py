"""No process of a job outlives the job, whatever it forks (docs/language.md, "Timeouts,
signals, processes"): descendants that leave the task's process group (``setsid``, a
double-forking daemon), a ``call``'s own children, and everything when the runner itself is
SIGKILLed a moment after a task started. And a runner in another PID namespace sharing the
store is never judged dead from here. Real ``orchdsl run`` processes throughout."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import isolated_env, orchdsl_executable
from jobfiles import PY, alive, lit

DAEMON_PY = """\
import os, sys, time
if os.fork():
    sys.exit(0)
os.setsid()
if os.fork():
    sys.exit(0)
with open(sys.argv[1], "w") as f:
    f.write(str(os.getpid()))
time.sleep(300)
"""

CALLS_PY = """\
import subprocess
def spawn():
    child = subprocess.Popen(["sleep", "300"])
    with open("call.pid", "w") as f:
        f.write(str(child.pid))
"""

ESCAPES = {
    "setsid": "setsid sh -c 'echo $$ > esc.pid; exec sleep 300' & sleep 0.3",
    "a double-forking daemon": f"{PY} daemon.py esc.pid; sleep 0.3",
}


def wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def gone(pid: int, timeout: float = 8) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "daemon.py").write_text(DAEMON_PY)
    (tmp_path / "spawning.py").write_text(CALLS_PY)
    return tmp_path


def write_job(folder: Path, task: str, clauses: str = "") -> None:
    (folder / "job.orch").write_text(
        f'orchestration "Escapes" {{\n    {clauses}\n    phase "P" {{\n        task a {task}\n'
        '    }\n}\n')


def run(folder: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([orchdsl_executable(), "run", "job.orch", "--no-live", *args],
                          cwd=folder, env=isolated_env(), capture_output=True, text=True,
                          timeout=timeout)


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.mark.parametrize("how", ["ends", "times out"])
@pytest.mark.parametrize("command", ESCAPES.values(), ids=ESCAPES.keys())
def test_a_descendant_that_left_the_process_group_is_stopped(folder, command, how):
    if how == "ends":
        write_job(folder, f"run {lit(command)}")
    else:
        write_job(folder, f"run {lit(command + '; sleep 30')} timeout 1s")
    done = run(folder)
    pid = int((folder / "esc.pid").read_text())
    try:
        assert done.returncode == (0 if how == "ends" else 1), done.stdout + done.stderr
        assert gone(pid, timeout=1), "the escaped process outlived its job"
    finally:
        kill(pid)


def test_a_descendant_that_left_the_group_is_stopped_when_the_run_is_cancelled(folder):
    write_job(folder, f"run {lit(ESCAPES['setsid'] + '; touch ready; sleep 30')}")
    runner = subprocess.Popen([orchdsl_executable(), "run", "job.orch", "--no-live"],
                              cwd=folder, env=isolated_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: (folder / "ready").exists())
        pid = int((folder / "esc.pid").read_text())
        runner.send_signal(signal.SIGINT)
        assert runner.wait(30) == 130
        assert gone(pid, timeout=1)
    finally:
        runner.kill()


def test_a_calls_own_child_is_stopped_when_the_call_ends(folder):
    write_job(folder, 'call "spawning:spawn"')
    done = run(folder)
    pid = int((folder / "call.pid").read_text())
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        assert gone(pid, timeout=1)
    finally:
        kill(pid)


@pytest.mark.parametrize("after", [0.05, 0.2, 0.4])
def test_a_task_started_just_before_the_runner_is_killed_is_stopped(folder, after):
    write_job(folder, f"run {lit('echo $$ > task.pid; exec sleep 300')}")
    runner = subprocess.Popen([orchdsl_executable(), "run", "job.orch", "--no-live"],
                              cwd=folder, env=isolated_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    pid = None
    try:
        for line in runner.stdout:
            if "a  started" in line:
                break
        time.sleep(after)
        runner.kill()
        runner.wait(10)
        wait_for(lambda: (folder / "task.pid").exists() and
                 (folder / "task.pid").read_text().strip())
        pid = int((folder / "task.pid").read_text())
        assert gone(pid), "the task outlived its killed runner"
    finally:
        if pid:
            kill(pid)


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"],
                          capture_output=True)
    return done.returncode == 0


@pytest.mark.skipif(not _unshare_works(),
                    reason="unshare --pid needs privileges this machine does not give; "
                    "tests/test_store.py simulates the other namespace in the store instead")
def test_a_runner_in_another_pid_namespace_is_not_judged_dead_from_here(folder):
    store = folder / "shared.db"
    write_job(folder, f"run {lit('echo $$ > task.pid; touch ready; sleep 30')}")
    runner = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", orchdsl_executable(), "run", "job.orch",
         "--no-live", "--store", str(store)], cwd=folder, env=isolated_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: (folder / "ready").exists())
        inside = int((folder / "task.pid").read_text())  # a pid of the other namespace
        (folder / "other.orch").write_text(
            'orchestration "Other" {\n    phase "P" {\n        task b run "true"\n    }\n}\n')
        here = subprocess.run([orchdsl_executable(), "run", "other.orch", "--store",
                               str(store)], cwd=folder, env=isolated_env(),
                              capture_output=True, text=True, timeout=60)
        assert here.returncode == 0, here.stderr
        listed = subprocess.run([orchdsl_executable(), "jobs", "--store", str(store)],
                                cwd=folder, env=isolated_env(), capture_output=True,
                                text=True).stdout
        assert listed.splitlines()[2].split()[:2] == ["1", "processing"], listed
        assert runner.poll() is None, "the runner of the other namespace was stopped"
        del inside
    finally:
        runner.send_signal(signal.SIGTERM)
        runner.wait(30)
