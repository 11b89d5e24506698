"""The scheduler daemon on a fake clock (LANGUAGE.md 5.7): trio's MockClock jumps ahead
whenever every task sleeps, and ``TrioClock`` makes the wall time follow it, so a day of fires
takes milliseconds. Jobs are real: the real engine and store, running ``call`` tasks whose
``async def`` sleeps on trio's clock (a shell task would run in real time: see
test_scheduler_cli.py for those)."""

from __future__ import annotations

import store_view as view

import sqlite3
from datetime import datetime, timedelta, timezone

import trio
import trio.testing

from orchdsl.scheduling.clock import TrioClock
from orchdsl.scheduling.daemon import Scheduler
from orchdsl.scheduling.events import Kind
from orchdsl.store.sqlite import SQLiteStore

UTC = timezone.utc
T0 = datetime(2027, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC)  # half a second before a fire

STEPS = """\
import trio

async def work(seconds="0.3"):
    await trio.sleep(float(seconds))
"""


def orch(schedules: str, seconds: float = 0.3, name: str = "Job") -> str:
    return (f'orchestration "{name}" {{\n{schedules}\n    param seconds = "{seconds}"\n'
            '    phase "P" { task t call "steps:work" }\n}\n')


def write(folder, text: str, name: str = "job.orch"):
    (folder / "steps.py").write_text(STEPS)
    path = folder / name
    path.write_text(text)
    return path


def serve(paths, store, start: datetime, seconds: float, *, grace_s: float = 60,
          watch_interval_s=None, actions=(), stops: int = 1):
    """Run a scheduler from ``start`` (fake wall time) for ``seconds`` of fake time, then
    stop it ``stops`` times; ``actions`` are (after seconds, function) done on the way.
    Returns the events and the fake time the scheduler took to end after the stop."""
    events = []
    ended = {}

    async def main():
        clock = TrioClock(start)
        scheduler = Scheduler([str(p) for p in paths], store, clock=clock, log=events.append,
                              grace_s=grace_s, watch_interval_s=watch_interval_s)
        async with trio.open_nursery() as nursery:
            await nursery.start(scheduler.serve)
            elapsed = 0.0
            for at, action in sorted(actions, key=lambda a: a[0]):
                await trio.sleep(at - elapsed)
                elapsed = at
                action()
            await trio.sleep(seconds - elapsed)
            stopped = trio.current_time()
            for _ in range(stops):
                scheduler.stop("SIGTERM")
        ended["after"] = trio.current_time() - stopped

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    return events, ended["after"]


def of(events, kind: Kind):
    return [e for e in events if e.kind is kind]


def seconds_of(events, kind: Kind, field: str = "due") -> list[float]:
    return [round((getattr(e, field) - T0.replace(microsecond=0)).total_seconds(), 3)
            for e in of(events, kind)]


def test_a_per_second_schedule_fires_every_second_on_time(tmp_path):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *"'))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    events, _ = serve([path], store, T0, 10.2)
    assert seconds_of(events, Kind.FIRED) == [float(s) for s in range(1, 11)]
    assert all(e.at == e.due for e in of(events, Kind.FIRED))  # the fake clock: no latency
    jobs = view.jobs(store, limit=100)
    assert [(j["state"], j["trigger"]) for j in jobs] == [("success", "schedule")] * 10
    assert store.last_fire(str(path), "*/1 * * * * *") == datetime(2027, 1, 1, 0, 0, 10, tzinfo=UTC)


def test_overlap_queue_keeps_one_fire_waiting_and_skips_the_rest(tmp_path):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *"', seconds=2.4))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    events, _ = serve([path], store, T0, 9.2, grace_s=60)
    # the job of 1 runs 1..3.4; 2 waits and runs 3.4..5.8; 3 finds 2 waiting: skipped; ...
    assert seconds_of(events, Kind.FIRED) == [1, 2, 4, 6]
    assert seconds_of(events, Kind.FIRED, "at") == [1, 3.4, 5.8, 8.2]
    assert seconds_of(events, Kind.QUEUED) == [2, 4, 6, 9]
    # ... and the fire of 9, still waiting at the stop (9.7), is recorded as skipped too
    assert seconds_of(events, Kind.SKIPPED) == [3, 5, 7, 8, 9]
    finished = seconds_of(events, Kind.FINISHED, "at")
    started = seconds_of(events, Kind.FIRED, "at")
    assert all(end <= following for end, following in zip(finished, started[1:]))  # never two
    skipped = view.jobs(store, state="skipped", limit=100)
    assert len(skipped) == 5
    assert "still running and the fire of" in skipped[-1]["reason"]


