"""The one job runner: ``run_job(plan, ...)`` runs a plan as a job, for ``orchdsl run``, the
scheduler, ``orchdsl.run()`` and the tests alike.

It binds the job's values (runner.values), records the job (a store's recorder, else in
memory), tells the notifier, opens the executors and lets the coordinator walk the plan; a
nested orchestration's job runs through the same code with its parent's observers.
"""

from __future__ import annotations

import math
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Mapping, Sequence

import trio

from orchdsl.model import JobResult, JobState, TaskResult, TaskState, Trigger
from orchdsl.observer import MemoryRecorder, Observer
from orchdsl.planning.spec import Plan, Selected
from orchdsl.runner.capture import LOG_LIMIT
from orchdsl.runner.coordinator import Coordinator
from orchdsl.runner.executors.base import ExecutorError, Work
from orchdsl.runner.fanout import Fanout
from orchdsl.runner.executors.dask_address import EXECUTOR_VARIABLE, parse_executor
from orchdsl.runner.executors.local import LocalExecutor
from orchdsl.runner.executors.nested import CANCELLED_BY_PARENT, NestedExecutor
from orchdsl.runner.guard import job_token
from orchdsl.runner.values import JobValues

GRACE_S = 10.0  # SIGTERM, then SIGKILL this long after (docs/language.md, "Timeouts")


@dataclass
class RunOptions:
    concurrency: int | None = None  # overrides the file's
    fail_fast: bool = False  # or the file's fail_fast
    grace_s: float = GRACE_S
    stream: bool = False  # pass task output on line by line (observer.task_output)
    trigger: Trigger = Trigger.MANUAL
    environ: Mapping[str, str] | None = None  # the runner's environment; os.environ if None
    rerun_of: int | None = None  # the job this run runs again (recorded)
    fire_time: datetime | None = None  # the fire a scheduled or backfilled job serves
    log_limit: int = LOG_LIMIT  # characters of each task's log kept (docs/language.md)
    # Where attempts run: "local", "dask://HOST:PORT", "tls://HOST:PORT" (docs/cluster.md);
    # None: $ORCHDSL_EXECUTOR of the runner's environment, else local.
    executor: str | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))


class Cancel:
    """Stops a job from outside (SIGINT, SIGTERM, the scheduler shutting down): running tasks
    are cancelled, nothing new starts, and the job ends ``cancelled``."""

    def __init__(self):
        self._coordinator: Coordinator | None = None
        self._why: str | None = None
        self._also: list[Callable[[], None]] = []

    def cancel(self, why: str) -> None:
        """``why``: who asks, as the job's reason will say it (``cancelled by <why>``).
        Deliveries still under way are not waited for: stopping means now."""
        self._why = self._why or why
        if self._coordinator is not None:
            self._coordinator.end(f"cancelled by {why}")
        for stop in self._also:
            stop()

    def _bind(self, coordinator: Coordinator) -> None:
        self._coordinator = coordinator
        if self._why is not None:
            coordinator.end(f"cancelled by {self._why}")


async def run_job(plan: Plan, *, store=None, observers: Sequence[Observer] = (),
                  notify_me: Sequence[str] = (), notifier=None, cancel: Cancel | None = None,
                  options: RunOptions | None = None,
                  task_status=trio.TASK_STATUS_IGNORED) -> JobResult:
    """Run ``plan`` to its end and return the job.

    ``store``: where the job is recorded (orchdsl.store), None to keep it in memory only.
    ``observers`` hear every event (printers, the scheduler's log). ``notify_me``: targets a
    manual run tells; a scheduled run (``options.trigger``) tells the file's own targets too.
    ``notifier``: one built already (orchdsl.notify.notifier_for, with its own transports or
    retry policy), used instead.
    ``task_status.started()`` is called once the job exists (the scheduler waits for it)."""
    options = options or RunOptions()
    cancel = cancel or Cancel()
    environ = _without_store_password(os.environ if options.environ is None else options.environ)
    recorder = _recorder(store)
    if notifier is None:
        notifier = _notifier(plan, options.trigger, notify_me, store, environ)
    # The recorder gives the job its id; without a store, an observer may (else the memory
    # recorder, last, numbers jobs from 1).
    ears = ([recorder, *observers] if store is not None else [*observers, recorder]) + (
        [notifier] if notifier is not None else [])
    runner = _Runner(Fanout(*ears), options, environ)
    if cancel is not None and notifier is not None:
        cancel._also.append(notifier.stop_waiting)
    async with trio.open_nursery() as services:
        if store is not None:
            services.start_soon(recorder.flush_while_running, cancel.cancel)
        task_status.started()
        if notifier is None:
            result = await runner.run(plan, cancel)
        else:
            async with notifier.running():  # leaving it waits for the deliveries (bounded)
                result = await runner.run(plan, cancel)
        services.cancel_scope.cancel()
    if notifier is not None:
        for failure in notifier.failures:
            runner.observer.delivery_failed(result, failure.describe())
    if store is not None and recorder.error:
        runner.observer.store_failed(result, recorder.error)
    return result


def _recorder(store):
    if store is None:
        return MemoryRecorder()
    from orchdsl.store.recorder import StoreRecorder

    return StoreRecorder(store)


