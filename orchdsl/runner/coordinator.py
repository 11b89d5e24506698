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
import threading
from collections import deque
from contextlib import contextmanager
from typing import Callable

import trio

from orchdsl.durations import written
from orchdsl.model import JobResult, JobState, TaskResult, TaskState, job_state
from orchdsl.observer import Observer
from orchdsl.planning.spec import Plan
from orchdsl.runner.attempt import AttemptSink
from orchdsl.runner.capture import LOG_LIMIT
from orchdsl.runner.conditions import ConditionError
from orchdsl.runner.decide import Decider, Expand, Fail, Met, Skip
from orchdsl.runner.executors.base import Executor, Outcome, Work
from orchdsl.runner.facts import JobFacts
from orchdsl.runner.slots import Slots
from orchdsl.runner.values import JobValues
from orchdsl.runner.walk import Walk


LOG_INTERVAL_S = 0.5  # what tasks print is handed on at least this often


class Coordinator:
    def __init__(self, plan: Plan, job: JobResult, observer: Observer, values: JobValues,
                 executors: list[Executor], *, fail_fast: bool, concurrency: int | None,
                 grace_s: float, stream: bool, now: Callable, nested: bool = False,
                 log_limit: int = LOG_LIMIT):
        self.plan, self.job, self.observer, self.values = plan, job, observer, values
        self.executors = executors
        self.fail_fast = fail_fast or plan.fail_fast
        self.grace_s, self.stream, self.now, self.nested = grace_s, stream, now, nested
        self.log_limit = log_limit
        self.slots = Slots(concurrency or plan.concurrency, on_free=self._advance)
        self._walk = Walk(plan)
        self.facts = JobFacts(job, values.values, dict(plan.params), values.environ)
        self.decide = Decider(plan, job, self._walk, self.facts)
        self._reached: deque[str] = deque()  # done nodes whose successors to look at
        self._queued: deque[str] = deque()  # tasks ready to start, in file order
        self._retries: deque[str] = deque()  # tasks whose backoff is over: before the queue
        self._running: dict[str, AttemptSink] = {}  # task -> its attempt in flight
        self._backoffs: dict[str, trio.CancelScope] = {}  # tasks waiting to retry
        self._ending: str | None = None  # why the job is over (timeout, signal): cancelling
        self._advancing = False
        self._all_done = trio.Event()
        self._nursery: trio.Nursery | None = None
        self._executor_of: dict[type, Executor] = {}
        self.trio_thread = threading.get_ident()  # made in the trio thread, by the runner
        self.token = trio.lowlevel.current_trio_token()

    # -- the job ------------------------------------------------------------------------------

    async def run(self, deadline: float = math.inf) -> JobState:
        """Walk until every node is done; the state the tasks leave the job in, or
        CANCELLED/ERROR when it was cancelled or timed out (``self._ending`` says why)."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            for executor in self.executors:
                executor.batched = self.batched
                await executor.open(nursery)
            logs = trio.CancelScope()
            nursery.start_soon(self._drain_logs, logs)
            self._walk.start(self._reach)
            self._advance()
            with trio.move_on_at(deadline):
                await self._all_done.wait()
            if not self._all_done.is_set():
                self.end(f"job timed out after {written(self.plan.timeout_s)}")
                await self._all_done.wait()
            logs.cancel()
            for executor in self.executors:
                await executor.aclose()
        if self._ending:
            return JobState.ERROR if self._ending.startswith("job timed out") else \
                JobState.CANCELLED
        return job_state(self.job.tasks.values())

    async def _drain_logs(self, scope: trio.CancelScope) -> None:
        """What running tasks print reaches the store while they run (``logs --follow``)."""
        with scope:
            while True:
                await trio.sleep(LOG_INTERVAL_S)
                for sink in list(self._running.values()):
                    sink.drain_log()

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

    @property
    def _stopping(self) -> str | None:
        return self.decide.stopping

    def _reach(self, node: str) -> None:
        """Every node before ``node`` is done: decide it now (runner/decide.py)."""
        if self._walk.is_barrier(node):
            self.decide.barrier(node)
            self._reached.append(node)
            return
        decision = self.decide.task(node, self.job.tasks[node])
        if isinstance(decision, Met):
            self.decide.met(node)
            self._reached.append(node)
        elif isinstance(decision, Skip):
            self._skip(node, decision.reason, met=decision.met)
        elif isinstance(decision, Fail):
            self._fail_before_start(node, decision.reason)
        elif isinstance(decision, Expand):
            self._expand(node, decision.specs)
        else:
            self._queued.append(node)

    def _skip(self, name: str, why: str, met: bool = False) -> None:
        result = self.job.tasks[name]
        result.state, result.reason = TaskState.SKIPPED, why
        (self.decide.met if met else self.decide.not_met)(name)
        self.observer.task_finished(self.job, result)
        self._reached.append(name)

    def _fail_before_start(self, name: str, why: str) -> None:
        """A condition or an output the task needs cannot be had: it fails without running."""
        result = self.job.tasks[name]
        result.state, result.reason = TaskState.FAILED, self.values.masker.mask(why)
        self.observer.task_finished(self.job, result)
        self._task_done(name)

    def _expand(self, name: str, specs) -> None:
        """A matrix made when its task is reached: its instances take the task's place."""
        placeholder = self.job.tasks[name]
        instances = [TaskResult(s.name, s.phase, continue_on_failure=s.continue_on_failure,
                                instance_of=name) for s in specs]
        tasks = self.job.tasks
        position = list(tasks).index(name)
        items = list(tasks.items())
        items[position:position + 1] = [(r.name, r) for r in instances]
        tasks.clear()
        tasks.update(items)
        self.observer.tasks_expanded(self.job, placeholder, instances)
        self._walk.expand(name, [s.name for s in specs])
        for spec in specs:
            self._reach(spec.name)

    @contextmanager
    def batched(self):
        """What the sinks hear inside is acted on once, when it ends: an executor that hands
        on many reports at once (executors/local.py: the lanes' events) sets it around them,
        and the walk and the starts run once for all (bench_run W3)."""
        if self._advancing:
            yield
            return
        self._advancing = True
        try:
            yield
        except BaseException:
            self._advancing = False
            raise
        self._advancing = False
        self._advance()

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
        try:
            self._start_queued()
        finally:
            if not self._ending:
                for executor in self.executors:  # once per advance, not per task (W3)
                    executor.staff(self.slots)

    def _start_queued(self) -> None:
        walk = self._walk
        while True:
            while self._reached:
                walk.done(self._reached.popleft(), self._reach)
            if self._ending:
                return
            queue = self._retries or self._queued
            if not queue:
                return
            name = queue[0]
            if self._stopping and queue is self._queued and not self.decide.exempt(name):
                queue.popleft()
                self._skip(name, f"not started: {self._stopping}")
                continue
            task = self.decide.spec(name)
            work = self._work(name, task)
            if work is None:
                queue.popleft()
                continue
            executor = self._executor(work)
            queued = executor.takes_queued(work)
            if not queued and self.slots.available < 1:
                for each in self.executors:  # lanes may take the slots a task waits for
                    each.staff(self.slots)
                if self.slots.available < 1:
                    return
            queue.popleft()
            sink = AttemptSink(self, self.job.tasks[name], work)
            self._running[name] = sink
            if not queued:
                self.slots.take(name)
                sink.begin()  # heard now: the executor may take a moment to report
            sink.handle = executor.start(work, sink)

    def _work(self, name: str, task) -> Work | None:
        """The attempt's work; None when the task fails before it starts (an output it reads
        is not set: docs/reference.md, "Outputs")."""
        result = self.job.tasks[name]
        try:
            values = self.facts.task_values(task)
        except ConditionError as exc:
            self._fail_before_start(name, str(exc))
            return None
        return self.values.work(task, job_id=self.job.job_id, values=values,
                                attempt=len(result.attempts) + 1, grace_s=self.grace_s)

    def _executor(self, work: Work) -> Executor:
        kind = type(work.what)  # the executor of a kind of work, asked once (W3)
        found = self._executor_of.get(kind)
        if found is None:
            found = self._executor_of[kind] = next(e for e in self.executors
                                                   if e.can_run(work))
        return found

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
        if not started:
            if sink.cancelled_why is not None and not self._ending:
                # Cancelled while queued (fail_fast, after a failure it had a free lane for):
                # it never ran, so it did not start, like a task waiting for a slot.
                self._skip(name, f"not started: {self._stopping or sink.cancelled_why}")
            # Else taken back before it ran: left pending, so "not reached".
            self._advance()
            return
        task = self.decide.spec(name)
        if sink.cancelled_why is not None:
            self._cancelled(result, sink.cancelled_why)
        elif outcome.succeeded:
            result.state = TaskState.SUCCEEDED
            self.facts.outputs[name] = sink.raw_outputs
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
        if self.decide.ended(self.job.tasks[name]):
            self._stop_after_failure(name)
        self._reached.append(name)
        self._advance()

    def _stop_after_failure(self, name: str) -> None:
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
