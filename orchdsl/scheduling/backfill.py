"""Backfills: the fires a file's schedules had in a range of time, run as jobs of their own
(docs/reference.md, "Backfills"; docs/language.md, "Schedules").

Fires come from the same ``next_fires`` as the scheduler's (each schedule in its zone, DST
rules included), merged, one job per instant, oldest first. A fire already run successfully
(by the scheduler or an earlier backfill: the store records each job's fire time) is left
out unless asked. ``run_fires`` runs them ``parallel`` at a time through the one job runner,
trigger ``backfill``; ``stop()`` starts no more and cancels the ones running.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping, Sequence

import trio

from orchdsl.model import JobResult, Trigger
from orchdsl.scheduling.cron import next_fires, zone

BATCH = 256  # fires asked of croniter at a time


@dataclass(frozen=True)
class Fire:
    at: datetime  # in its schedule's zone
    cron: str
    done_by: int | None = None  # the job that already ran it successfully


def fires_between(schedules, start: datetime, end: datetime) -> list[Fire]:
    """Every fire of ``schedules`` (planning.spec.ScheduleSpec) in ``[start, end)``, oldest
    first, one per instant (two schedules firing at once make one job)."""
    found: dict[datetime, Fire] = {}
    for schedule in schedules:
        tz = zone(schedule.timezone)
        after = start - timedelta(microseconds=1)
        while True:
            batch = next_fires(schedule.cron, tz, after, BATCH)
            for moment in batch:
                if moment >= end:
                    break
                found.setdefault(moment.astimezone(timezone.utc),
                                 Fire(moment, schedule.cron))
            if not batch or batch[-1] >= end or len(batch) < BATCH:
                break
            after = batch[-1]
    return [found[k] for k in sorted(found)]


def mark_done(fires: list[Fire], done: Mapping[datetime, int]) -> list[Fire]:
    """The fires with the job that already ran each successfully, if any (``done``: the
    store's successful jobs of the file by their fire time, in UTC)."""
    return [Fire(f.at, f.cron, done.get(f.at.astimezone(timezone.utc))) for f in fires]


class Backfill:
    """Runs fires as jobs, ``parallel`` at a time. ``on_end(fire, job)`` hears each job end."""

    def __init__(self, plan, store, *, parallel: int, notify_me: Sequence[str] = (),
                 environ: Mapping[str, str] | None = None,
                 on_end: Callable[[Fire, JobResult], None] = lambda fire, job: None):
        self.plan, self.store, self.parallel = plan, store, parallel
        self.notify_me, self.on_end = notify_me, on_end
        self.environ = dict(os.environ if environ is None else environ)
        self.results: list[tuple[Fire, JobResult]] = []
        self._stopping: str | None = None
        self._running: dict[Fire, object] = {}

    def stop(self, why: str) -> None:
        """No more fires start; the jobs running are cancelled (``cancelled by <why>``)."""
        self._stopping = why
        for cancel in list(self._running.values()):
            cancel.cancel(why)

    @property
    def stopped(self) -> str | None:
        return self._stopping

    async def run(self, fires: list[Fire]) -> None:
        limit = trio.Semaphore(self.parallel)
        async with trio.open_nursery() as nursery:
            for fire in fires:
                await limit.acquire()
                if self._stopping:
                    limit.release()
                    break
                nursery.start_soon(self._one, fire, limit)

    async def _one(self, fire: Fire, limit: trio.Semaphore) -> None:
        from orchdsl.runner.job import Cancel, RunOptions, run_job
        from orchdsl.scheduling.jobs import FIRE_TIME_VARIABLE, SCHEDULE_VARIABLE

        cancel = Cancel()
        self._running[fire] = cancel
        environ = {**self.environ, SCHEDULE_VARIABLE: fire.cron,
                   FIRE_TIME_VARIABLE: fire.at.astimezone(timezone.utc).isoformat().replace(
                       "+00:00", "Z")}
        try:
            job = await run_job(self.plan, store=self.store, notify_me=self.notify_me,
                                cancel=cancel, options=RunOptions(
                                    trigger=Trigger.BACKFILL, fire_time=fire.at,
                                    environ=environ))
        finally:
            del self._running[fire]
            limit.release()
        self.results.append((fire, job))
        self.on_end(fire, job)
