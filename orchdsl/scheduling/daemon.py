"""The scheduler: fires every loaded file's schedules on time, one job per file at a time
(docs/language.md, "Schedules"), alone or beside other schedulers that share its store
(docs/high-availability.md).

- **Sleeping.** One loop sleeps until the earliest due fire of the table (or until a reload
  changes the table) and fires what is due: no polling, whatever the number of schedules.
- **Claims.** Each fire is claimed in the store before its job starts (store.claims): of
  several schedulers that share the store, the one that claims it runs it, the others leave
  it; a restarted scheduler never runs a fire twice either.
- **Overlap** is per file (an orchestration never runs twice at once, whichever scheduler
  runs it): the claim says whether the file's job runs; a fire that finds it running waits
  for it (``overlap queue``; one fire waits at most) or is recorded as a skipped job
  (``overlap skip``, and further fires while one waits).
- **Persistence.** The claim keeps the fire as the schedule's last; after a restart each
  schedule continues strictly after max(its last fire, now). Fires that passed while no
  scheduler ran are not replayed (``catchup none``) or the most recent one is, once
  (``catchup last``). A fire noticed more than ``LATE_S`` after its time (the machine was
  suspended, the clock was set) counts as missed in the same way.
- **Sharing** (scheduling.sharing): leases renewed, the waiting fires of dead schedulers
  taken over, dead runners' jobs marked terminated.
- **Reload** (scheduling.loading): files are looked at every ``watch_interval_s``.
- **Stopping.** ``stop()`` (SIGTERM, SIGINT): no more fires, a waiting fire is recorded as
  skipped, running jobs get ``grace_s`` to finish and are then cancelled (their tasks get
  SIGTERM, then SIGKILL 10 s later). A second ``stop()`` cancels them at once.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Callable

import trio

from orchdsl.scheduling.clock import Clock
from orchdsl.scheduling.events import Event, Kind
from orchdsl.scheduling.joblog import JobLog, seconds, time_of
from orchdsl.scheduling.jobs import run_scheduled
from orchdsl.scheduling.loading import Loading
from orchdsl.scheduling.schedule import Catchup, Overlap
from orchdsl.scheduling.sharing import Sharing
from orchdsl.scheduling.table import Entry, Table
from orchdsl.scheduling.watched import Fire, Running, Watched
from orchdsl.store.claims import LEASE_S, Owner, Verdict

LATE_S = 60.0  # a fire noticed later than this was missed, not merely late
DEFAULT_GRACE_S = 60.0
DEFAULT_WATCH_INTERVAL_S = 2.0


class Scheduler(Loading):
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
        self.owner = Owner.here()  # what its claims in the store are held by
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
        self._sharing: Sharing | None = None
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
                          f"schedule{'s' * (schedules != 1)}; store {self.store.path} (fires "
                          f"claimed there, {seconds(LEASE_S)} lease)"
                          + ("" if schedules else "; nothing to fire until a file gets a "
                             "schedule"))
                services.start_soon(self._fire_loop)
                self._sharing = Sharing(self)
                services.start_soon(self._sharing.serve)
                if self.watch_interval_s:
                    services.start_soon(self._watch_loop)
                task_status.started()
                await self._stop.wait()
                services.cancel_scope.cancel()
            await self._wind_down()
        self._call_store(self.store.release_claims, self.owner)
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
                  + (f"; {seconds(self.grace_s)} to finish" if self._busy else ""))
        if not self._busy:
            return
        with trio.move_on_after(self.grace_s):
            await self._drained.wait()
        if self._busy:
            self._cancel_jobs(f"the grace period of {seconds(self.grace_s)} is over")

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
                              f"{time_of(missed, entry.schedule)} once (catchup last; {why})",
                              file=entry.file, due=missed)
                    self._fire(entry, missed)
                else:
                    self._log(Kind.MISSED, f"{self._shown(entry)}: fires up to "
                              f"{time_of(missed, entry.schedule)} passed while {why}; not "
                              "replayed (catchup none)", file=entry.file, due=missed)
        start = max(entry.last, now) if entry.last is not None else now
        self.table.put(entry, entry.schedule.next_after(start))

    def _fire(self, entry: Entry, due: datetime) -> None:
        watched = self.watched[entry.file]
        entry.last = due
        try:
            # Before the job starts: after a crash the fire is not run again, and no other
            # scheduler runs it.
            claimed = self.store.claim_fire(self.owner, entry.file, entry.key, due,
                                            skip=entry.schedule.overlap is Overlap.SKIP)
        except self._store_errors as exc:
            self._log(Kind.ERROR, f"{self._shown(entry)}: the job store could not claim the "
                      f"fire of {time_of(due, entry.schedule)} ({exc}); it is handled here "
                      "unclaimed: a restart, or another scheduler of the store, may run it too",
                      file=entry.file)
            self._decide_here(watched, Fire(entry.key, entry.schedule, due))
            return
        fire = Fire(entry.key, entry.schedule, due, claimed.claim_id)
        if claimed.verdict is Verdict.TAKEN:
            return  # another scheduler has it
        if claimed.verdict is Verdict.START and watched.running is None:
            self._start(watched, fire)
        elif claimed.verdict is Verdict.QUEUE or (claimed.verdict is Verdict.START
                                                  and watched.waiting is None):
            self._queue(watched, fire, claimed.running_job)
        else:
            waits = claimed.waiting_fire or (watched.waiting.due if watched.waiting else None)
            running = self._running_job(watched, claimed.running_job)
            self._skip(watched, fire, f"{running} is still running (overlap skip)"
                       if entry.schedule.overlap is Overlap.SKIP else
                       f"{running} is still running and the fire of "
                       f"{time_of(waits, fire.schedule)} already waits (overlap queue)"
                       if waits else "the fire before it waits to start (overlap queue)")

    def _decide_here(self, watched: Watched, fire: Fire) -> None:
        """Overlap as this scheduler alone sees it (the store could not be asked)."""
        if watched.running is None:
            self._start(watched, fire)
        elif fire.schedule.overlap is Overlap.SKIP:
            self._skip(watched, fire, f"{self._running_job(watched)} is still running "
                       "(overlap skip)")
        elif watched.waiting is None:
            self._queue(watched, fire, None)
        else:
            self._skip(watched, fire, f"{self._running_job(watched)} is still running and the "
                       f"fire of {time_of(watched.waiting.due, fire.schedule)} already waits "
                       "(overlap queue)")

    def _queue(self, watched: Watched, fire: Fire, running_job: int | None) -> None:
        watched.waiting = fire
        if self._sharing is not None:
            self._sharing.waiting.set()
        self._log(Kind.QUEUED, f"{watched.shown} {fire.schedule.shown()} due "
                  f"{time_of(fire.due, fire.schedule)}: waits for "
                  f"{self._running_job(watched, running_job)} (overlap queue)",
                  file=watched.path, due=fire.due)

    @staticmethod
    def _running_job(watched: Watched, job_id: int | None = None) -> str:
        job_id = job_id or (watched.running.job_id if watched.running else None)
        return f"job {job_id}" if job_id else "the previous job"

    def _skip(self, watched: Watched, fire: Fire, why: str) -> None:
        orchestration = watched.compiled.orchestration.name.value if watched.compiled else ""
        try:
            job_id = self.store.record_skipped_fire(orchestration, watched.path,
                                                    watched.text_hash, f"skipped: {why}",
                                                    fire_time=fire.due)
        except self._store_errors as exc:
            job_id = None
            why += f" (the job store could not record it: {exc})"
        if fire.claim_id is not None:
            self._call_store(self.store.end_claim, self.owner, fire.claim_id, "skipped", job_id)
        self._log(Kind.SKIPPED, f"{watched.shown} {fire.schedule.shown()} due "
                  f"{time_of(fire.due, fire.schedule)}: "
                  f"{'job ' + str(job_id) + ' ' if job_id else ''}skipped: {why}",
                  file=watched.path, job_id=job_id, due=fire.due)

    def _start(self, watched: Watched, fire: Fire) -> None:
        from orchdsl.planning.build import build_plan

        try:
            plan = build_plan(watched.compiled)
        except Exception as exc:  # a bug: the file compiled; say it and go on with the others
            self._log(Kind.ERROR, f"{watched.shown}: cannot plan the job of "
                      f"{time_of(fire.due, fire.schedule)}: {type(exc).__name__}: {exc}",
                      file=watched.path)
            if fire.claim_id is not None:
                self._call_store(self.store.end_claim, self.owner, fire.claim_id, "done")
            return
        watched.running = Running(fire)
        assert self._jobs is not None
        self._jobs.start_soon(self._run, watched, watched.running, plan)

    def _start_waiting(self, watched: Watched) -> None:
        """Start the file's waiting fire if the store says the file is free (its job may have
        run in another scheduler); forget it if it is no longer this scheduler's."""
        fire = watched.waiting
        if fire.claim_id is None:
            watched.waiting = None
            self._start(watched, fire)
            return
        try:
            free = self.store.promote_claim(self.owner, fire.claim_id, watched.path)
        except self._store_errors:
            return  # asked again at the next poll
        if free is None:
            watched.waiting = None
            self._log(Kind.ERROR, f"{watched.shown} {fire.schedule.shown()} due "
                      f"{time_of(fire.due, fire.schedule)}: its claim was lost (its lease ran "
                      "out: the store could not be reached in time); another scheduler runs it",
                      file=watched.path, due=fire.due)
        elif free:
            watched.waiting = None
            self._start(watched, fire)

    async def _run(self, watched: Watched, running: Running, plan) -> None:
        observer = JobLog(self, watched, running)
        self._busy.add(running)
        try:
            async with trio.open_nursery() as nursery:
                running.cancel = await nursery.start(functools.partial(
                    self.run_job, plan, self.store, observer, fire=running.fire.due,
                    cron=running.fire.schedule.cron))
                if self._cancelling:
                    running.cancel.cancel("the scheduler stopping")
        except Exception as exc:  # a bug in a job must not stop every other schedule
            self._log(Kind.ERROR, f"{watched.shown}: the job of "
                      f"{time_of(running.fire.due, running.fire.schedule)} failed to run: "
                      f"{type(exc).__name__}: {exc}", file=watched.path)
        finally:
            self._busy.discard(running)
            self._job_ended(watched, running)
        if not self._busy:
            self._drained.set()

    def _job_ended(self, watched: Watched, running: Running) -> None:
        """The job is over (its notifications may still be on their way): its claim ends, and
        the file's waiting fire, if any, starts now. Called once the job finishes, and again
        when run_job returns (then a no-op)."""
        if watched.running is not running:
            return
        watched.running = None
        if running.fire.claim_id is not None:
            self._call_store(self.store.end_claim, self.owner, running.fire.claim_id, "done",
                             running.job_id)
        if watched.waiting is not None and not self._stopping and watched.compiled is not None:
            self._start_waiting(watched)

    # -- claims ---------------------------------------------------------------------------------

    def _claim_started(self, fire: Fire, job_id: int) -> None:
        if fire.claim_id is not None:
            self._call_store(self.store.claim_started, self.owner, fire.claim_id, job_id)

    def _held_claims(self) -> dict[int, tuple[Watched, Fire]]:
        held = {}
        for watched in self.watched.values():
            for fire in (watched.waiting, watched.running and watched.running.fire):
                if fire is not None and fire.claim_id is not None:
                    held[fire.claim_id] = (watched, fire)
        return held

    def _claim_lost(self, held: tuple[Watched, Fire]) -> None:
        watched, fire = held
        if watched.waiting is fire:
            watched.waiting = None
            what = "another scheduler runs it"
        else:
            what = "its job runs on here, and another scheduler may start the file's next fire"
        self._log(Kind.ERROR, f"{watched.shown} {fire.schedule.shown()} due "
                  f"{time_of(fire.due, fire.schedule)}: its claim was lost (its lease ran out: "
                  f"the store could not be reached in time); {what}", file=watched.path,
                  due=fire.due)

    def _call_store(self, method, *args) -> None:
        try:
            method(*args)
        except self._store_errors as exc:
            self._log(Kind.ERROR, f"the job store cannot be written ({exc})")

    # -- reporting ------------------------------------------------------------------------------

    def _shown(self, entry: Entry) -> str:
        watched = self.watched.get(entry.file)
        return f"{watched.shown if watched else entry.file} {entry.schedule.shown()}"

    def _log(self, kind: Kind, text: str, **details) -> None:
        self.log_event(Event(self.clock.now(), kind, text, **details))
