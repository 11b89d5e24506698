#!/usr/bin/env python3
"""Benchmark ``orchdsl run`` against plain loops (issue 21): start-up, per-task cost, scale.

    python bench/bench_run.py                   # the full table, 5 counted runs each
    python bench/bench_run.py --quick           # smoke test: 1 run each, small sizes (~1 min)
    python bench/bench_run.py --only W1,T1 --runs 9 --json bench-run.json
    python bench/bench_run.py --only W3 --profile

Run it with the project's venv python (it imports orchdsl and trio for the in-process rows).
The table goes to stdout, progress and profiles to stderr. See bench/README.md.

Every measurement is one uncounted warm-up run (it also fills the plan cache: the counted runs
of an unchanged file reuse its plan, as a user's do), then N counted runs, each followed at
once by one run of its baseline: ``× base`` is the median of those per-pair ratios, which
moves much less than the medians on a shared machine. Process rows are wall time from spawn
to reap, start-up included, under GNU time (cpu = user+sys of the process tree, peak RSS =
largest single process); in-process rows time one call in this process after a warm-up call,
and every call starts clean (an untimed ``gc.collect()`` after it). Before timing, a traced
3x5 run (J=2, tasks sleep 50 ms) checks every runner: each task ran once, each phase started
after the previous one ended, and how many tasks overlapped at most.

Workloads (the issue's table):
  W1  2,000 ``true`` tasks in 20 phases of 100, J=2: orchdsl against xargs (make, a raw trio
      loop and ``run "true"`` through sh for context)
  W2  4 phases x 8 ``sleep 0.05``, J=8: orchdsl against a raw trio loop (trio.run_process)
  W3  10,000 no-op ``call`` tasks in 10 phases of 1,000, J=2: ``orchdsl.run(plan,
      store=None)`` in this process against a ThreadPoolExecutor here; the whole
      ``orchdsl run`` process against a ThreadPoolExecutor script
  T1  a 1-task file: ``orchdsl run`` against ``python -c pass``
  W4  100,000 ``true`` tasks in 100 phases of 1,000, J=8: per-task cost against the same
      shape at 2,000 tasks (20 phases of 100), and peak RSS
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lint import (BenchError, Stats, find_orchdsl, machine, row,  # noqa: E402
                        script_interpreter)

# Targets (issue 21)
TARGET_W1_RATIO = 1.3  # orchdsl within 1.3x of xargs on W1
TARGET_W2_RATIO = 1.2  # within 1.2x of a raw trio loop on W2
TARGET_W3_IN_PROCESS = 2.0  # orchdsl.run(plan) within 2x of a thread pool in process
TARGET_W3_PROCESS = 5.0  # the whole process within 5x of a thread pool script
TARGET_T1_S = 0.2  # orchdsl run of a 1-task file
TARGET_W4_RATIO = 1.2  # per-task cost at 100,000 tasks within 1.2x of 2,000
TARGET_W4_RSS_MIB = 1024.0

RUN_TIMEOUT_S = 290.0  # per single run, as the peer harness
GNU_TIME = "/usr/bin/time"
CHECK_SLEEP_S = 0.05


class BenchTimeout(BenchError):
    """A single run took longer than --timeout; it was killed (whole process group)."""


# ------------------------------------------------------------------------------------------------
# Workloads and the files every runner gets for them
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    key: str  # "W1-20x100"
    family: str  # "W1", "W2", "W3", "T1", "W4", "check"
    phases: int
    per_phase: int
    jobs: int
    kind: str  # "shell-noop", "shell-sleep", "inproc-noop"
    argv: tuple[str, ...] = ()

    @property
    def tasks(self) -> int:
        return self.phases * self.per_phase

    @property
    def label(self) -> str:
        return f"{self.key} ({self.kind}, {self.phases}×{self.per_phase}, J={self.jobs})"

    def names(self, phase: int) -> list[str]:
        return [f"t{phase:03d}_{i:04d}" for i in range(1, self.per_phase + 1)]


def workloads(quick: bool) -> dict[str, Workload]:
    true, sleep = ("true",), ("sleep", "0.05")
    w1 = (10, 50) if quick else (20, 100)
    w3 = (10, 100) if quick else (10, 1000)
    big = (10, 1000) if quick else (100, 1000)
    found = [Workload(f"W1-{w1[0]}x{w1[1]}", "W1", *w1, 2, "shell-noop", true),
             Workload("W2-4x8-j8", "W2", 4, 8, 8, "shell-sleep", sleep),
             Workload(f"W3-{w3[0]}x{w3[1]}", "W3", *w3, 2, "inproc-noop"),
             Workload("T1-1task", "T1", 1, 1, 1, "shell-noop", true),
             Workload("W4-20x100-j8", "W4", 20, 100, 8, "shell-noop", true),
             Workload(f"W4-{big[0]}x{big[1]}-j8", "W4", *big, 8, "shell-noop", true)]
    return {w.key: w for w in found}


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def orch_text(w: Workload, action: str, names: Callable[[int], list[str]] | None = None,
              act_for: Callable[[str, int], str] | None = None) -> str:
    """The .orch file of a workload; ``action``: ``argv`` (``run ["true"]``), ``shell``
    (``run "true"``) or ``call`` (``call "noop:work"``)."""
    if action == "argv":
        act = "run [" + ", ".join(quote(a) for a in w.argv) + "]"
    elif action == "shell":
        act = "run " + quote(" ".join(w.argv))
    else:
        act = 'call "noop:work"'
    out = [f"# {w.key}: generated by bench/bench_run.py ({w.tasks} tasks, action {action})",
           f"orchestration {quote(w.key)} {{", f"    concurrency {w.jobs}"]
    for p in range(1, w.phases + 1):
        out.append(f'    phase "p{p:03d}" {{')
        out.extend(f"        task {t} {act_for(t, p) if act_for else act}"
                   for t in (names or w.names)(p))
        out.append("    }")
    out.append("}")
    return "\n".join(out) + "\n"


def xargs_script(w: Workload, folder: str, argv: list[str]) -> str:
    """bash, one ``xargs -P J -I{} CMD`` line per phase; xargs fork+execs CMD (no shell)."""
    lines = ["set -e"]
    for p in range(1, w.phases + 1):
        listing = os.path.join(folder, f"phase{p:03d}.list")
        write(listing, "\n".join(w.names(p)) + "\n")
        lines.append(f"xargs -P {w.jobs} -I{{}} {' '.join(argv)} < {listing}")
    return "\n".join(lines) + "\n"


def makefile(w: Workload, recipe: str) -> str:
    """GNU make -jJ, every target .PHONY, every task of phase p depends on every task of
    phase p-1 (the barrier); ``{}`` in the recipe is the target's name."""
    out = [f"# {w.key}: generated by bench/bench_run.py", f"all: $(P{w.phases:03d})"]
    for p in range(1, w.phases + 1):
        out.insert(1, f"P{p:03d} := " + " ".join(w.names(p)))
    out.append(".PHONY: all " + " ".join(f"$(P{p:03d})" for p in range(1, w.phases + 1)))
    for p in range(1, w.phases + 1):
        out.append(f"$(P{p:03d}):" + (f" $(P{p - 1:03d})" if p > 1 else ""))
        out.append("\t" + recipe.replace("{}", "$@"))
    return "\n".join(out) + "\n"


