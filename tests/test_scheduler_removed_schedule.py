"""Regression test for a bug found in review, now fixed (the text says how it was):
A fire waiting (overlap queue) when an edit removes every schedule of the file still runs
a scheduled job afterwards (docs: removed schedules stop)."""



from test_scheduler import T0, of, orch, seconds_of, serve, write
from orchdsl.scheduling.events import Kind
from orchdsl.store.sqlite import SQLiteStore


def test_waiting_fire_of_a_removed_schedule_does_not_run(tmp_path):
    path = write(tmp_path, orch('    schedule "*/1 * * * * *"', seconds=2.4))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    unscheduled = orch("", seconds=2.4)
    events, _ = serve([path], store, T0, 6, watch_interval_s=0.5,
                      actions=[(1.6, lambda: path.write_text(unscheduled))])
    assert seconds_of(events, Kind.QUEUED) == [2]
    assert len(of(events, Kind.IGNORED)) == 1  # the edit was seen: no schedule any more
    assert seconds_of(events, Kind.FIRED) == [1], [f"{e.kind.value} {e.text}" for e in events]
