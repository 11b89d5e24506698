"""What runs when: the compiled graph walked in the trio thread (LANGUAGE.md 5).

A node (task or barrier) is reached once every node before it is done; then:
- a phase's ``start`` passes when the phase before ended well; its ``end`` passes when every
  task of the phase passed (succeeded, failed with ``continue_on_failure``, or was not to run);
- a task is queued when its ``start`` barrier passed, or, with ``needs``, when each task it
  needs succeeded (a task not selected counts as met); otherwise it is skipped, and so are the
  tasks after it.
Queued tasks start in file order while ``concurrency`` allows, each as one trio task; barriers
and skips are decided synchronously, so a phase starts in the same scheduler tick as the end of
the one before (no trio task or event per node: see bench/bench_run.py W1, W2).
A failure without ``continue_on_failure`` lets running tasks finish, starts nothing new (queued
tasks are skipped), and with ``fail_fast`` cancels the running ones. All tasks live in one
nursery; the job timeout and ``cancel()`` (SIGINT/SIGTERM) cancel it, and every process group
goes down with its task.
"""

from __future__ import annotations

import contextvars
import math
import os
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Mapping

import trio

from orchdsl.lang import ast
from orchdsl.planning.interpolate import MissingValue, render
from orchdsl.planning.shell import Command, build, split_string
from orchdsl.planning.build import Plan, PlannedTask
from orchdsl.planning.build import TaskState as PlanState
from orchdsl.runner.capture import OutputBuffer
from orchdsl.runner.events import Observer
from orchdsl.runner.quick_path import QuickPath
from orchdsl.runner.masking import Masker
from orchdsl.model import (Attempt, JobResult, JobState, TaskResult, TaskState, Trigger,
                                  job_state)

GRACE_S = 10.0  # SIGTERM, then SIGKILL this long after (LANGUAGE.md 5.4)


@dataclass
class RunOptions:
    concurrency: int | None = None  # overrides the file's
    fail_fast: bool = False  # or the file's fail_fast
    grace_s: float = GRACE_S
    stream: bool = False  # pass task output on line by line (observer.task_output)
    trigger: Trigger = Trigger.MANUAL
    environ: Mapping[str, str] | None = None  # the runner's environment; os.environ if None
    mask_also: tuple[str, ...] = ()  # more values to mask: a parent job's secrets
    rerun_of: int | None = None  # the job this run runs again (recorded)
    parent_job: int | None = None  # the job whose task runs this one (recorded)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))


