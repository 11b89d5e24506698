"""How one scheduled job runs: the one place where a scheduled job's observers are built,
its notifications included (a scheduled run notifies the file's targets, LANGUAGE.md 5.5)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Mapping

import trio

from orchdsl.notify import Notifier, notifier_for
from orchdsl.planning.build import Plan
from orchdsl.runner.engine import Engine, RunOptions
from orchdsl.runner.events import Observer, Observers
from orchdsl.model import JobResult, Trigger
from orchdsl.store import Store
from orchdsl.store_recorder import StoreRecorder

# The environment of a scheduled job's tasks also says which fire it serves (a catch-up
# fire runs later than its time): like Airflow's logical date.
FIRE_TIME_VARIABLE = "ORCHDSL_FIRE_TIME"
SCHEDULE_VARIABLE = "ORCHDSL_SCHEDULE"


async def run_scheduled(plan: Plan, store: Store, observer: Observer, *, fire: datetime,
                        cron: str, environ: Mapping[str, str] | None = None,
                        task_status=trio.TASK_STATUS_IGNORED) -> JobResult:
    """Run ``plan`` as the job of a schedule's fire, recorded in ``store`` with trigger
    ``schedule``. ``observer`` is the daemon's (its log and bookkeeping; it also hears of
    notifications that could not be delivered). Reports a ``ScheduledJob`` through
    ``task_status`` (the daemon cancels it on shutdown), then returns the finished job."""
    recorder = StoreRecorder(store)
    environment = dict(os.environ if environ is None else environ)
    environment[FIRE_TIME_VARIABLE] = fire.astimezone(timezone.utc).isoformat().replace(
        "+00:00", "Z")
    environment[SCHEDULE_VARIABLE] = cron
    # Built from the job's environment: its secrets are masked, its SMTP settings used.
    notifier = notifier_for(plan, Trigger.SCHEDULE, store=store, environ=environment)
    # The recorder first: it gives the job id.
    observers = Observers(recorder, observer, notifier)
    engine = Engine(plan, observers, RunOptions(trigger=Trigger.SCHEDULE, environ=environment))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(recorder.flush_while_running)
        task_status.started(ScheduledJob(engine, notifier))
        async with notifier.running():  # leaving it waits for the deliveries (bounded)
            result = await engine.run()
        nursery.cancel_scope.cancel()
    for failure in notifier.failures:
        observers.delivery_failed(result, failure.describe())
    if recorder.error:
        observers.store_failed(result, recorder.error)
    return result


class ScheduledJob:
    """What the daemon holds of a running job: ``cancel(why)`` stops the job and, on
    shutdown, stops waiting for its notifications (those under way are recorded as
    abandoned) so the scheduler exits within its grace period."""

    def __init__(self, engine: Engine, notifier: Notifier):
        self.engine, self.notifier = engine, notifier

    def cancel(self, why: str) -> None:
        self.engine.cancel(why)
        self.notifier.stop_waiting()