TRIO_SHELL = '''\
# raw trio loop: trio.run_process per task, CapacityLimiter(J), one nursery per phase
import trio

PHASES, PER_PHASE, JOBS, ARGV = {phases}, {per_phase}, {jobs}, {argv!r}


async def one(limiter, argv):
    async with limiter:
        await trio.run_process(argv)


async def main():
    limiter = trio.CapacityLimiter(JOBS)
    for p in range(1, PHASES + 1):
        async with trio.open_nursery() as nursery:
            for i in range(1, PER_PHASE + 1):
                nursery.start_soon(one, limiter, [a.format(p=p, i=i) for a in ARGV])


trio.run(main)
'''

THREADS_INPROC = '''\
# plain thread pool: ThreadPoolExecutor(J), work() per task, wait() per phase
import sys
from concurrent.futures import ThreadPoolExecutor, wait

sys.path.insert(0, {folder!r})
from {module} import {function} as work

PHASES, PER_PHASE, JOBS = {phases}, {per_phase}, {jobs}

with ThreadPoolExecutor(JOBS) as pool:
    for p in range(1, PHASES + 1):
        wait([pool.submit(work(p)) for _ in range(PER_PHASE)])
'''

NOOP_MODULE = "def work():\n    pass\n"
NOOP_SELECTOR = "noop_phases"  # the scripts call work(p) for the function of phase p
NOOP_SELECTOR_MODULE = "from noop import work as _work\n\n\ndef work(phase):\n    return _work\n"


def run_threads_in_process(work: Callable[[], None], w: Workload) -> None:
    """The in-process baseline of W3: the loop of THREADS_INPROC, in this process."""
    from concurrent.futures import ThreadPoolExecutor, wait

    with ThreadPoolExecutor(w.jobs) as pool:
        for _ in range(w.phases):
            wait([pool.submit(work) for _ in range(w.per_phase)])


