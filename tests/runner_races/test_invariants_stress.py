"""Regression test for a bug found in review, now fixed (the text says how it was):
Random mixes of calls (sync quick, sync with retries, async) and commands, failures here and
there, concurrency 1/2/3/unlimited, fail_fast on and off, needs edges: the observer's events
and the job must stay consistent, and the job must end well within its timeout."""
import random
import time


import pytest

import orchdsl
from race_helpers import Log, lit, write

STEPS = """\
import time, threading
_lock = threading.Lock()
running = [0]
most = [0]
def _enter():
    with _lock:
        running[0] += 1
        most[0] = max(most[0], running[0])
def _leave():
    with _lock:
        running[0] -= 1
def ok(ms='0'):
    _enter()
    try:
        time.sleep(int(ms) / 1000)
    finally:
        _leave()
def bad(ms='0'):
    _enter()
    try:
        time.sleep(int(ms) / 1000)
        raise RuntimeError('bad')
    finally:
        _leave()
async def aok():
    import trio
    await trio.sleep(0.001)
"""


def make(rng: random.Random, folder, index):
    phases = []
    names = []
    for p in range(rng.randint(1, 3)):
        lines = []
        for t in range(rng.randint(1, 8)):
            name = f"p{p}t{t}"
            kind = rng.random()
            if kind < 0.55:
                fn = "bad" if rng.random() < 0.08 else "ok"
                action = f'call "steps:{fn}"'
            elif kind < 0.65:
                action = 'call "steps:aok"'
            elif kind < 0.75:
                action = 'call "steps:ok" retries 1'
            else:
                code = 1 if rng.random() < 0.08 else 0
                action = f'run {lit(f"sleep 0.0{rng.randint(0, 3)}; exit {code}")}'
            if rng.random() < 0.1:
                action += " continue_on_failure"
            if names and p > 0 and rng.random() < 0.3:
                earlier = [n for n in names if not n.startswith(f"p{p}")]
                if earlier:
                    action += f" needs {rng.choice(earlier)}"
            lines.append(f"    task {name} {action}")
            names.append(name)
        phases.append(f'  phase "ph{p}" {{\n' + "\n".join(lines) + "\n  }")
    conc = rng.choice([None, 1, 2, 3])
    head = (f"  concurrency {conc}\n" if conc else "") + ("  fail_fast\n" if rng.random() < 0.4 else "")
    text = f'orchestration "o{index}" {{\n{head}  timeout 10s\n  param ms = "{rng.choice([0, 0, 2])}"\n' + "\n".join(phases) + "\n}\n"
    return write(folder, f"o{index}.orch", text), conc


def check(log: Log, job):
    problems = []
    seen_started, seen_finished = {}, {}
    for i, e in enumerate(log.events):
        if e[0] == "task_started":
            if e[2] in seen_finished:
                problems.append(f"{e[2]} started after its finish")
            seen_started.setdefault(e[2], i)
        elif e[0] == "task_finished":
            if e[2] in seen_finished:
                problems.append(f"{e[2]} finished twice")
            seen_finished[e[2]] = i
    if log.events[-1][0] != "job_finished":
        problems.append("job_finished not last")
    for name, t in job.tasks.items():
        if t.state.value in ("pending", "running"):
            problems.append(f"{name} left {t.state.value}")
        if t.state.value in ("succeeded", "failed", "cancelled") and name not in seen_finished:
            problems.append(f"{name} {t.state.value} without task_finished")
        if t.state.value == "skipped" and t.attempts:
            problems.append(f"{name} skipped with attempts")
        if t.reason and "None" in t.reason:
            problems.append(f"{name}: reason {t.reason!r}")
    if job.reason and "timed out" in job.reason:
        problems.append(f"job timed out: {job.reason}")
    return problems


@pytest.mark.parametrize("seed", [0, *(pytest.param(s, marks=pytest.mark.slow) for s in (1, 2, 3))])
def test_random_jobs_stay_consistent(tmp_path, seed):
    write(tmp_path, "steps.py", STEPS)
    rng = random.Random(seed)
    bad = []
    t0 = time.monotonic()
    for i in range(40):
        path, conc = make(rng, tmp_path, i)
        log = Log()
        job = orchdsl.run(str(path), observer=log)
        problems = check(log, job)
        if problems:
            bad.append((i, path.read_text(), problems))
        if time.monotonic() - t0 > 40:
            break
    assert bad == [], bad[:3]