def _without_store_password(environ: Mapping[str, str]) -> dict[str, str]:
    """Tasks inherit the runner's environment, but not the job store's password
    (docs/high-availability.md): ORCHDSL_STORE reaches them without it, whoever runs the job."""
    from orchdsl.store import STORE_VARIABLE

    environ = dict(environ)
    if environ.get(STORE_VARIABLE):
        from orchdsl.store.locations import without_password

        environ[STORE_VARIABLE] = without_password(environ[STORE_VARIABLE])
    return environ


def _notifier(plan: Plan, trigger: Trigger, notify_me: Sequence[str], store, environ):
    """A manual run tells only ``notify_me``; a scheduled one the file's targets as well
    (docs/language.md, "Notifications"). None when nobody is to be told."""
    if not notify_me and not (trigger is Trigger.SCHEDULE and plan.notifications):
        return None
    from orchdsl.notify import notifier_for

    return notifier_for(plan, trigger, notify_me=notify_me, store=store, environ=environ)


class _Runner:
    """Runs a job and the jobs of its nested tasks, with one set of observers."""

    def __init__(self, observer: Observer, options: RunOptions, environ: dict[str, str]):
        self.observer, self.options, self.environ = observer, options, environ
        # Raises ValueError for a URL no executor takes (the commands check it first).
        self.cluster = parse_executor(options.executor or environ.get(EXECUTOR_VARIABLE)
                                      or "local")

    async def run(self, plan: Plan, cancel: Cancel | None = None, *, parent: JobResult | None
                  = None, mask_also: Sequence[str] = (), params: Mapping[str, str] | None = None,
                  bind=None) -> JobResult:
        options = self.options
        if params:
            from orchdsl.planning.build import with_params

            plan = with_params(plan, params)
        job = _new_job(plan, options, parent)
        job.job_id = self.observer.job_created(job)
        values = JobValues(plan, self.environ, mask_also=mask_also, token=job.token)
        job.started_at = options.now()
        problem = values.missing()
        if problem:
            return self._finish(job, JobState.ERROR, problem)
        values.bind_job(job.job_id, job.started_at, options.fire_time)
        job.state = JobState.PROCESSING
        self.observer.job_started(job)
        coordinator = Coordinator(
            plan, job, self.observer, values, self._executors(values, job),
            fail_fast=options.fail_fast and parent is None, stream=options.stream,
            concurrency=options.concurrency if parent is None else None,
            grace_s=options.grace_s, now=options.now, nested=parent is not None,
            log_limit=options.log_limit)
        if cancel is not None:
            cancel._bind(coordinator)
        if bind is not None:
            bind(lambda why: coordinator.end(why))
        deadline = trio.current_time() + plan.timeout_s if plan.timeout_s else math.inf
        try:
            state = await coordinator.run(deadline)
        except BaseException as exc:
            bug = _first_leaf(exc)
            if isinstance(bug, ExecutorError) and _only(exc, ExecutorError):
                # An unreachable cluster: the job fails before any task, like a missing
                # secret (docs/cluster.md).
                return self._finish(job, JobState.ERROR, str(bug))
            # A bug (an observer raising): the job ends in error, saying so.
            self._finish(job, JobState.ERROR, f"internal error: {type(bug).__name__}: {bug}")
            raise
        return self._finish(job, state, coordinator.ending)

    def _executors(self, values: JobValues, job: JobResult) -> list:
        async def run_child(work: Work, bind) -> JobResult:
            what = work.what
            return await self.run(what.plan, parent=job,
                                  mask_also=(*values.secrets.values(), *values.mask_also),
                                  params=what.params, bind=bind)

        if self.cluster is not None:  # nested jobs are coordinated here, their tasks go there
            from orchdsl.runner.executors.dask import DaskExecutor

            return [DaskExecutor(self.cluster, self.environ), NestedExecutor(run_child)]
        return [LocalExecutor(self.environ, self.options.now), NestedExecutor(run_child)]

    def _finish(self, job: JobResult, state: JobState, reason: str | None) -> JobResult:
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


def _new_job(plan: Plan, options: RunOptions, parent: JobResult | None) -> JobResult:
    job = JobResult(0, plan.name, plan.path,
                    Trigger.NESTED if parent is not None else options.trigger,
                    file_hash=plan.file_hash,
                    rerun_of=options.rerun_of if parent is None else None,
                    parent_job=parent.job_id if parent is not None else None,
                    params=plan.params, selection=plan.selection if parent is None else (),
                    fire_time=options.fire_time if parent is None else None,
                    token=job_token(uuid.uuid4().hex))
    for task in plan.tasks:
        job.tasks[task.name] = _initial_result(task)
    return job


def _initial_result(task) -> TaskResult:
    result = TaskResult(task.name, task.phase, continue_on_failure=task.continue_on_failure,
                        instance_of=task.instance_of)
    if task.state is Selected.DISABLED:
        result.state, result.reason = TaskState.DISABLED, "disabled in the file"
    elif not task.runs:
        result.state, result.reason = TaskState.SKIPPED, task.reason
    return result


def _only(exc: BaseException, kind: type) -> bool:
    """Whether ``exc`` is ``kind``, or a group of nothing else."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_only(e, kind) for e in exc.exceptions)
    return isinstance(exc, kind)


def _first_leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


__all__ = ["run_job", "RunOptions", "Cancel", "CANCELLED_BY_PARENT"]