def write(path: str, text: str) -> str:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


# ------------------------------------------------------------------------------------------------
# Timing one run
# ------------------------------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    cpu: float | None = None
    rss_mib: float | None = None
    gc_after: float | None = None  # in process: gc.collect() of what the call left behind


def run_timed(argv: list[str], cwd: str, timeout: float, env: dict | None = None
              ) -> tuple[Sample, int, str, str]:
    """Run argv once under GNU time (when installed): (sample, exit code, stdout, stderr).
    Peak RSS comes from GNU time: a child forked by this (large) process would inherit its
    high-water mark, a grandchild forked by GNU time does not. The child gets a session of
    its own; the whole group is killed past ``timeout``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".time") as rss_file:
        full = ([GNU_TIME, "-f", "%M", "-o", rss_file.name, *argv]
                if os.access(GNU_TIME, os.X_OK) else argv)
        timed_out = threading.Event()
        start = time.perf_counter()
        proc = subprocess.Popen(full, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err, start_new_session=True)

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        finally:
            timer.cancel()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
        if timed_out.is_set():
            raise BenchTimeout(f"timeout (>{timeout:.0f} s)")
        lines = [line for line in rss_file.read().splitlines() if line.strip()]
        rss = int(lines[-1]) / 1024 if lines and lines[-1].strip().isdigit() else None
        return Sample(wall, usage.ru_utime + usage.ru_stime, rss), code, stdout, stderr


def cpu_now() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def time_call(function: Callable[[], object]) -> Sample:
    """One in-process call: wall, and cpu of this process and its reaped children. Every
    call starts clean: ``gc.collect()`` after it, untimed but measured (``gc_after``), so
    the cyclic garbage of a 10,000-task job is not freed by the paired baseline's first
    collection (which then took 3-4x its own time)."""
    cpu = cpu_now()
    start = time.perf_counter()
    try:
        function()
    except BenchError:
        raise
    except Exception as exc:  # noqa: BLE001 - trio raises ExceptionGroups
        import traceback

        raise BenchError("in-process call raised:\n" + "".join(
            traceback.format_exception(exc))[-3000:]) from exc
    wall = time.perf_counter() - start
    cpu = cpu_now() - cpu
    start = time.perf_counter()
    gc.collect()
    return Sample(wall, cpu, gc_after=time.perf_counter() - start)


# ------------------------------------------------------------------------------------------------
# Runners
# ------------------------------------------------------------------------------------------------


@dataclass
class Runner:
    name: str
    once: Callable[[], Sample]
    how: str = ""
    in_process: bool = False


@dataclass
class Env:
    orchdsl: str
    python: str  # the interpreter of the orchdsl script (the venv's)
    system_python: str  # python3 on PATH, for the py-threads peer, as the peer harness
    timeout: float
    folder: str


def process_runner(name: str, argv: list[str], cwd: str, timeout: float, how: str = "",
                   check_output: Callable[[str, str], str | None] | None = None,
                   env: dict | None = None) -> Runner:
    def once() -> Sample:
        sample, code, out, err = run_timed(argv, cwd, timeout, env)
        problem = (f"exited {code}" if code != 0
                   else check_output(out, err) if check_output else None)
        if problem:
            raise BenchError(f"{name}: {' '.join(argv)} {problem}\n--- stdout\n{out[-2000:]}"
                             f"\n--- stderr\n{err[-2000:]}")
        return sample

    return Runner(name, once, how)


FINAL_STATE = re.compile(r'^job \d+ ".*": (\w+) in ', re.MULTILINE)


def orchdsl_cli_output(out: str, err: str) -> str | None:
    """``orchdsl run`` exits 0 on success and on warning: its last line must say success."""
    states = FINAL_STATE.findall(out + "\n" + err)
    if states and states[-1] == "success":
        return None
    return f"ended in {states[-1]!r}, not 'success'" if states else "printed no final state"


def orchdsl_cli_runner(env: Env, name: str, path: str, folder: str, how: str) -> Runner:
    """``orchdsl run FILE`` with a job store and a plan cache of its own (kept across its
    runs, as a user's are: the store grows by one job per run)."""
    tag = re.sub(r"\W+", "-", f"{os.path.basename(path)}-{name}")
    environ = dict(os.environ, ORCHDSL_HOME=os.path.join(env.folder, "store-" + tag),
                   ORCHDSL_CACHE=os.path.join(env.folder, "cache-" + tag))
    environ.pop("ORCHDSL_EXECUTOR", None)
    return process_runner(name, [env.orchdsl, "run", path, "--no-live"], folder, env.timeout,
                          how, orchdsl_cli_output, environ)


def orchdsl_plan_runner(name: str, path: str, store: str | None, how: str) -> Runner:
    """``orchdsl.run(plan, store=...)`` in this process, the plan made once beforehand."""
    import orchdsl

    made: list = []

    def call() -> None:
        if not made:
            made.append(orchdsl.plan(path))
        result = orchdsl.run(made[0], store=store)
        state = getattr(result.state, "value", result.state)
        if state != "success":
            raise BenchError(f"{name}: orchdsl.run(plan of {path!r}) ended in {state!r}")

    return Runner(name, lambda: time_call(call), how, in_process=True)


def shell_runners(w: Workload, folder: str, env: Env) -> dict[str, Runner]:
    """The runners of a shell workload, by name (the check's too)."""
    os.makedirs(folder, exist_ok=True)
    argv = list(w.argv)
    act_for = None
    if w.family == "check":
        trace = write(os.path.join(folder, "trace.sh"), TRACE_SH.format(sleep=CHECK_SLEEP_S))
        os.chmod(trace, 0o755)
        log = os.path.join(folder, "trace.log")
        argv = [trace, "{}", log]

        def act_for(name: str, phase: int) -> str:  # noqa: F811 - one line per task
            return "run [" + ", ".join(quote(a.replace("{}", name)) for a in argv) + "]"
    runners = {
        "xargs": process_runner("xargs", ["bash", write(os.path.join(folder, "xargs.sh"),
                                                        xargs_script(w, folder, argv))],
                                folder, env.timeout, "bash script, one `xargs -P J -I{} CMD` "
                                "line per phase reading the phase's task list; xargs "
                                "fork+execs the command"),
        "make": process_runner("make", ["make", "-s", "-j", str(w.jobs), "-f", write(
            os.path.join(folder, "Makefile"), makefile(w, " ".join(argv)))], folder,
            env.timeout, "GNU make -jJ, all targets .PHONY, every task of phase p depends on "
            "every task of phase p-1; recipes exec'd without a shell"),
        "py-trio": process_runner("py-trio", [env.python, write(
            os.path.join(folder, "trio_loop.py"), TRIO_SHELL.format(
                phases=w.phases, per_phase=w.per_phase, jobs=w.jobs,
                argv=[a.replace("{}", "t{p:03d}_{i:04d}") for a in argv]))],
            folder, env.timeout, "venv python + trio: trio.run_process per task, "
            "CapacityLimiter(J), one nursery per phase (a raw trio loop)"),
    }
    for action in ("argv", "shell"):
        each = act_for if action == "argv" else (lambda n, p: "run " + quote(" ".join(
            a.replace("{}", n) for a in argv))) if act_for else None
        path = write(os.path.join(folder, f"{w.key}-{action}.orch"),
                     orch_text(w, action, act_for=each))
        runners[f"orchdsl ({action})"] = orchdsl_cli_runner(
            env, f"orchdsl ({action})", path, folder,
            "`orchdsl run FILE` (whole process), `concurrency J` in the file, tasks "
            + ("`run [...]` argv lists (no shell)" if action == "argv"
               else '`run "..."` shell strings'))
    return runners


def inproc_runners(w: Workload, folder: str, env: Env) -> dict[str, Runner]:
    """The runners of a call workload (W3, the check's), by name."""
    os.makedirs(folder, exist_ok=True)
    if w.family == "check":
        write(os.path.join(folder, "tracer.py"), TRACE_PY.format(sleep=CHECK_SLEEP_S))
        module, function = "tracer", "work"
        text = orch_text(w, "call", act_for=lambda n, p: f'call "tracer:p{p}"')
    else:
        write(os.path.join(folder, "noop.py"), NOOP_MODULE)
        write(os.path.join(folder, f"{NOOP_SELECTOR}.py"), NOOP_SELECTOR_MODULE)
        module, function = NOOP_SELECTOR, "work"
        text = orch_text(w, "call")
    fill = dict(folder=folder, module=module, function=function, phases=w.phases,
                per_phase=w.per_phase, jobs=w.jobs)
    path = write(os.path.join(folder, f"{w.key}-call.orch"), text)
    runners = {
        "py-threads": process_runner(
            "py-threads", [env.system_python, write(os.path.join(folder, "threads.py"),
                                                    THREADS_INPROC.format(**fill))],
            folder, env.timeout, "system python3, ThreadPoolExecutor(J): work() per task, "
            "wait() per phase"),
        "orchdsl (call)": orchdsl_cli_runner(
            env, "orchdsl (call)", path, folder, "`orchdsl run FILE` (whole process), tasks "
            '`call "noop:work"` (a plain function in the runner)'),
        "orchdsl.run(plan, store=None)": orchdsl_plan_runner(
            "orchdsl.run(plan, store=None)", path, None, "orchdsl.run(plan, store=None) in "
            "this process, the plan made once beforehand: execution only"),
    }
    if w.family != "check":
        work = load_module(os.path.join(folder, "noop.py"), "bench_run_noop").work
        runners["py-threads in process"] = Runner(
            "py-threads in process", lambda: time_call(lambda: run_threads_in_process(work, w)),
            "ThreadPoolExecutor(J) in this process, work() per task, wait() per phase",
            in_process=True)
    return runners


def load_module(path: str, name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------------
# Series: warm-up, counted runs, paired baseline
# ------------------------------------------------------------------------------------------------


@dataclass
class Row:
    workload: str
    family: str
    runner: str
    base: str | None = None  # the baseline's name; None: this row is a base
    stats: dict | None = None
    ratio: float | None = None  # median of per-pair ratios runner/baseline
    ratios: list[float] = field(default_factory=list)
    per_task_us: float | None = None  # median wall / tasks
    rss_mib: float | None = None
    gc_after_s: float | None = None
    in_process: bool = False
    status: str | None = None  # text instead of figures (timeout, FAILED)


def measure(w: Workload, runner: Runner, runs: int, base: Runner | None,
            progress: Callable[[str], None], base_w: Workload | None = None,
            warm_up: bool = True) -> Row:
    """``base_w``: the baseline runs another workload; the ratio is then of per-task costs."""
    r = Row(w.label, w.family, runner.name, base.name if base else None,
            in_process=runner.in_process)
    progress(f"{w.key}: {runner.name}, {'1 warm-up + ' if warm_up else ''}{runs} run(s)"
             + (f", each followed by {base.name}" if base else ""))
    walls, cpus, rss, ratios, gc_after = [], [], [], [], []
    try:
        if warm_up:
            runner.once()  # page cache, .pyc files, the plan cache, the job store
        for _ in range(runs):
            s = runner.once()
            walls.append(s.wall)
            cpus += [s.cpu] if s.cpu is not None else []
            rss += [s.rss_mib] if s.rss_mib is not None else []
            gc_after += [s.gc_after] if s.gc_after is not None else []
            if base is not None:
                b = base.once().wall
                ratios.append(s.wall / w.tasks / (b / base_w.tasks) if base_w else s.wall / b)
    except BenchTimeout as exc:
        r.status = str(exc)
        return r
    stats = Stats.of(walls, cpus)
    r.stats = asdict(stats)
    r.rss_mib = max(rss) if rss else None
    r.gc_after_s = statistics.median(gc_after) if gc_after else None
    r.ratios, r.ratio = ratios, statistics.median(ratios) if ratios else None
    r.per_task_us = stats.median_s / w.tasks * 1e6
    return r


# ------------------------------------------------------------------------------------------------
# The check: a traced 3x5 run per runner
# ------------------------------------------------------------------------------------------------

CHECK = Workload("check-3x5", "check", 3, 5, 2, "check", ("sleep", "0.05"))

TRACE_SH = """#!/bin/sh
# trace.sh NAME LOG: one traced task of the check workload
echo "start $1 $(date +%s.%N)" >> "$2"
sleep {sleep}
echo "end $1 $(date +%s.%N)" >> "$2"
"""

TRACE_PY = '''\
"""Traced no-op tasks of the check workload: p1, p2, p3 record start and end in LOG."""
import os
import threading
import time

LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trace-inproc.log")
_count = {{}}
_lock = threading.Lock()


def _traced(phase):
    with _lock:
        _count[phase] = _count.get(phase, 0) + 1
        name = f"t{{phase:03d}}_{{_count[phase]:04d}}"
    with open(LOG, "a") as f:
        f.write(f"start {{name}} {{time.time():.6f}}\\n")
    time.sleep({sleep})
    with open(LOG, "a") as f:
        f.write(f"end {{name}} {{time.time():.6f}}\\n")


def p1():
    _traced(1)


def p2():
    _traced(2)


def p3():
    _traced(3)


def work(phase):
    return globals()[f"p{{phase}}"]
'''


def check_trace(log: str, w: Workload) -> tuple[bool, str]:
    """(ok, text) from a trace log: every task once, phases in order, overlap at most J."""
    starts: dict[str, float] = {}
    ends: dict[str, float] = {}
    try:
        with open(log, encoding="utf-8") as f:
            for line in f:
                what, name, at = line.split()
                into = starts if what == "start" else ends
                if name in into:
                    return False, f"{name} ran twice"
                into[name] = float(at)
    except OSError:
        return False, "no task ran"
    expected = {n for p in range(1, w.phases + 1) for n in w.names(p)}
    if set(starts) != expected or set(ends) != expected:
        return False, f"{len(ends)}/{len(expected)} tasks ran"
    for p in range(2, w.phases + 1):
        if min(starts[n] for n in w.names(p)) < max(ends[n] for n in w.names(p - 1)):
            return False, f"phase {p} started before phase {p - 1} ended"
    events = sorted([(t, 1) for t in starts.values()] + [(t, -1) for t in ends.values()])
    running = most = 0
    for _, delta in events:
        running += delta
        most = max(most, running)
    ok = most <= w.jobs
    return ok, f"{'ok' if ok else 'FAIL'} (max {most}/{w.jobs} at once)"


def run_checks(env: Env, progress: Callable[[str], None]) -> dict[str, list[str]]:
    """{runner: verdicts}: one traced, uncounted run of each runner; raises on a failure."""
    found: dict[str, list[str]] = {}
    shell_folder = os.path.join(env.folder, "check", "shell")
    inproc_folder = os.path.join(env.folder, "check", "inproc")
    for kind, runners, log in (
            ("shell", shell_runners(CHECK, shell_folder, env),
             os.path.join(shell_folder, "trace.log")),
            ("inproc", inproc_runners(CHECK, inproc_folder, env),
             os.path.join(inproc_folder, "trace-inproc.log"))):
        for runner in runners.values():
            progress(f"check ({kind}, 3×5, J=2, 50 ms tasks): {runner.name}")
            if os.path.exists(log):
                os.remove(log)
            sys.modules.pop("tracer", None)  # a fresh count for an in-process run
            try:
                runner.once()
                ok, text = check_trace(log, CHECK)
            except BenchError as exc:
                ok, text = False, f"FAILED: {str(exc).splitlines()[0]}"
            found.setdefault(runner.name, []).append(f"{kind}: {text}")
            if not ok:
                raise BenchError(f"check failed for {runner.name}: {text}")
    return found


# ------------------------------------------------------------------------------------------------
# The table of the issue
# ------------------------------------------------------------------------------------------------


def bench(args, env: Env, runs: int, progress, rows: list[Row], how: dict[str, str]) -> None:
    """Measure the families asked for into ``rows`` (what ran until a failure is kept)."""
    all_w = workloads(args.quick)
    families = args.only or ["W1", "W2", "W3", "T1", "W4"]

    def add(w, runner, base=None, **options) -> None:
        how.setdefault(runner.name, runner.how)
        if base is not None:
            how.setdefault(base.name, base.how)
        try:
            rows.append(measure(w, runner, options.pop("runs", runs), base, progress,
                                **options))
        except BenchError as exc:
            rows.append(Row(w.label, w.family, runner.name, base.name if base else None,
                            in_process=runner.in_process,
                            status=f"FAILED: {str(exc).splitlines()[0][:120]}"))
            raise

    for w in all_w.values():
        if w.family not in families:
            continue
        where = os.path.join(env.folder, w.key)
        if w.family == "W1":
            r = shell_runners(w, where, env)
            add(w, r["orchdsl (argv)"], r["xargs"])
            for name in ("orchdsl (shell)", "make", "py-trio"):
                add(w, r[name], r["xargs"])
        elif w.family == "W2":
            r = shell_runners(w, where, env)
            add(w, r["orchdsl (argv)"], r["py-trio"])
            add(w, r["xargs"], r["py-trio"])
        elif w.family == "W3":
            r = inproc_runners(w, where, env)
            add(w, r["orchdsl.run(plan, store=None)"], r["py-threads in process"])
            add(w, r["orchdsl (call)"], r["py-threads"])
            if args.profile:
                rows_profile(r["orchdsl.run(plan, store=None)"], w, args.profile)
        elif w.family == "T1":
            r = shell_runners(w, where, env)
            python = process_runner("python -c pass", [env.python, "-c", "pass"], where,
                                    env.timeout, "the interpreter of the orchdsl script, "
                                    "doing nothing")
            add(w, r["orchdsl (argv)"], python, runs=max(runs, 10))
        elif w.family == "W4" and w.tasks > 2000:
            small = next(v for v in all_w.values() if v.family == "W4" and v.tasks == 2000)
            r_small = shell_runners(small, os.path.join(env.folder, small.key), env)
            add(small, r_small["orchdsl (argv)"], None)
            r = shell_runners(w, where, env)
            add(w, r["orchdsl (argv)"], r_small["orchdsl (argv)"], base_w=small,
                runs=max(1, min(runs, 3)))


def rows_profile(runner: Runner, w: Workload, top: int) -> None:
    """One more, uncounted call under cProfile, on stderr."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        runner.once()
    finally:
        profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    sys.stderr.write(f"\n=== profile: {w.key} {runner.name}, by own time ===\n{text.getvalue()}")


def anchors(env: Env, runs: int, progress) -> list[dict]:
    found = []
    items = [("venv python -c pass", [env.python, "-c", "pass"]),
             ("venv python -c 'import trio'", [env.python, "-c", "import trio"]),
             ("orchdsl --help", [env.orchdsl, "--help"])]
    for label, argv in items:
        progress(f"anchor: {label}")
        runner = process_runner(label, argv, env.folder, env.timeout)
        runner.once()
        samples = [runner.once() for _ in range(runs)]
        stats = Stats.of([s.wall for s in samples], [s.cpu for s in samples if s.cpu])
        found.append({"command": label, "stats": asdict(stats)})
    return found


# ------------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------------


def targets(rows: list[Row]) -> list[dict]:
    found = []

    def verdict(name: str, value: float | None, limit: float, unit: str, fmt: str,
                status: str | None = None) -> None:
        if value is None:
            found.append({"name": name, "verdict": "INVALID" if status else "SKIP",
                          "measured": status or "not measured",
                          "limit": f"≤ {limit:{fmt}}{unit}"})
            return
        found.append({"name": name, "verdict": "PASS" if value <= limit else "FAIL",
                      "measured": f"{value:{fmt}}{unit}", "limit": f"≤ {limit:{fmt}}{unit}",
                      "value": value})

    for r in rows:
        key = r.workload.split(" ")[0]
        if r.family == "W1" and r.runner == "orchdsl (argv)":
            verdict(f"{key} orchdsl vs xargs (whole process)", r.ratio, TARGET_W1_RATIO, "×",
                    ".2f", r.status)
        elif r.family == "W2" and r.runner == "orchdsl (argv)":
            verdict(f"{key} orchdsl vs a raw trio loop (whole process)", r.ratio,
                    TARGET_W2_RATIO, "×", ".2f", r.status)
        elif r.family == "W3" and r.in_process:
            verdict(f"{key} orchdsl.run(plan, store=None) vs a thread pool, in process",
                    r.ratio, TARGET_W3_IN_PROCESS, "×", ".2f", r.status)
        elif r.family == "W3":
            verdict(f"{key} orchdsl run vs a thread pool script (whole process)", r.ratio,
                    TARGET_W3_PROCESS, "×", ".2f", r.status)
        elif r.family == "T1":
            verdict("T1 orchdsl run of a 1-task file (whole process, median)",
                    r.stats["median_s"] if r.stats else None, TARGET_T1_S, " s", ".3f",
                    r.status)
        elif r.family == "W4" and r.base:
            verdict(f"{key} per-task cost vs {r.base} at 2,000 tasks", r.ratio,
                    TARGET_W4_RATIO, "×", ".2f", r.status)
            verdict(f"{key} peak RSS", r.rss_mib, TARGET_W4_RSS_MIB, " MiB", ".0f", r.status)
    return found


def s3(seconds: float) -> str:
    return f"{seconds:.3f}"


def render(results: dict) -> str:
    m = results["machine"]
    lines = [f"# orchdsl run benchmark (orchdsl {results['orchdsl_version']}, issue 21)", "",
             f"Machine: nproc {m.get('nproc')}, {m.get('ram_gib', '?')} GiB RAM, "
             f"{m.get('cpu') or platform.machine()}, {m['implementation']} {m['python']}  ",
             f"Command: `{results['command']}`  ",
             "Process rows: whole process, spawn to reap, start-up included; in-process rows: "
             "one call in this process. Median of the counted runs after a warm-up run (which "
             "fills the plan cache). `× base`: median of per-pair ratios, the baseline run "
             "right after each counted run (W4: of per-task costs). Load average (1 min) at "
             f"start {results['load'][0]:.2f}, at end {results['load'][1]:.2f}.", "",
             row(["workload", "runner", "base", "median s", "min–max s", "× base", "µs/task",
                  "cpu s", "peak RSS MiB", "runs"]),
             row(["---", "---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"])]
    for r in results["rows"]:
        if r["stats"] is None:
            lines.append(row([r["workload"], r["runner"], r["base"] or "", r["status"] or "",
                              "", "", "", "", "", ""]))
            continue
        s = r["stats"]
        lines.append(row([
            r["workload"], r["runner"], r["base"] or "", s3(s["median_s"]),
            f"{s3(s['min_s'])}–{s3(s['max_s'])}",
            f"{r['ratio']:.2f}×" if r["ratio"] is not None else "",
            f"{r['per_task_us']:.0f}" if r["per_task_us"] is not None else "",
            f"{s['cpu_s']:.2f}" if s.get("cpu_s") is not None else "",
            f"{r['rss_mib']:.0f}" if r.get("rss_mib") is not None else "", str(s["runs"])]))
    if results["anchors"]:
        lines += ["", "Anchors: " + "; ".join(
            f"`{a['command']}` {s3(a['stats']['median_s'])} s" for a in results["anchors"])]
    if results["checks"]:
        lines += ["", "Check (a traced 3×5 run, J=2): " + "; ".join(
            f"{name}: {', '.join(v)}" for name, v in results["checks"].items())]
    lines += ["", "## Targets", ""]
    lines += [f"- {t['verdict']}: {t['name']}: {t['measured']} (target {t['limit']})"
              for t in results["targets"]]
    lines += ["", "## Runners", "", row(["runner", "how"]), row(["---", "---"])]
    lines += [row([name, text]) for name, text in results["how"].items()]
    return "\n".join(lines) + "\n"


def system_python() -> str:
    """The interpreter behind ``python3`` on PATH (not pyenv's shell shim, ~60 ms a run)."""
    found = shutil.which("python3")
    if not found:
        return sys.executable
    try:
        real = subprocess.run([found, "-c", "import sys; print(sys.executable)"],
                              capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return found
    return real if real and os.access(real, os.X_OK) else found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=None,
                        help="counted runs per measurement after one warm-up (default 5; 1 "
                             "with --quick; at most 3 for the large W4 file)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 1 run each, W1 10x50, W3 10x100, W4 10,000 tasks")
    parser.add_argument("--only", type=lambda v: [x.strip().upper() for x in v.split(",")],
                        help="workload families, comma-separated (W1,W2,W3,T1,W4)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--orchdsl", metavar="PATH",
                        help="the orchdsl command (default: next to this interpreter, or PATH)")
    parser.add_argument("--timeout", type=float, default=RUN_TIMEOUT_S,
                        help=f"seconds one run may take (default {RUN_TIMEOUT_S:.0f})")
    parser.add_argument("--no-check", action="store_true", help="skip the traced 3x5 check")
    parser.add_argument("--profile", nargs="?", const=30, type=int, metavar="N",
                        help="profile one in-process W3 call, top N functions on stderr")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target FAILs")
    parser.add_argument("--keep", metavar="DIR",
                        help="write the generated files (and stores) to DIR and keep them")
    args = parser.parse_args(argv)
    runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    if runs < 1:
        parser.error("--runs must be at least 1")
    try:
        from orchdsl._version import __version__
        import trio  # noqa: F401
        command = find_orchdsl(args.orchdsl)
    except (ImportError, BenchError) as exc:
        sys.stderr.write(f"bench_run: {exc}; run this with the project's venv python\n")
        return 2

    def progress(message: str) -> None:
        sys.stderr.write(f"bench_run: {message}\n")
        sys.stderr.flush()

    results: dict = {"version": 2, "orchdsl_version": __version__, "machine": machine(),
                     "command": " ".join(["python bench/bench_run.py", *sys.argv[1:]]),
                     "runs": runs, "quick": args.quick, "load": [os.getloadavg()[0], None],
                     "rows": [], "anchors": [], "checks": {}, "how": {}, "failures": []}
    with tempfile.TemporaryDirectory(prefix="orchdsl-bench-run-") as tmp:
        folder = os.path.abspath(args.keep or tmp)
        os.makedirs(folder, exist_ok=True)
        env = Env(command, script_interpreter(command), system_python(), args.timeout, folder)
        rows: list[Row] = []
        try:
            if not args.no_check:
                results["checks"] = run_checks(env, progress)
            bench(args, env, runs, progress, rows, results["how"])
            results["anchors"] = anchors(env, runs, progress)
        except BenchError as exc:
            results["failures"].append(str(exc))
            sys.stderr.write(f"bench_run: FAILED: {exc}\n")
        results["rows"] = [asdict(r) for r in rows]
    results["load"][1] = os.getloadavg()[0]
    results["targets"] = targets(rows)
    sys.stdout.write(render(results))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
    if results["failures"]:
        return 1
    if args.strict and any(t["verdict"] == "FAIL" for t in results["targets"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