def test_overlap_skip_records_every_fire_that_finds_the_job_running(tmp_path):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *" overlap skip', seconds=2.5))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    events, _ = serve([path], store, T0, 9.2)
    assert seconds_of(events, Kind.FIRED) == [1, 4, 7]
    assert seconds_of(events, Kind.SKIPPED) == [2, 3, 5, 6, 8, 9]
    assert of(events, Kind.QUEUED) == []
    assert all("(overlap skip)" in j["reason"] for j in view.jobs(store, state="skipped", limit=100))


def test_a_restart_continues_after_the_last_fire_even_if_the_clock_went_back(tmp_path):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *"'))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    first, _ = serve([path], store, T0, 3.2)
    second, _ = serve([path], store, T0 + timedelta(seconds=1.5), 2.2)  # clock set back
    assert seconds_of(first, Kind.FIRED) == [1, 2, 3]
    assert seconds_of(second, Kind.FIRED) == [4]  # 2 and 3 ran already: 4 is next
    third, _ = serve([path], store, T0 + timedelta(seconds=3.8), 1)  # up again at once
    assert seconds_of(third, Kind.FIRED) == [5]


def test_catchup_none_misses_what_passed_while_down(tmp_path):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *"'))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    serve([path], store, T0, 2.2)
    events, _ = serve([path], store, T0 + timedelta(seconds=5.2), 2)
    assert seconds_of(events, Kind.MISSED) == [5]
    assert seconds_of(events, Kind.FIRED) == [6, 7]


def test_catchup_last_runs_the_most_recent_missed_fire_once(tmp_path):
    path = write(tmp_path, orch('    schedule "0 * * * *" catchup last'))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    hourly = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)
    first, _ = serve([path], store, hourly, 3600)  # fires 01:00
    second, _ = serve([path], store, hourly + timedelta(hours=5), 3600)  # up at 05:30
    third, _ = serve([path], store, hourly + timedelta(hours=6, minutes=10), 60)  # 06:40

    def hours(events, kind):
        return [e.due.astimezone(UTC).hour for e in of(events, kind)]
    assert hours(first, Kind.FIRED) == [1]
    assert hours(second, Kind.CATCHUP) == [5]  # 02:00-04:00 are not replayed
    assert hours(second, Kind.FIRED) == [5, 6]
    assert hours(third, Kind.CATCHUP) == [] and hours(third, Kind.FIRED) == []  # 06:00 ran


def test_a_schedule_never_fired_is_caught_up_from_when_it_was_taken_on(tmp_path):
    """Stopped before its first fire, started after it: catchup last still sees the miss."""
    path = write(tmp_path, orch('    schedule "0 * * * *" catchup last'))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    start = datetime(2027, 1, 1, 0, 10, tzinfo=UTC)
    serve([path], store, start, 60)
    events, _ = serve([path], store, start + timedelta(hours=1), 60)
    assert [e.due.astimezone(UTC).hour for e in of(events, Kind.CATCHUP)] == [1]


def test_dst_fall_back_fires_a_repeated_hour_once(tmp_path):
    path = write(tmp_path, orch('    schedule "0 * * * *" timezone "Europe/Prague"'))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    start = datetime(2027, 10, 30, 23, 30, tzinfo=UTC)  # 01:30 CEST on 2027-10-31
    events, _ = serve([path], store, start, 3 * 3600)
    assert [e.due.isoformat() for e in of(events, Kind.FIRED)] == [
        "2027-10-31T00:00:00+00:00",  # 02:00 CEST
        "2027-10-31T02:00:00+00:00",  # 03:00 CET; 02:00 CET (01:00 UTC) is the repeat
    ]


def test_dst_spring_forward_fires_once_after_the_gap(tmp_path):
    path = write(tmp_path, orch('    schedule "30 2 * * *" timezone "Europe/Prague"'))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    start = datetime(2027, 3, 27, 12, tzinfo=UTC)
    events, _ = serve([path], store, start, 2 * 86400)
    assert [e.due.isoformat() for e in of(events, Kind.FIRED)] == [
        "2027-03-28T01:00:00+00:00",  # 03:00 CEST, the first instant after the gap
        "2027-03-29T00:30:00+00:00"]


def test_stop_lets_a_running_job_finish_within_the_grace(tmp_path):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *" overlap skip', seconds=2))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    events, took = serve([path], store, T0, 1.5, grace_s=10)
    assert [e.state for e in of(events, Kind.FINISHED)] == ["success"]
    assert took == 1.0  # fired at 1 s (0.5 after the start), ends at 3 s; stopped at 2 s
    assert of(events, Kind.CANCELLING) == []


