"""The scheduler: fires every loaded file's schedules on time, one job per file at a time
(LANGUAGE.md 5.7).

- **Sleeping.** One loop sleeps until the earliest due fire of the table (or until a reload
  changes the table) and fires what is due: no polling, whatever the number of schedules.
- **Overlap** is per file (an orchestration never runs twice at once): a fire that finds the
  file's job running waits for it (``overlap queue``; one fire waits at most) or is recorded
  as a skipped job (``overlap skip``, and further fires while one waits).
- **Persistence.** A fire is recorded in the store *before* its job starts; after a restart
  each schedule continues strictly after max(its last fire, now), so a fire is never run
  twice. Fires that passed while no scheduler ran are not replayed (``catchup none``) or the
  most recent one is, once (``catchup last``). A fire noticed more than ``LATE_S`` after its
  time (the machine was suspended, the clock was set) counts as missed in the same way.
- **Reload.** Files are looked at every ``watch_interval_s``; a changed file is compiled
  again: a valid version replaces the old one (kept schedules keep their next fire), an
  invalid one is reported and the old version runs on. A queued fire runs the version that is
  current when it starts.
- **Stopping.** ``stop()`` (SIGTERM, SIGINT): no more fires, a waiting fire is recorded as
  skipped, running jobs get ``grace_s`` to finish and are then cancelled (their tasks get
  SIGTERM, then SIGKILL 10 s later). A second ``stop()`` cancels them at once.
"""

from __future__ import annotations

import functools
import os
from datetime import datetime, timedelta
from typing import Callable

import trio

from orchdsl.compiler import CompileError, compile_file
from orchdsl.observer import Observer
from orchdsl.scheduling import watch
from orchdsl.scheduling.clock import Clock
from orchdsl.scheduling.events import Event, Kind
from orchdsl.scheduling.jobs import run_scheduled
from orchdsl.scheduling.schedule import Catchup, Overlap, Schedule, schedules_of
from orchdsl.scheduling.table import Entry, Table
from orchdsl.scheduling.watched import Fire, Running, Watched, nested_of, sha256_of
from orchdsl.lang.source import SourceError

LATE_S = 60.0  # a fire noticed later than this was missed, not merely late
DEFAULT_GRACE_S = 60.0
DEFAULT_WATCH_INTERVAL_S = 2.0


