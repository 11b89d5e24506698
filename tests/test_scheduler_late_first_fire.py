"""Regression test for a bug found in review, now fixed (the text says how it was):
A schedule's first fire noticed late (suspend / clock set forward) with catchup last: the
daemon does not know the schedule's 'last' (it was taken on in this run), so the fire is
neither run nor reported as missed."""



import math
from datetime import datetime, timedelta, timezone

import trio
import trio.testing

from test_scheduler import of, orch, write
from orchdsl.scheduling.clock import TrioClock
from orchdsl.scheduling.daemon import Scheduler
from orchdsl.scheduling.events import Kind
from orchdsl.store.sqlite import SQLiteStore

UTC = timezone.utc


class JumpClock(TrioClock):
    """Trio's clock plus an offset a test can move (a suspended machine, an NTP step);
    sleeps at most 60 s like SystemClock so the jump is noticed."""

    offset = timedelta(0)

    def now(self):
        return super().now() + self.offset

    async def sleep_until(self, moment, wake):
        delay = math.inf if moment is None else (moment - self.now()).total_seconds()
        with trio.move_on_after(min(max(delay, 0.0), 60.0)):
            await wake.wait()


def run(paths, store, start, jump_at_s, jump, total_s):
    events = []

    async def main():
        clock = JumpClock(start)
        scheduler = Scheduler([str(p) for p in paths], store, clock=clock, log=events.append,
                              watch_interval_s=None)
        async with trio.open_nursery() as nursery:
            await nursery.start(scheduler.serve)
            await trio.sleep(jump_at_s)
            clock.offset = jump
            await trio.sleep(total_s - jump_at_s)
            scheduler.stop("SIGTERM")

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    return events


def test_late_first_fire_with_catchup_last_is_caught_up(tmp_path):
    path = write(tmp_path, orch('    schedule "0 * * * *" catchup last'))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    start = datetime(2027, 1, 1, 0, 10, tzinfo=UTC)  # taken on for the first time at 00:10
    # at 00:50 the machine sleeps for 30 minutes: wakes at 01:20, the 01:00 fire is 20 min late
    events = run([path], store, start, 40 * 60, timedelta(minutes=30), 45 * 60)
    handled = of(events, Kind.CATCHUP) + of(events, Kind.MISSED) + of(events, Kind.FIRED)
    assert [e.due.astimezone(UTC).strftime("%H:%M") for e in handled] != [], \
        [f"{e.kind.value} {e.text}" for e in events]
    assert [e.due.astimezone(UTC).strftime("%H:%M") for e in of(events, Kind.CATCHUP)] == ["01:00"]


def test_late_fire_after_an_earlier_fire_is_caught_up(tmp_path):
    """The control: the same, one fire later, works."""
    path = write(tmp_path, orch('    schedule "0 * * * *" catchup last'))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    start = datetime(2027, 1, 1, 0, 10, tzinfo=UTC)
    events = run([path], store, start, 100 * 60, timedelta(minutes=30), 105 * 60)
    assert [e.due.astimezone(UTC).strftime("%H:%M") for e in of(events, Kind.CATCHUP)] == ["02:00"]
