"""Several schedulers on one store, on a fake clock (docs/high-availability.md): each with
a connection of its own, as separate processes would have, on a real SQLite file and a real
PostgreSQL server. trio's MockClock jumps ahead when
every task sleeps (see test_scheduler.py); jobs are real, their ``call`` tasks sleep on it.

Which scheduler takes a fire depends on which asks first: the tests check what must hold
whichever it is.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import trio
import trio.testing

import store_view as view
from orchdsl.scheduling.clock import TrioClock
from orchdsl.scheduling.daemon import Scheduler
from orchdsl.scheduling.events import Kind
from orchdsl.store import open_store
from pg_server import pg_server, pg_url, store_at  # noqa: F401 (fixtures)
from test_scheduler import T0, orch, write

UTC = timezone.utc


def serve_together(paths, location: str, start: datetime, seconds: float, *, count: int = 3,
                   starts=()):
    """``count`` schedulers on the store at ``location`` from ``start`` (fake wall time) for
    ``seconds``, then stopped; ``starts``: seconds after ``start`` at which each starts
    (default: all at once). Returns each one's events, and the store."""
    stores = [open_store(location) for _ in range(count)]
    events: list[list] = [[] for _ in range(count)]
    starts = list(starts) or [0.0] * count

    async def main():
        clock = TrioClock(start)
        clock.now()  # wall time counts from here
        schedulers = [Scheduler([str(p) for p in paths], store, clock=clock,
                                log=events[i].append, watch_interval_s=None)
                      for i, store in enumerate(stores)]
        async with trio.open_nursery() as nursery:
            elapsed = 0.0
            for scheduler, at in sorted(zip(schedulers, starts), key=lambda s: s[1]):
                await trio.sleep(at - elapsed)
                elapsed = at
                await nursery.start(scheduler.serve)
            await trio.sleep(seconds - elapsed)
            for scheduler in schedulers:
                scheduler.stop("SIGTERM")

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    for store in stores[1:]:
        store.close()
    return events, stores[0]


def all_of(events, kind: Kind) -> list:
    return sorted((e for scheduler in events for e in scheduler if e.kind is kind),
                  key=lambda e: e.at)


def seconds_of(events, kind: Kind, field: str = "due") -> list[float]:
    return [round((getattr(e, field) - T0.replace(microsecond=0)).total_seconds(), 3)
            for e in all_of(events, kind)]


def test_three_schedulers_start_each_fire_once(tmp_path, store_at):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *"'))
    events, store = serve_together([path], store_at, T0, 10.2)
    assert seconds_of(events, Kind.FIRED) == [float(s) for s in range(1, 11)]
    jobs = view.jobs(store, limit=100)
    assert [(j["state"], j["trigger"]) for j in jobs] == [("success", "schedule")] * 10
    fire_times = Counter(j["fire_time"] for j in jobs)
    assert len(fire_times) == 10 and set(fire_times.values()) == {1}


def test_overlap_queue_holds_across_schedulers(tmp_path, store_at):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *"', seconds=2.4))
    events, store = serve_together([path], store_at, T0, 12.2)
    fired, skipped = seconds_of(events, Kind.FIRED), seconds_of(events, Kind.SKIPPED)
    # every fire once: run (at once or after waiting) or recorded as skipped
    assert sorted(fired + skipped) == [float(s) for s in range(1, 13)]
    assert set(fired).isdisjoint(skipped)
    # never two jobs at once, whoever ran them; one fire waits at most
    started = seconds_of(events, Kind.FIRED, "at")
    finished = seconds_of(events, Kind.FINISHED, "at")
    assert all(end <= following for end, following in zip(finished, started[1:]))
    assert len(started) >= 4  # 2.4 s jobs back to back in 12 s, a poll apart at most
    queued = seconds_of(events, Kind.QUEUED)
    assert set(queued) <= set(fired) | set(skipped)  # ran, or still waited at the stop
    jobs = view.jobs(store, limit=100)
    assert Counter(j["state"] for j in jobs) == {"success": len(fired),
                                                 "skipped": len(skipped)}
    assert all("already waits (overlap queue)" in j["reason"] or "stopped before" in j["reason"]
               for j in jobs if j["state"] == "skipped")


def test_overlap_skip_holds_across_schedulers(tmp_path, store_at):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *" overlap skip', seconds=2.5))
    events, store = serve_together([path], store_at, T0, 9.2)
    assert seconds_of(events, Kind.FIRED) == [1, 4, 7]
    assert seconds_of(events, Kind.SKIPPED) == [2, 3, 5, 6, 8, 9]
    skipped = view.jobs(store, state="skipped", limit=100)
    assert all(j["reason"].endswith("is still running (overlap skip)") for j in skipped)
    assert all("job " in j["reason"] for j in skipped)  # the job another scheduler runs


def test_catchup_last_runs_the_missed_fire_once_when_several_start_together(tmp_path,
                                                                          store_at):
    path = write(tmp_path, orch('    schedule "0 * * * *" catchup last'))
    before = T0.replace(hour=0, minute=10)
    serve_together([path], store_at, before, 60, count=1)  # knows the schedule, then down
    later = before + timedelta(hours=3, minutes=5)  # fires of 01:00, 02:00, 03:00 missed
    events, store = serve_together([path], store_at, later, 60, starts=[0, 0.2, 0.4])
    # The first to start runs the missed fire; the others find it claimed and kept as the
    # last fire (two that ask at the very same time: test_ha_claims.py, one claim wins).
    assert [e.due.strftime("%H:%M") for e in all_of(events, Kind.CATCHUP)] == ["03:00"]
    fired = all_of(events, Kind.FIRED)
    assert [e.due.strftime("%H:%M") for e in fired] == ["03:00"]
    assert [j["fire_time"][11:16] for j in view.jobs(store, limit=100)] == ["03:00"]


def test_a_scheduler_started_later_takes_its_share_without_repeating_a_fire(tmp_path,
                                                                           store_at):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *"'))
    events, store = serve_together([path], store_at, T0, 8.2, count=2, starts=[0, 3.7])
    assert seconds_of(events, Kind.FIRED) == [float(s) for s in range(1, 9)]
    assert len(view.jobs(store, limit=100)) == 8
