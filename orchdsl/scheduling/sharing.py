"""What a scheduler does for the others that share its store (docs/high-availability.md):
every ``claims.RENEW_S`` it renews the leases of its claims (and learns of any it lost),
takes over the waiting fires of dead schedulers, and marks terminated the jobs of dead
runners (store.recovery: by pid on this host, by heartbeat elsewhere); every ``POLL_S`` it
looks whether a file its waiting fire waits for is free (its job ran in another scheduler).
Ended claims older than a day are deleted every hour.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import trio

from orchdsl.scheduling.events import Kind
from orchdsl.scheduling.joblog import time_of
from orchdsl.scheduling.watched import Fire
from orchdsl.store.claims import RENEW_S

if TYPE_CHECKING:
    from orchdsl.scheduling.daemon import Scheduler

POLL_S = 1.0
FORGET_EVERY_S = 3600.0


class Sharing:
    def __init__(self, scheduler: Scheduler):
        self.scheduler = scheduler
        self.waiting = trio.Event()  # set when a fire starts waiting: it is looked after

    async def serve(self) -> None:
        self._forget()
        kept = forgot = time.monotonic()
        self._origin = (kept, trio.current_time())
        while True:
            # Every second while a fire waits (its file's job may run elsewhere), else every
            # RENEW_S; a fire that starts waiting wakes it.
            with trio.move_on_after(POLL_S if self._any_waiting() else self._idle_s()):
                await self.waiting.wait()
            self.waiting = trio.Event()
            self._promote_waiting()
            # Leases and heartbeats are judged on the store's clock, the real one: what is
            # due is measured on it too (under a test's fake clock, trio's time flies).
            now = time.monotonic()
            if now - kept >= RENEW_S:
                kept = now
                self._keep()
                self._promote_waiting()  # a fire taken over may start at once
            if now - forgot >= FORGET_EVERY_S:
                forgot = now
                self._forget()

    def _idle_s(self) -> float:
        """RENEW_S of real time, on trio's clock: the same but under a test's fake clock,
        which runs days in a second (a loop every 4 s of it would cost seconds)."""
        real = time.monotonic() - self._origin[0]
        fake = trio.current_time() - self._origin[1]
        return RENEW_S * max(1.0, fake / real) if real > 0 else RENEW_S

    def _any_waiting(self) -> bool:
        return any(w.waiting is not None for w in self.scheduler.watched.values())

    def _keep(self) -> None:
        s = self.scheduler
        held = s._held_claims()
        try:
            if held:
                lost = set(held) - s.store.renew_claims(s.owner)
                for claim_id in lost:
                    s._claim_lost(held[claim_id])
            self._take_over()
            from orchdsl.store.recovery import recover

            recover(s.store)
        except s._store_errors as exc:
            s._log(Kind.ERROR, f"the job store cannot be read or written ({exc}); leases of "
                   "this scheduler's fires are not renewed meanwhile")

    def _take_over(self) -> None:
        s = self.scheduler
        schedules = {(f, k) for f, k in s.table.keys() if f in s.watched}
        if not schedules:
            return
        for orphan in s.store.take_over_claims(s.owner, schedules):
            watched = s.watched[orphan.file]
            entry = s.table.get(orphan.file, orphan.schedule)
            fire = Fire(orphan.schedule, entry.schedule, orphan.fire_time, orphan.claim_id)
            if watched.waiting is not None or orphan.stale:
                s._skip(watched, fire, "the scheduler that queued it died, and none took it on "
                        "in time" if orphan.stale else "the scheduler that queued it died, and "
                        "another fire of the file waits already")
                continue
            watched.waiting = fire
            s._log(Kind.TAKEN, f"{watched.shown} {entry.schedule.shown()} due "
                   f"{time_of(fire.due, entry.schedule)}: taken over from a scheduler that "
                   "died; it waits for the file's job (overlap queue)", file=watched.path,
                   due=fire.due)

    def _promote_waiting(self) -> None:
        s = self.scheduler
        for watched in list(s.watched.values()):
            if watched.waiting is not None and watched.running is None and not s._stopping:
                s._start_waiting(watched)

    def _forget(self) -> None:
        s = self.scheduler
        try:
            s.store.forget_ended_claims()
        except s._store_errors:
            pass  # the next hour will do
