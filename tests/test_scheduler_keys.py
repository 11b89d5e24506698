"""Regression test for a bug found in review, now fixed (the text says how it was):
Two schedules with the same cron in different zones: the key of each depends on the order
in the file, so reordering them makes one schedule read the other's last fire."""



from datetime import datetime, timedelta, timezone

from test_scheduler import of, orch, serve, write
from orchdsl.scheduling.events import Kind
from orchdsl.store.sqlite import SQLiteStore

UTC = timezone.utc
A = '    schedule "0 * * * *" timezone "UTC" catchup last'
B = '    schedule "0 * * * *" timezone "Asia/Kolkata" catchup last'


def test_reordering_same_cron_schedules_repeats_a_fire_after_restart(tmp_path):
    path = write(tmp_path, orch(A + "\n" + B))
    store = SQLiteStore(str(tmp_path / "jobs.db"))
    start = datetime(2027, 1, 1, 0, 10, tzinfo=UTC)
    first, _ = serve([path], store, start, 90 * 60)  # 00:10 .. 01:40
    ran = sorted(e.due.astimezone(UTC) for e in of(first, Kind.FIRED))
    assert [d.strftime("%H:%M") for d in ran] == ["00:30", "01:00", "01:30"]
    path.write_text(orch(B + "\n" + A))  # the same two schedules, other order
    second, _ = serve([path], store, start + timedelta(minutes=95), 60)  # up at 01:45
    again = [e.due.astimezone(UTC).strftime("%H:%M")
             for e in of(second, Kind.FIRED) + of(second, Kind.CATCHUP)]
    assert not (set(again) & {"00:30", "01:00", "01:30"}), again