class Scheduler:
    def __init__(self, paths: list[str], store, *, clock: Clock, log: Callable[[Event], None],
                 grace_s: float = DEFAULT_GRACE_S,
                 watch_interval_s: float | None = DEFAULT_WATCH_INTERVAL_S,
                 run_job=run_scheduled):
        self.paths = paths
        self.store = store
        self.clock = clock
        self.log_event = log
        self.grace_s = grace_s
        self.watch_interval_s = watch_interval_s
        self.run_job = run_job
        self.table = Table()
        self.watched: dict[str, Watched] = {}
        self._wake = trio.Event()
        self._stop = trio.Event()
        self._stopping = False
        self._stop_why = ""
        self._cancelling = False
        self._drained = trio.Event()
        # Jobs whose run_job has not returned: running, or delivering their notifications
        # (a job that ended frees its file for the next fire at once; see _job_ended).
        self._busy: set[Running] = set()
        self._jobs: trio.Nursery | None = None
        from orchdsl.store.base import StoreError

        self._store_errors = (*getattr(store, "write_errors", ()), StoreError)

    # -- the service --------------------------------------------------------------------------

    async def serve(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Run until ``stop()``, then wind down the jobs (see the module's docstring)."""
        async with trio.open_nursery() as jobs:
            self._jobs = jobs
            async with trio.open_nursery() as services:
                self._scan(starting=True)
                schedules = len(self.table)
                files = len(self.watched)
                self._log(Kind.STARTED, f"{files} file{'s' * (files != 1)}, {schedules} "
                          f"schedule{'s' * (schedules != 1)}; store {self.store.path}"
                          + ("" if schedules else "; nothing to fire until a file gets a "
                             "schedule"))
                services.start_soon(self._fire_loop)
                if self.watch_interval_s:
                    services.start_soon(self._watch_loop)
                task_status.started()
                await self._stop.wait()
                services.cancel_scope.cancel()
            await self._wind_down()
        self._log(Kind.STOPPED, "all jobs ended")

    def stop(self, why: str) -> None:
        """Stop firing and let the running jobs finish within the grace period; called again,
        cancel them now."""
        if self._stopping:
            self._cancel_jobs(f"{why} again")
            return
        self._stopping = True
        self._stop_why = why
        self._stop.set()

    async def _wind_down(self) -> None:
        self._drained = trio.Event()  # set by the last job to end from now on
        for watched in self.watched.values():
            if watched.waiting is not None:
                self._skip(watched, watched.waiting, "the scheduler stopped before it started")
                watched.waiting = None
        running = [w for w in self.watched.values() if w.running]
        delivering = len(self._busy) - len(running)
        self._log(Kind.STOPPING, f"{self._stop_why}: no more fires; "
                  + (f"{len(running)} running job{'s' * (len(running) != 1)}"
                     if running else "no job is running")
                  + (f", {delivering} sending notifications" if delivering > 0 else "")
                  + (f"; {_seconds(self.grace_s)} to finish" if self._busy else ""))
        if not self._busy:
            return
        with trio.move_on_after(self.grace_s):
            await self._drained.wait()
        if self._busy:
            self._cancel_jobs(f"the grace period of {_seconds(self.grace_s)} is over")

    def _cancel_jobs(self, why: str) -> None:
        if self._cancelling:
            return
        self._cancelling = True
        running = list(self._busy)
        if running:
            self._log(Kind.CANCELLING, f"{why}: cancelling {len(running)} job"
                      f"{'s' * (len(running) != 1)}")
        for job in running:
            if job.cancel is not None:
                job.cancel.cancel("the scheduler stopping")

    # -- firing ---------------------------------------------------------------------------------

    async def _fire_loop(self) -> None:
        while True:
            now = self.clock.now()
            for entry in self.table.pop_due(now):
                self._on_due(entry, now)
            self._wake = trio.Event()
            await self.clock.sleep_until(self.table.earliest(), self._wake)

    def _on_due(self, entry: Entry, now: datetime) -> None:
        due = entry.due
        if (now - due).total_seconds() > LATE_S:
            self._resume(entry, now, late=True)
            return
        self._fire(entry, due)
        self.table.put(entry, entry.schedule.next_after(due))

    def _resume(self, entry: Entry, now: datetime, late: bool = False) -> None:
        """Take a schedule on (at start, or after a long sleep): catch up what was missed
        since its last fire, then put it in the table for its first fire after max(last
        fire, now)."""
        if entry.last is not None:
            missed = entry.schedule.latest_in(entry.last, now)
            if missed is not None:
                why = "the machine slept or the clock changed" if late else "no scheduler ran"
                if entry.schedule.catchup is Catchup.LAST:
                    self._log(Kind.CATCHUP, f"{self._shown(entry)}: running the fire of "
                              f"{_time(missed, entry.schedule)} once (catchup last; {why})",
                              file=entry.file, due=missed)
                    self._fire(entry, missed)
                else:
                    self._log(Kind.MISSED, f"{self._shown(entry)}: fires up to {_time(missed, entry.schedule)} "
                              f"passed while {why}; not replayed (catchup none)",
                              file=entry.file, due=missed)
        start = max(entry.last, now) if entry.last is not None else now
        self.table.put(entry, entry.schedule.next_after(start))

    def _fire(self, entry: Entry, due: datetime) -> None:
        watched = self.watched[entry.file]
        try:
            # Before the job starts: after a crash the fire is not run again.
            self.store.record_fire(entry.file, entry.key, due)
        except self._store_errors as exc:
            self._log(Kind.ERROR, f"{self._shown(entry)}: the job store could not record the "
                      f"fire of {_time(due, entry.schedule)} ({exc}); a restart may run it again", file=entry.file)
        entry.last = due
        fire = Fire(entry.key, entry.schedule, due)
        if watched.running is None:
            self._start(watched, fire)
        elif entry.schedule.overlap is Overlap.SKIP:
            self._skip(watched, fire, f"{self._running_job(watched)} is still running "
                       "(overlap skip)")
        elif watched.waiting is None:
            watched.waiting = fire
            self._log(Kind.QUEUED, f"{watched.shown} {fire.schedule.shown()} due {_time(due, entry.schedule)}: "
                      f"waits for {self._running_job(watched)} (overlap queue)",
                      file=watched.path, due=due)
        else:
            self._skip(watched, fire, f"{self._running_job(watched)} is still running and the "
                       f"fire of {_time(watched.waiting.due, fire.schedule)} already waits (overlap queue)")

    @staticmethod
    def _running_job(watched: Watched) -> str:
        job_id = watched.running.job_id if watched.running else None
        return f"job {job_id}" if job_id else "the previous job"

    def _skip(self, watched: Watched, fire: Fire, why: str) -> None:
        orchestration = watched.compiled.orchestration.name.value if watched.compiled else ""
        try:
            job_id = self.store.record_skipped_fire(orchestration, watched.path,
                                                    watched.text_hash, f"skipped: {why}")
        except self._store_errors as exc:
            job_id = None
            why += f" (the job store could not record it: {exc})"
        self._log(Kind.SKIPPED, f"{watched.shown} {fire.schedule.shown()} due {_time(fire.due, fire.schedule)}: "
                  f"{'job ' + str(job_id) + ' ' if job_id else ''}skipped: {why}",
                  file=watched.path, job_id=job_id, due=fire.due)

    def _start(self, watched: Watched, fire: Fire) -> None:
        from orchdsl.planning.build import build_plan

        try:
            plan = build_plan(watched.compiled)
        except Exception as exc:  # a bug: the file compiled; say it and go on with the others
            self._log(Kind.ERROR, f"{watched.shown}: cannot plan the job of {_time(fire.due, fire.schedule)}: "
                      f"{type(exc).__name__}: {exc}", file=watched.path)
            return
        watched.running = Running(fire)
        assert self._jobs is not None
        self._jobs.start_soon(self._run, watched, watched.running, plan)

    async def _run(self, watched: Watched, running: Running, plan) -> None:
        observer = _JobLog(self, watched, running)
        self._busy.add(running)
        try:
            async with trio.open_nursery() as nursery:
                running.cancel = await nursery.start(functools.partial(
                    self.run_job, plan, self.store, observer, fire=running.fire.due,
                    cron=running.fire.schedule.cron))
                if self._cancelling:
                    running.cancel.cancel("the scheduler stopping")
        except Exception as exc:  # a bug in a job must not stop every other schedule
            self._log(Kind.ERROR, f"{watched.shown}: the job of {_time(running.fire.due, running.fire.schedule)} "
                      f"failed to run: {type(exc).__name__}: {exc}", file=watched.path)
        finally:
            self._busy.discard(running)
            self._job_ended(watched, running)
        if not self._busy:
            self._drained.set()

    def _job_ended(self, watched: Watched, running: Running) -> None:
        """The job is over (its notifications may still be on their way): the file's waiting
        fire, if any, starts now. Called once the job finishes, and again when run_job
        returns (then a no-op)."""
        if watched.running is not running:
            return
        watched.running = None
        if watched.waiting is not None and not self._stopping and watched.compiled is not None:
            fire, watched.waiting = watched.waiting, None
            self._start(watched, fire)

    # -- files ----------------------------------------------------------------------------------

    async def _watch_loop(self) -> None:
        while True:
            await trio.sleep(self.watch_interval_s)
            self._scan(starting=False)

    def _scan(self, starting: bool) -> None:
        """Find the files (folders walked again), and load those that are new or changed."""
        found = watch.orch_files(self.paths)
        for shown in found:
            path = os.path.abspath(shown)
            if path not in self.watched:
                self.watched[path] = Watched(shown, path, files=(path,))
        for watched in list(self.watched.values()):
            fingerprint = watch.fingerprint(watched.files)
            if fingerprint != watched.fingerprint:
                watched.fingerprint = fingerprint
                self._load(watched, starting)
        if not starting:
            self._wake.set()

    def _load(self, watched: Watched, starting: bool) -> None:
        if not watch.exists(watched.path):
            if watched.compiled is not None or starting:
                self._unload(watched, "the file is gone" if not starting else "no such file")
            return
        try:
            compiled = compile_file(watched.shown)
        except SourceError as exc:
            self._log(Kind.UNREADABLE, f"{exc}{self._kept(watched)}", file=watched.path)
            return
        except CompileError as exc:
            self._log(Kind.INVALID, f"{watched.shown}: {len(exc.diagnostics)} error"
                      f"{'s' * (len(exc.diagnostics) != 1)}{self._kept(watched)}",
                      file=watched.path, diagnostics=tuple(exc.diagnostics), texts=exc.texts)
            return
        nested = nested_of(compiled)
        watched.files = (watched.path, *nested)
        watched.fingerprint = watch.fingerprint(watched.files)
        version = sha256_of("\0".join([compiled.document.text,
                                      *(c.document.text for c in nested.values())]))
        if version == watched.version:
            return  # touched, not changed
        reloaded = watched.compiled is not None
        watched.compiled, watched.version = compiled, version
        watched.text_hash = sha256_of(compiled.document.text)  # as the engine records it
        self._take_schedules(watched, starting, reloaded)

    @staticmethod
    def _kept(watched: Watched) -> str:
        if watched.compiled is None:
            return "; not scheduled until it is fixed"
        return "; the version loaded before runs on"

    def _unload(self, watched: Watched, why: str) -> None:
        entries = self.table.of_file(watched.path)
        for entry in entries:
            self.table.remove(entry)
        if watched.waiting is not None:
            self._skip(watched, watched.waiting, f"{why} (its schedules stopped)")
            watched.waiting = None
        watched.compiled, watched.text_hash, watched.version = None, None, None
        self._log(Kind.REMOVED, f"{watched.shown}: {why}; {len(entries)} schedule"
                  f"{'s' * (len(entries) != 1)} stopped; watching for it to come back",
                  file=watched.path)

    def _take_schedules(self, watched: Watched, starting: bool, reloaded: bool) -> None:
        now = self.clock.now()
        wanted = schedules_of(watched.compiled.orchestration)
        current = {e.key: e for e in self.table.of_file(watched.path)}
        for key in current.keys() - wanted.keys():
            self.table.remove(current[key])
        if watched.waiting is not None and watched.waiting.key not in wanted:
            # Its schedule was removed: it does not run (recorded as skipped, as a fire of a
            # file that went away is).
            self._skip(watched, watched.waiting, "its schedule was removed from the file")
            watched.waiting = None
        for key, schedule in wanted.items():
            entry = current.get(key)
            if entry is not None and entry.schedule.timezone == schedule.timezone:
                entry.schedule = schedule  # overlap or catchup may have changed
            else:
                if entry is not None:  # another zone: its next fire is another instant
                    self.table.remove(entry)
                entry = self._new_entry(watched, key, schedule, now, starting)
            self._log(Kind.LOADED, f"{watched.shown} {schedule.shown()} (overlap "
                      f"{schedule.overlap.value}, catchup {schedule.catchup.value})"
                      f"{' reloaded' if reloaded else ''}: next fire {_time(entry.due, schedule)}",
                      file=watched.path, due=entry.due)
        if not wanted:
            self._log(Kind.IGNORED, f"{watched.shown}: no schedule"
                      f"{'; its schedules stopped' if current else ''} (watched for changes)",
                      file=watched.path)

    def _new_entry(self, watched: Watched, key: str, schedule: Schedule, now: datetime,
                   starting: bool) -> Entry:
        entry = Entry(watched.path, key, schedule)
        try:
            entry.last = self.store.last_fire(watched.path, key)
            if entry.last is None:
                # Taken on now: a scheduler that stops before the first fire and starts again
                # later knows which fires it missed (catchup last); so does this one when
                # its first fire is noticed late.
                entry.last = now
                self.store.record_fire(watched.path, key, now)
        except self._store_errors as exc:
            entry.last = entry.last or now
            self._log(Kind.ERROR, f"{watched.shown} {schedule.shown()}: the job store cannot "
                      f"be read or written ({exc})", file=watched.path)
        if starting:
            self._resume(entry, now)
        else:  # a schedule added by an edit: from now on, nothing to catch up
            start = max(entry.last, now) if entry.last is not None else now
            self.table.put(entry, schedule.next_after(start))
        return entry

    # -- reporting ------------------------------------------------------------------------------

    def _shown(self, entry: Entry) -> str:
        watched = self.watched.get(entry.file)
        return f"{watched.shown if watched else entry.file} {entry.schedule.shown()}"

    def _log(self, kind: Kind, text: str, **details) -> None:
        self.log_event(Event(self.clock.now(), kind, text, **details))


class _JobLog(Observer):
    """The daemon's ear on a job: its id, its start and its end, for the log."""

    def __init__(self, scheduler: Scheduler, watched: Watched, running: Running):
        self.scheduler, self.watched, self.running = scheduler, watched, running

    def job_started(self, job):
        self._fired(job)

    def _fired(self, job):
        if self.running.job_id is not None:
            return
        self.running.job_id = job.job_id
        fire = self.running.fire
        self.scheduler._log(Kind.FIRED, f"{self.watched.shown} {fire.schedule.shown()} due "
                            f"{_time(fire.due, fire.schedule)}: job {job.job_id} started",
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
        took = f" in {_seconds(job.duration_s)}" if job.duration_s is not None else ""
        reason = f" ({job.reason})" if job.reason else ""
        self.scheduler._log(Kind.FINISHED, f"{self.watched.shown} job {job.job_id}: "
                            f"{job.state.value}{took}{reason}", file=self.watched.path,
                            job_id=job.job_id, state=job.state.value)
        self.scheduler._job_ended(self.watched, self.running)


def _time(moment: datetime | None, schedule: Schedule | None = None) -> str:
    """A fire's time as the schedule's zone reads it, with the offset."""
    if moment is None:
        return "never"
    return (moment.astimezone(schedule.zone) if schedule else moment).isoformat()


def _seconds(value: float) -> str:
    if value < 60:
        return f"{value:.1f} s".replace(".0 s", " s")
    return str(timedelta(seconds=round(value)))