def test_stop_cancels_what_outlives_the_grace(tmp_path):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *"', seconds=30))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    events, took = serve([path], store, T0, 2.2, grace_s=3)
    assert [e.state for e in of(events, Kind.FINISHED)] == ["cancelled"]
    assert took == 3
    assert len(of(events, Kind.CANCELLING)) == 1
    # the fire of 2 waited (overlap queue): recorded as skipped, not lost silently
    skipped = view.jobs(store, state="skipped")
    assert [j["reason"] for j in skipped] == ["skipped: the scheduler stopped before it started"]
    assert view.jobs(store, state="cancelled")[0]["reason"] == "cancelled by the scheduler stopping"


def test_a_second_stop_cancels_at_once(tmp_path):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *"', seconds=30))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    events, took = serve([path], store, T0, 1.5, grace_s=600, stops=2)
    assert took == 0
    assert [e.state for e in of(events, Kind.FINISHED)] == ["cancelled"]


def test_edits_are_picked_up_and_invalid_ones_keep_the_old_version(tmp_path):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *"'))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    broken = orch('    schedule "*/1 * * * * *"').replace("phase", "phaze")
    every_5 = orch('    schedule "*/5 * * * * *"  # every five seconds now')
    events, _ = serve([path], store, T0, 20.2, watch_interval_s=2, actions=[
        (4.1, lambda: path.write_text(broken)),
        (8.1, lambda: path.write_text(every_5))])
    invalid = of(events, Kind.INVALID)
    assert len(invalid) == 1 and invalid[0].diagnostics[0].code == "E001"
    assert "the version loaded before runs on" in invalid[0].text
    fired = seconds_of(events, Kind.FIRED)
    assert fired[:9] == [float(s) for s in range(1, 10)]  # the broken edit changed nothing
    assert fired[9:] == [10, 15, 20]  # the edit seen at 10 s
    reloaded = [e for e in of(events, Kind.LOADED) if "reloaded" in e.text]
    assert len(reloaded) == 1 and '"*/5 * * * * *"' in reloaded[0].text


def test_a_removed_file_stops_and_a_returning_one_starts_again(tmp_path):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *"'))
    text = path.read_text()
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    events, _ = serve([tmp_path], store, T0, 12.2, watch_interval_s=2, actions=[
        (3.1, path.unlink), (7.1, lambda: path.write_text(text))])
    assert len(of(events, Kind.REMOVED)) == 1
    assert seconds_of(events, Kind.FIRED) == [1, 2, 3, 4, 9, 10, 11, 12]


def test_files_in_a_folder_and_files_without_schedules(tmp_path):
    write(tmp_path, orch('    schedule "*/2 * * * * *"', name="A"), "a.orch")
    (tmp_path / "sub").mkdir()
    write(tmp_path, orch("", name="B"), "sub/b.orch")
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    events, _ = serve([tmp_path], store, T0, 4.2)
    assert [e.text for e in of(events, Kind.IGNORED)] == [
        f"{tmp_path / 'sub' / 'b.orch'}: no schedule (watched for changes)"]
    assert of(events, Kind.STARTED)[0].text.startswith("2 files, 1 schedule;")
    assert seconds_of(events, Kind.FIRED) == [2, 4]


def test_nothing_to_schedule_runs_idle(tmp_path):
    write(tmp_path, orch("", name="B"))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    events, _ = serve([tmp_path / "job.orch"], store, T0, 3600)
    assert "nothing to fire until a file gets a schedule" in of(events, Kind.STARTED)[0].text
    assert of(events, Kind.FIRED) == []


def test_a_job_the_store_cannot_record_is_logged_and_the_schedule_goes_on(tmp_path):
    # A full disk cannot be made here: the store's write of a job's rows fails as SQLite
    # would say it (the only stand-in of this file); the fire bookkeeping still works.
    class FullDisk(SQLiteStore):
        def write(self, changes):
            raise sqlite3.OperationalError("database or disk is full")

    path = write(tmp_path, orch('    schedule "*/1 * * * * *"'))
    store = FullDisk(str(tmp_path / "jobs.db"))
    events, _ = serve([path], store, T0, 2.2)
    assert len(of(events, Kind.FIRED)) == 2
    errors = [e.text for e in of(events, Kind.ERROR)]
    assert len(errors) == 2, errors
    assert all("the job store could not record all of it: database or disk is full" in text
               for text in errors)
