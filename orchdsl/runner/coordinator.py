"""What runs when: a plan's phases and tasks walked in the trio thread (docs/language.md,
"Running"), each attempt handed to an executor (runner/executors/).

The walk is over nodes: every task, and two barriers per phase (its start and its end). A node
is reached once every node before it is done; then:
- a phase's start passes when the phase before ended well; its end passes when every task of
  the phase passed (succeeded, failed with ``continue_on_failure``, or was not to run);
- a task is queued when its phase's start passed, or, with ``needs``, when each task it needs
  succeeded (a task not selected counts as met); otherwise it is skipped, and so are the tasks
  after it.
Queued tasks start in file order while ``concurrency`` allows. Barriers and skips are decided
synchronously, so a phase starts in the same scheduler tick as the end of the one before, and
no trio task waits per node or per attempt: executors report through sinks (bench_run W1, W2).
A failure without ``continue_on_failure`` lets running tasks finish, starts nothing new
(queued tasks are skipped), and with ``fail_fast`` cancels the running ones. The job timeout
and ``cancel()`` (SIGINT, SIGTERM, the job that runs a nested one) cancel every attempt; the
job ends once each has said how it ended.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Callable

import trio

from orchdsl.durations import written
from orchdsl.model import JobResult, JobState, TaskResult, TaskState, job_state
from orchdsl.observer import Observer
from orchdsl.planning.spec import Plan
from orchdsl.runner.attempt import AttemptSink
from orchdsl.runner.executors.base import Executor, Outcome, Work
from orchdsl.runner.slots import Slots
from orchdsl.runner.values import JobValues


class Coordinator:
    def __init__(self, plan: Plan, job: JobResult, observer: Observer, values: JobValues,
                 executors: list[Executor], *, fail_fast: bool, concurrency: int | None,
                 grace_s: float, stream: bool, now: Callable, nested: bool = False):
        self.plan, self.job, self.observer, self.values = plan, job, observer, values
        self.executors = executors
        self.fail_fast = fail_fast or plan.fail_fast
        self.grace_s, self.stream, self.now, self.nested = grace_s, stream, now, nested
        self.slots = Slots(concurrency or plan.concurrency, on_free=self._advance)
        self._walk = _Walk(plan)
        self._reached: deque[str] = deque()  # done nodes whose successors to look at
        self._queued: deque[str] = deque()  # tasks ready to start, in file order
        self._retries: deque[str] = deque()  # tasks whose backoff is over: before the queue
        self._succeeded: dict[str, bool] = {}
        self._passed: dict[str, bool] = {}
        self._running: dict[str, AttemptSink] = {}  # task -> its attempt in flight
        self._backoffs: dict[str, trio.CancelScope] = {}  # tasks waiting to retry
        self._stopping: str | None = None  # why nothing new may start
        self._ending: str | None = None  # why the job is over (timeout, signal): cancelling
        self._advancing = False
        self._all_done = trio.Event()
        self._nursery: trio.Nursery | None = None

    # -- the job ------------------------------------------------------------------------------

    async def run(self, deadline: float = math.inf) -> JobState:
        """Walk until every node is done; the state the tasks leave the job in, or
        CANCELLED/ERROR when it was cancelled or timed out (``self._ending`` says why)."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            for executor in self.executors:
                await executor.open(nursery)
            self._walk.start(self._reach)
            self._advance()
            with trio.move_on_at(deadline):
                await self._all_done.wait()
            if not self._all_done.is_set():
                self.end(f"job timed out after {written(self.plan.timeout_s)}")
                await self._all_done.wait()
            for executor in self.executors:
                await executor.aclose()
        if self._ending:
            return JobState.ERROR if self._ending.startswith("job timed out") else \
                JobState.CANCELLED
        return job_state(self.job.tasks.values())

    @property
    def ending(self) -> str | None:
        return self._ending

    def end(self, why: str) -> None:
        """The job is over: nothing new starts, every attempt in flight is cancelled."""
        if self._ending is not None:
            return
        self._ending = why
        self._take_back_queued()
        for sink in list(self._running.values()):
            sink.cancel(why)
        for scope in self._backoffs.values():
            scope.cancel()
        self._check_done()

    # -- the walk -----------------------------------------------------------------------------

    def _reach(self, node: str) -> None:
        """Every node before ``node`` is done: decide it now, or queue it to run."""
        walk = self._walk
        if walk.is_barrier(node):
            self._passed[node] = all(self._passed[p] for p in walk.before(node))
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

    def _blocked(self, name: str) -> str | None:
        if self._stopping:
            return f"not started: {self._stopping}"
        for before, kind in self._walk.edges_into(name):
            if kind == "needs" and not self._succeeded[before]:
                return f"needs {before}, which did not succeed"
            if kind == "phase" and not self._passed[before]:
                return "not started: an earlier phase failed"
        return None

    def _skip(self, name: str, why: str) -> None:
        result = self.job.tasks[name]
        result.state, result.reason = TaskState.SKIPPED, why
        self._passed[name] = self._succeeded[name] = False
        self.observer.task_finished(self.job, result)
        self._reached.append(name)

    def _advance(self) -> None:
        """Reach what the done nodes unblock, then start queued tasks while there is room.
        Re-entrant calls (an executor reporting at once) only note that there is more to do."""
        if self._advancing:
            return
        self._advancing = True
        try:
            self._advance_now()
        finally:
            self._advancing = False
        self._check_done()

    def _advance_now(self) -> None:
        walk = self._walk
        while True:
            while self._reached:
                walk.done(self._reached.popleft(), self._reach)
            if self._ending:
                return
            for executor in self.executors:
                executor.staff(self.slots)
            queue = self._retries or self._queued
            if not queue:
                return
            name = queue[0]
            if self._stopping and queue is self._queued:
                queue.popleft()
                self._skip(name, f"not started: {self._stopping}")
                continue
            task = self.plan.task(name)
            work = self._work(name, task)
            if work is None:
                queue.popleft()
                continue
            executor = self._executor(work)
            queued = executor.takes_queued(work)
            if not queued and self.slots.available < 1:
                return
            queue.popleft()
            sink = AttemptSink(self, self.job.tasks[name], work)
            self._running[name] = sink
            if not queued:
                self.slots.take(name)
                sink.begin()  # heard now: the executor may take a moment to report
            sink.handle = executor.start(work, sink)

    def _work(self, name: str, task) -> Work | None:
        result = self.job.tasks[name]
        try:
            return self.values.work(task, job_id=self.job.job_id,
                                    attempt=len(result.attempts) + 1, grace_s=self.grace_s)
        except KeyError as exc:  # an output that is not set (docs/language.md, "Outputs")
            result.state, result.reason = TaskState.FAILED, f"{exc.args[0]} is not set"
            self.observer.task_finished(self.job, result)
            self._task_done(name)
            return None

    def _executor(self, work: Work) -> Executor:
        return next(e for e in self.executors if e.can_run(work))

    def _take_back_queued(self) -> None:
        """Works an executor queued that did not start: they never will."""
        for executor in self.executors:
            for work in executor.take_back():
                sink = self._running.pop(work.task, None)
                if sink is not None and not self._ending:
                    self._skip(work.task, f"not started: {self._stopping or self._ending}")

    # -- attempts (called by AttemptSink) ----------------------------------------------------

    def attempt_started(self, sink: AttemptSink) -> None:
        if self._stopping and self.fail_fast and not self._ending:
            # It started before its executor heard of the failure: cancelled like its siblings.
            sink.cancel(f"cancelled by fail_fast: {self._stopping}")

    def attempt_finished(self, sink: AttemptSink, outcome: Outcome, started: bool) -> None:
        """An attempt is over: another attempt after its backoff, or the task is done."""
        name = sink.result.name
        self.slots.give(name, quiet=True)  # the failure, if it is one, is heard first
        if self._running.get(name) is sink:
            del self._running[name]
        result = sink.result
        if not started:  # taken back before it ran: left pending, so "not reached"
            self._advance()
            return
        task = self.plan.task(name)
        if sink.cancelled_why is not None:
            self._cancelled(result, sink.cancelled_why)
        elif outcome.succeeded:
            result.state = TaskState.SUCCEEDED
            self.observer.task_finished(self.job, result)
        elif len(result.attempts) <= task.retries and not self._ending:
            self._retry_later(result, backoff(task.backoff_s, len(result.attempts)))
            return
        else:
            attempt = result.attempts[-1]
            result.state = TaskState.FAILED
            result.reason = attempt.reason or f"exit code {attempt.exit_code}"
            self.observer.task_finished(self.job, result)
        self._task_done(name)

    def _cancelled(self, result: TaskResult, why: str) -> None:
        result.state = TaskState.CANCELLED
        result.reason = result.reason or why
        self.observer.task_finished(self.job, result)

    def _retry_later(self, result: TaskResult, delay: float) -> None:
        """The slot goes to another task during the backoff; the retry queues for one."""
        self.observer.task_retrying(self.job, result, delay)
        self._backoffs[result.name] = trio.CancelScope()
        self._nursery.start_soon(self._retry_after, result.name, delay)
        self._advance()

    async def _retry_after(self, name: str, delay: float) -> None:
        with self._backoffs[name]:
            await trio.sleep(delay)
        del self._backoffs[name]
        result = self.job.tasks[name]
        if self._ending:  # cancelled during its backoff
            self._cancelled(result, self._ending)
            self._task_done(name)
            return
        self._retries.append(name)
        self._advance()

    def _task_done(self, name: str) -> None:
        result = self.job.tasks[name]
        self._succeeded[name] = result.state is TaskState.SUCCEEDED
        self._passed[name] = self._succeeded[name] or (
            result.state is TaskState.FAILED and result.continue_on_failure)
        if result.state is TaskState.FAILED and not result.continue_on_failure:
            self._stop_after_failure(name)
        self._reached.append(name)
        self._advance()

    def _stop_after_failure(self, name: str) -> None:
        if self._stopping is None:  # the first failure is the one to tell
            self._stopping = f"task {name} failed"
        self._take_back_queued()
        if self.fail_fast:
            for other, sink in list(self._running.items()):
                if other != name:
                    sink.cancel(f"cancelled by fail_fast: task {name} failed")

    def _check_done(self) -> None:
        if self._advancing:
            return
        if not self._running and not self._backoffs and (self._ending or self._walk.finished):
            self._all_done.set()


