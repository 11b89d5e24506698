"""How one scheduled job runs: through the one job runner (orchdsl.runner.job), recorded with
trigger ``schedule`` and its fire time, telling the file's targets (docs/language.md,
"Notifications")."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Mapping

import trio

from orchdsl.model import JobResult, Trigger
from orchdsl.observer import Observer
from orchdsl.planning.spec import Plan
from orchdsl.runner.job import Cancel, RunOptions, run_job

# The environment of a scheduled job's tasks also says which fire it serves (a catch-up
# fire runs later than its time): like Airflow's logical date.
FIRE_TIME_VARIABLE = "ORCHDSL_FIRE_TIME"
SCHEDULE_VARIABLE = "ORCHDSL_SCHEDULE"


async def run_scheduled(plan: Plan, store, observer: Observer, *, fire: datetime,
                        cron: str, environ: Mapping[str, str] | None = None,
                        executor: str | None = None,
                        task_status=trio.TASK_STATUS_IGNORED) -> JobResult:
    """Run ``plan`` as the job of a schedule's fire. ``observer`` is the daemon's (its log
    and bookkeeping; it also hears of notifications that could not be delivered). Reports a
    ``Cancel`` through ``task_status`` (the daemon cancels it on shutdown), then returns the
    finished job. ``executor``: where its tasks run (``--executor``; runner.job.RunOptions)."""
    environment = dict(os.environ if environ is None else environ)
    environment[FIRE_TIME_VARIABLE] = fire.astimezone(timezone.utc).isoformat().replace(
        "+00:00", "Z")
    environment[SCHEDULE_VARIABLE] = cron
    cancel = Cancel()
    options = RunOptions(trigger=Trigger.SCHEDULE, environ=environment, fire_time=fire,
                         executor=executor)
    task_status.started(cancel)
    return await run_job(plan, store=store, observers=(observer,), cancel=cancel,
                         options=options)
