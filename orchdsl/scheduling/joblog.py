"""How the scheduler reports a job it started (its id, its end) and the times it shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from orchdsl.observer import Observer
from orchdsl.scheduling.events import Kind
from orchdsl.scheduling.schedule import Schedule
from orchdsl.scheduling.watched import Running, Watched

if TYPE_CHECKING:
    from orchdsl.scheduling.daemon import Scheduler


class JobLog(Observer):
    """The daemon's ear on a job: its id, its start and its end, for the log."""

    def __init__(self, scheduler: "Scheduler", watched: Watched, running: Running):
        self.scheduler, self.watched, self.running = scheduler, watched, running

    def job_started(self, job):
        self._fired(job)

    def _fired(self, job):
        if self.running.job_id is not None:
            return
        self.running.job_id = job.job_id
        fire = self.running.fire
        self.scheduler._claim_started(fire, job.job_id)
        self.scheduler._log(Kind.FIRED, f"{self.watched.shown} {fire.schedule.shown()} due "
                            f"{time_of(fire.due, fire.schedule)}: job {job.job_id} started",
                            file=self.watched.path, job_id=job.job_id, due=fire.due)

    def store_failed(self, job, text):
        self.scheduler._log(Kind.ERROR, f"{self.watched.shown} job {job.job_id}: the job store "
                            f"could not record all of it: {text}", file=self.watched.path,
                            job_id=job.job_id)

    def delivery_failed(self, job, text):
        self.scheduler._log(Kind.UNDELIVERED, f"{self.watched.shown} job {job.job_id}: {text}",
                            file=self.watched.path, job_id=job.job_id)

    def job_finished(self, job):
        self._fired(job)  # a job that failed before it started (a missing secret)
        if job.job_id != self.running.job_id:
            return  # a nested orchestration's job: its parent goes on
        took = f" in {seconds(job.duration_s)}" if job.duration_s is not None else ""
        reason = f" ({job.reason})" if job.reason else ""
        self.scheduler._log(Kind.FINISHED, f"{self.watched.shown} job {job.job_id}: "
                            f"{job.state.value}{took}{reason}", file=self.watched.path,
                            job_id=job.job_id, state=job.state.value)
        self.scheduler._job_ended(self.watched, self.running)


def time_of(moment: datetime | None, schedule: Schedule | None = None) -> str:
    """A fire's time as the schedule's zone reads it, with the offset."""
    if moment is None:
        return "never"
    return (moment.astimezone(schedule.zone) if schedule else moment).isoformat()


def seconds(value: float) -> str:
    if value < 60:
        return f"{value:.1f} s".replace(".0 s", " s")
    return str(timedelta(seconds=round(value)))