MAX_BACKOFF_S = 3600.0  # no retry waits longer (docs/language.md, "Running")


def backoff(first_s: float, attempt: int) -> float:
    """The delay before retry number ``attempt`` (1-based): first_s * 2^(attempt-1), at most
    MAX_BACKOFF_S (``retries 30 backoff 1s`` would otherwise wait 17 years at the end, and
    ``retries 1100`` overflow)."""
    if first_s <= 0:
        return 0.0
    doublings = min(attempt - 1, 64)  # 2^64 s is past any cap already
    return min(first_s * 2 ** doublings, MAX_BACKOFF_S)


class _Walk:
    """The plan as nodes and edges: ``<phase>:start`` and ``<phase>:end`` barriers and the
    tasks, as docs/language.md's compiled graph draws them, counted down as nodes are done."""

    def __init__(self, plan: Plan):
        self._before: dict[str, list[tuple[str, str]]] = {}
        self._after: dict[str, list[str]] = {}
        self._barriers: set[str] = set()
        previous_end = None
        for phase in plan.phases:
            start, end = f"{phase.name}:start", f"{phase.name}:end"
            self._node(start), self._node(end)
            self._barriers |= {start, end}
            if previous_end is not None:
                self._edge(previous_end, start, "phase")
            self._edge(start, end, "phase")  # phase order even when every task starts early
            for name in phase.tasks:
                self._node(name)
                if not plan.task(name).needs:
                    self._edge(start, name, "phase")
                self._edge(name, end, "phase")
            previous_end = end
        for task in plan.tasks:
            for needed in task.needs:
                self._edge(needed, task.name, "needs")
        self._waiting = {n: len(b) for n, b in self._before.items()}
        self._left = len(self._waiting)

    def _node(self, name: str) -> None:
        self._before.setdefault(name, [])
        self._after.setdefault(name, [])

    def _edge(self, a: str, b: str, kind: str) -> None:
        self._before[b].append((a, kind))
        self._after[a].append(b)

    def is_barrier(self, node: str) -> bool:
        return node in self._barriers

    def before(self, node: str):
        return (a for a, _ in self._before[node])

    def edges_into(self, node: str) -> list[tuple[str, str]]:
        return self._before[node]

    def start(self, reach) -> None:
        for node, count in list(self._waiting.items()):
            if count == 0:
                reach(node)

    def done(self, node: str, reach) -> None:
        self._left -= 1
        for after in self._after[node]:
            self._waiting[after] -= 1
            if not self._waiting[after]:
                reach(after)

    @property
    def finished(self) -> bool:
        return self._left == 0