class Engine(QuickPath):
    def __init__(self, plan: Plan, observer: Observer, options: RunOptions | None = None):
        self.plan = plan
        self.observer = observer
        self.options = options or RunOptions()
        self.environ = dict(os.environ if self.options.environ is None else self.options.environ)
        self.graph = plan.compiled.graph
        self.tasks = {t.name: t for t in plan.tasks}
        self.job = JobResult(0, plan.name, plan.path, self.options.trigger,
                             file_hash=_sha256(plan.compiled.document.text),
                             rerun_of=self.options.rerun_of, parent_job=self.options.parent_job)
        self.secrets = {name: self.environ.get(name, "") for name in plan.secrets}
        self.masker = Masker([*self.secrets.values(), *self.options.mask_also])
        self._waiting: dict[str, int] = {}  # node -> how many nodes before it are not done
        self._reached: deque[str] = deque()  # done nodes whose successors to look at
        self._queued: deque[str] = deque()  # tasks ready to start, in file order
        self._succeeded: dict[str, bool] = {}
        self._passed: dict[str, bool] = {}
        self._running: dict[str, trio.CancelScope] = {}
        self._strings: dict[str, dict[str, object]] = {}  # task -> what it runs (see strings())
        self._values: dict[str, str] | None = None
        self._base_env: dict[bytes, bytes] | None = None
        self._executables: dict[tuple[str, bytes], str | None] = {}
        self._stopping: str | None = None  # why nothing new may start
        self._nursery: trio.Nursery | None = None
        self._job_scope: trio.CancelScope | None = None
        self._cancelled_by: str | None = None
        self._holding: set[str] = set()  # tasks that hold one of the slots
        self._init_quick_path()  # plain sync calls: see runner/quick_path.py
        self._cancelled_outside = False  # by the job that runs this one (a nested job)
        # Where tasks run and call modules are found; the params as calls get them.
        self.folder = os.path.dirname(os.path.abspath(plan.path))
        self.params = dict(plan.params)
        self._slots = trio.CapacityLimiter(
            self.options.concurrency or plan.concurrency or math.inf)

    # -- the job ------------------------------------------------------------------------------

    async def run(self) -> JobResult:
        job = self.job
        for task in self.plan.tasks:
            job.tasks[task.name] = _initial_result(task)
        job.job_id = self.observer.job_created(job)
        problem = self._missing_values()
        job.started_at = self.options.now()
        if problem:
            return self._finish(JobState.ERROR, problem)
        job.state = JobState.PROCESSING
        self.observer.job_started(job)
        timeout = self.plan.timeout_s
        try:
            with trio.CancelScope(deadline=trio.current_time() + timeout if timeout else math.inf) as scope:
                self._job_scope = scope
                async with trio.open_nursery() as nursery:
                    self._nursery = nursery
                    self._start_walk()
        except BaseException as exc:
            # Cancelled from outside (the parent job of a nested one): record it, then go on.
            # Anything else is a bug (an observer raising): the job ends in error, saying so.
            self._cancelled_outside = _only_cancelled(exc)
            self._wind_up_quick_calls()
            if self._cancelled_outside:
                self._finish(JobState.CANCELLED, "cancelled with the job that ran it")
            else:
                bug = _first_leaf(exc)
                self._finish(JobState.ERROR, f"internal error: {type(bug).__name__}: {bug}")
            raise
        self._wind_up_quick_calls()  # only when cancelled: _listen waits for them otherwise
        if self._cancelled_by:
            return self._finish(JobState.CANCELLED, f"cancelled by {self._cancelled_by}")
        if scope.cancelled_caught:
            return self._finish(JobState.ERROR, f"job timed out after {_shown(timeout)}")
        return self._finish(job_state(list(job.tasks.values())), None)

    def cancel(self, why: str) -> None:
        """Stop the job (SIGINT, SIGTERM): running tasks are cancelled, nothing new starts."""
        self._cancelled_by = why
        if self._job_scope is not None:
            self._job_scope.cancel()

    def _finish(self, state: JobState, reason: str | None) -> JobResult:
        job = self.job
        for result in job.tasks.values():
            if result.state is TaskState.RUNNING:
                result.state = TaskState.CANCELLED
                result.reason = result.reason or reason
            elif result.state is TaskState.PENDING:
                result.state = TaskState.SKIPPED
                result.reason = f"not reached: {reason}" if reason else "not reached"
        job.state, job.reason = state, reason
        job.finished_at = self.options.now()
        self.observer.job_finished(job)
        return job

    def _missing_values(self) -> str | None:
        """Secrets and ``${env.NAME}`` that are not set: the job fails before any task starts."""
        missing = [name for name in self.plan.secrets if name not in self.environ]
        if missing:
            return f"secret {', '.join(missing)} is not set in the environment"
        for task in self.tasks.values():
            if task.runs:
                try:
                    self.strings(_ast_task(self.graph, task.name))
                except MissingValue as exc:
                    return f"environment variable {exc.name[4:]} is not set (task {task.name})"
        return None

    # -- the walk -----------------------------------------------------------------------------

    def _start_walk(self) -> None:
        graph = self.graph
        self._waiting = dict(graph.in_degree())
        for node, count in self._waiting.items():
            if count == 0:
                self._reach(node)
        self._advance()

    def _reach(self, node: str) -> None:
        """Every node before ``node`` is done: decide it now, or queue it to run."""
        if self.graph.nodes[node]["type"] == "barrier":
            self._passed[node] = all(self._passed[p] for p in self.graph.predecessors(node))
            self._reached.append(node)
            return
        result = self.job.tasks[node]
        if result.state is not TaskState.PENDING:  # disabled or not selected: counts as met
            self._passed[node] = self._succeeded[node] = True
            self._reached.append(node)
            return
        why_not = self._blocked(node)
        if why_not:
            self._skip(node, why_not)
        else:
            self._queued.append(node)

    def _skip(self, name: str, why: str) -> None:
        result = self.job.tasks[name]
        result.state, result.reason = TaskState.SKIPPED, why
        self._passed[name] = self._succeeded[name] = False
        self.observer.task_finished(self.job, result)
        self._reached.append(name)

    def _advance(self) -> None:
        """Reach what the done nodes unblock, then start queued tasks while there is room."""
        graph, waiting = self.graph, self._waiting
        while True:
            while self._reached:
                for after in graph.successors(self._reached.popleft()):
                    waiting[after] -= 1
                    if not waiting[after]:
                        self._reach(after)
            if self._ending():
                return
            self._staff_lanes()
            if not self._queued:
                return
            name = self._queued[0]
            if self._stopping:
                self._queued.popleft()
                self._skip(name, f"not started: {self._stopping}")
                continue
            quick = self._quick_call(name)
            if quick:
                # Queued for the lanes even without a free slot: a lane takes it when one has
                # finished its call (file order holds: only the head of the queue moves).
                self._queued.popleft()
                self._hand_to_lanes(name, *quick)
                continue
            if self._slots.available_tokens < 1:
                return
            self._queued.popleft()
            self._take_slot_nowait(self.job.tasks[name])
            self._nursery.start_soon(self._task_node, name)

    def _take_slot_nowait(self, result: TaskResult) -> None:
        self._slots.acquire_on_behalf_of_nowait(result.name)
        self._holding.add(result.name)

    def _give_slot(self, result: TaskResult) -> None:
        if result.name in self._holding:
            self._holding.discard(result.name)
            self._slots.release_on_behalf_of(result.name)

    def _ending(self) -> bool:
        return self._cancelled_by is not None or self._cancelled_outside or (
            self._job_scope is not None and self._job_scope.cancel_called)

    async def _task_node(self, name: str) -> None:
        """One task, its slot already taken; the slot is given back when it ends."""
        result = self.job.tasks[name]
        try:
            with trio.CancelScope() as scope:
                self._running[name] = scope
                await self._run_task(self.tasks[name], result)
        finally:
            # Cancelled by fail_fast (caught above), or by the job timeout or a signal (the
            # exception goes on once the task is recorded as cancelled).
            self._running.pop(name, None)
            self._give_slot(result)
            if result.state is TaskState.RUNNING:
                self._mark_cancelled(result)
        self._task_done(name)

    def _task_done(self, name: str) -> None:
        result = self.job.tasks[name]
        self._succeeded[name] = result.state is TaskState.SUCCEEDED
        self._passed[name] = self._succeeded[name] or (
            result.state is TaskState.FAILED and result.continue_on_failure)
        if result.state is TaskState.FAILED and not result.continue_on_failure:
            self._stop_after_failure(name)
        self._reached.append(name)
        self._advance()
        self._release_keeper()

    def _mark_cancelled(self, result: TaskResult) -> None:
        result.state = TaskState.CANCELLED
        # fail_fast set its own reason; a timeout or a signal says so even after a failure.
        result.reason = result.reason or (
            self._why_cancelled() if self._ending() else self._stopping or self._why_cancelled())
        if result.attempts and result.attempts[-1].finished_at is None:
            result.attempts[-1].finished_at = self.options.now()
            result.attempts[-1].reason = result.attempts[-1].reason or "cancelled"
        self.observer.task_finished(self.job, result)

    def _why_cancelled(self) -> str:
        if self._cancelled_by:
            return f"cancelled by {self._cancelled_by}"
        if self._job_scope is not None and self._job_scope.cancel_called:
            return f"job timed out after {_shown(self.plan.timeout_s or 0)}"
        # Neither a signal nor the timeout: cancelled from outside, by the job that runs this
        # one when it is a nested job.
        return "cancelled with the job that ran it" if self._cancelled_outside or \
            self.options.parent_job else "cancelled"

    def _blocked(self, name: str) -> str | None:
        if self._stopping:
            return f"not started: {self._stopping}"
        for before, _, data in self.graph.in_edges(name, data=True):
            if data["type"] == "needs" and not self._succeeded[before]:
                return f"needs {before}, which did not succeed"
            if data["type"] == "phase" and not self._passed[before]:
                return "not started: an earlier phase failed"
        return None

    def _stop_after_failure(self, name: str) -> None:
        if self._stopping is None:  # the first failure is the one to tell
            self._stopping = f"task {name} failed"
        self._take_back_queued_calls()
        if self.options.fail_fast or self.plan.fail_fast:
            for other, scope in self._running.items():
                if other != name and not scope.cancel_called:
                    self.job.tasks[other].reason = f"cancelled by fail_fast: task {name} failed"
                    scope.cancel()
            for other in list(self._quick):
                self.job.tasks[other].reason = f"cancelled by fail_fast: task {name} failed"
                self._abandon_quick_call(other)

    # -- tasks --------------------------------------------------------------------------------

    async def _run_task(self, task: PlannedTask, result: TaskResult) -> None:
        attempts = task.retries + 1
        for number in range(1, attempts + 1):
            attempt = self._begin_attempt(result, number)
            await self._attempt(task, attempt)
            attempt.finished_at = self.options.now()
            if attempt.succeeded:
                result.state = TaskState.SUCCEEDED
                break
            if number < attempts:
                # The slot goes to another task during the backoff; the retry queues for one.
                delay = task.backoff_s * 2 ** (number - 1)
                self.observer.task_retrying(self.job, result, delay)
                self._give_slot(result)
                self._advance()
                await trio.sleep(delay)
                await self._slots.acquire_on_behalf_of(result.name)
                self._holding.add(result.name)
        else:
            result.state = TaskState.FAILED
            result.reason = attempt.reason or f"exit code {attempt.exit_code}"
        self.observer.task_finished(self.job, result)

    def _begin_attempt(self, result: TaskResult, number: int) -> Attempt:
        attempt = Attempt(number, self.options.now())
        result.state = TaskState.RUNNING
        result.attempts.append(attempt)
        self.observer.task_started(self.job, result, attempt)
        return attempt

    async def _attempt(self, task: PlannedTask, attempt: Attempt) -> None:
        from orchdsl.runner.attempts import run_attempt

        node = _ast_task(self.graph, task.name)
        stdout = OutputBuffer(self.masker, self._line_sink(task.name, "stdout"))
        stderr = OutputBuffer(self.masker, self._line_sink(task.name, "stderr"))
        try:
            outcome = await run_attempt(self, task, node, stdout, stderr,
                                        on_start=lambda pid: setattr(attempt, "pid", pid))
        except BaseException:
            # Cancelled: keep what it printed until then (the process group is already down).
            attempt.stdout, attempt.stderr = stdout.close(), stderr.close()
            raise
        attempt.exit_code, attempt.reason = outcome.exit_code, outcome.reason
        attempt.stdout, attempt.stderr = outcome.stdout, outcome.stderr
        attempt.pid = None  # gone: nothing for recovery to stop

    def _line_sink(self, name: str, stream: str, from_thread=None):
        """With ``stream``, each line goes to the observer, in the trio thread even when a
        ``call`` task prints from its worker thread (observers need not be thread-safe): a
        line printed in another thread is handed over by ``from_thread(line)``, by default
        with ``run_sync_soon`` (lanes post it among their events instead)."""
        if not self.options.stream:
            return None
        trio_thread = threading.get_ident()
        if from_thread is None:
            token = trio.lowlevel.current_trio_token()

            def from_thread(line: str) -> None:
                try:
                    token.run_sync_soon(self._deliver_line, name, stream, line)
                except trio.RunFinishedError:
                    pass  # a function abandoned by a job that is over prints on: unheard

        def deliver(line: str) -> None:
            if threading.get_ident() == trio_thread:
                self._deliver_line(name, stream, line)
            else:
                from_thread(line)
        return deliver

    def _deliver_line(self, name: str, stream: str, line: str) -> None:
        """A line a task printed, to the observer, while the task runs (a function abandoned
        by fail_fast or a timeout may print on: not heard any more). In a context of its own:
        an ``async def`` call's print() is routed to its task's log by the context, and an
        observer that prints would otherwise print into that log, and so on forever."""
        if self.job.tasks[name].state is TaskState.RUNNING:
            contextvars.Context().run(self.observer.task_output, self.job, name, stream, line)

    # -- values -------------------------------------------------------------------------------

    @property
    def values(self) -> dict[str, str]:
        if self._values is None:
            self._values = {**self.params, **self.secrets}
        return self._values

    def process_env(self, extra: dict[str, str]) -> dict[bytes, bytes]:
        """The environment of a command: the runner's, every secret under its own name, and
        ``extra``. As bytes, the base encoded once per job: Popen would encode every variable
        of it for every task (bench_run W1)."""
        if self._base_env is None:
            self._base_env = {os.fsencode(k): os.fsencode(v)
                              for k, v in {**self.environ, **self.secrets}.items()}
        return {**self._base_env, **{os.fsencode(k): os.fsencode(v) for k, v in extra.items()}}

    def executable(self, program: str, env: dict[bytes, bytes]) -> str | None:
        """Where ``program`` is on the command's PATH, looked up once per job (Popen would
        join it with every PATH entry for every task). None (Popen looks it up itself) when
        it names a path, or the PATH has relative entries (they depend on the task's cwd)."""
        key = (program, env.get(b"PATH", os.defpath.encode()))
        if key not in self._executables:  # the answer, None included, is kept for the job
            import shutil

            path = os.fsdecode(key[1])
            relative = not all(os.path.isabs(p) for p in path.split(os.pathsep))
            self._executables[key] = None if os.sep in program or relative else \
                shutil.which(program, path=path)
        return self._executables[key]

    def value_of(self, interpolation: ast.Interpolation) -> str:
        variable = interpolation.env_var
        value = self.environ.get(variable) if variable else self.values.get(interpolation.name)
        if value is None:
            raise MissingValue(interpolation.name, interpolation.span)
        return value

    def strings(self, task: ast.Task) -> dict[str, object]:
        """What a task runs, with real values: the command (see orchdsl.planning.shell), cwd
        and env entries, worked out once per job. Raises MissingValue for an unset
        ``${env.NAME}``."""
        known = self._strings.get(task.name.text)
        if known is not None:
            return known
        fill = lambda s: render(s, self.values, self.environ, shell=False)  # noqa: E731
        action = task.action
        if isinstance(action, ast.RunShell):
            command = build(*split_string(action.command, self.value_of))
        elif isinstance(action, ast.RunArgv):
            command = Command([fill(a) for a in action.argv], {})
        else:
            command = None
        strings = {"command": command, "cwd": fill(task.cwd.path) if task.cwd else None,
                   "env": {e.name.text: fill(e.value) for e in task.env}}
        self._strings[task.name.text] = strings
        return strings


def _first_leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _only_cancelled(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        rest = exc.split(trio.Cancelled)[1]
        return rest is None
    return isinstance(exc, trio.Cancelled)


def _initial_result(task: PlannedTask) -> TaskResult:
    result = TaskResult(task.name, task.phase, continue_on_failure=task.continue_on_failure)
    if task.state is PlanState.DISABLED:
        result.state, result.reason = TaskState.DISABLED, "disabled in the file"
    elif not task.runs:
        result.state, result.reason = TaskState.SKIPPED, task.reason
    return result


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _ast_task(graph, name: str) -> ast.Task:
    return graph.nodes[name]["node"]


def _shown(seconds: float | None) -> str:
    from orchdsl.lang.lexical import format_duration

    return format_duration(round((seconds or 0) * 1000))
