"""One attempt of a task, by its action: a subprocess, a Python call, or a child job."""

from __future__ import annotations

import os
from dataclasses import dataclass

import trio

from orchdsl.lang import ast
from orchdsl.planning.build import PlannedTask
from orchdsl.runner.calls import run_call
from orchdsl.runner.capture import OutputBuffer
from orchdsl.model import JobState
from orchdsl.runner.processes import run_process


@dataclass(frozen=True)
class Outcome:
    exit_code: int | None
    reason: str | None
    stdout: str
    stderr: str


async def run_attempt(engine, task: PlannedTask, node: ast.Task, stdout: OutputBuffer,
                      stderr: OutputBuffer, on_start=None):
    folder = engine.folder
    action = node.action
    if isinstance(action, ast.Call):
        return await run_call(action.target.value, folder=folder, params=engine.params,
                              timeout=task.timeout_s, stdout=stdout, stderr=stderr)
    if isinstance(action, ast.Nested):
        return await _run_nested(engine, task, action, stdout, stderr)
    strings = engine.strings(node)
    command = strings["command"]
    cwd = os.path.normpath(os.path.join(folder, strings["cwd"])) if strings["cwd"] else folder
    # The runner's environment, every secret under its own name, the task's env entries, and
    # the values a shell command expands.
    env = engine.process_env({**strings["env"], **command.env})
    return await run_process(command.argv, cwd=cwd, env=env, timeout=task.timeout_s,
                             grace=engine.options.grace_s, stdout=stdout, stderr=stderr,
                             on_start=on_start, executable=engine.executable(command.argv[0], env))


async def _run_nested(engine, task: PlannedTask, action: ast.Nested, stdout: OutputBuffer,
                      stderr: OutputBuffer) -> Outcome:
    """The child orchestration as a job of its own; the task fails when that job ends in
    error (or is cancelled). The child uses its own params' defaults."""
    from orchdsl.planning.build import build_plan
    from orchdsl.runner.engine import Engine, RunOptions

    folder = os.path.dirname(os.path.realpath(engine.plan.path))
    key = os.path.realpath(os.path.join(folder, action.path.value))
    child_plan = build_plan(engine.plan.compiled.children[key], environ=engine.environ)
    options = engine.options
    child = Engine(child_plan, engine.observer, RunOptions(
        grace_s=options.grace_s, stream=options.stream, trigger=options.trigger,
        environ=engine.environ, now=options.now,
        mask_also=(*engine.secrets.values(), *options.mask_also),
        parent_job=engine.job.job_id or None))
    with trio.move_on_after(task.timeout_s if task.timeout_s is not None else float("inf")) as limit:
        result = await child.run()
    if limit.cancelled_caught:
        stdout.write(f"child job {child.job.job_id} ({child_plan.name}) cancelled: timeout\n")
        return Outcome(None, f"timed out after {task.timeout_s:g}s", stdout.close(), stderr.close())
    stdout.write(f"child job {result.job_id} ({child_plan.name}): {result.state.value}\n")
    failed = result.state in (JobState.ERROR, JobState.CANCELLED)
    reason = f"child job {result.job_id} ended in {result.state.value}" if failed else None
    return Outcome(1 if failed else 0, reason, stdout.close(), stderr.close())
