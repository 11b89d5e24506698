"""A real ``orchdsl scheduler`` process: per-second schedules, shell tasks, the SQLite store,
SIGTERM (LANGUAGE.md 5.7, 6 and 7). Timing checks have wide margins: the machine is shared."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import orchdsl_executable, run_command

EVERY_SECOND = '"*/1 * * * * *"'


def orch(task: str, schedule: str = EVERY_SECOND, options: str = "") -> str:
    return (f'orchestration "Tick" {{\n    schedule {schedule} {options}\n'
            f'    phase "P" {{ task t run "{task}" }}\n}}\n')


RECORD = "echo $ORCHDSL_FIRE_TIME >> fires.txt"


class Scheduler:
    """``orchdsl scheduler`` in the background, its log (stderr) in a file."""

    def __init__(self, folder: Path, *args: str, env: dict[str, str] | None = None):
        self.folder = folder
        self.log_path = folder / f"scheduler-{time.monotonic_ns()}.log"
        self.log_file = open(self.log_path, "w")
        env = {**{k: v for k, v in os.environ.items() if k != "ORCHDSL_DEBUG"}, **(env or {})}
        self.process = subprocess.Popen(
            [orchdsl_executable(), "scheduler", *args, "--store", str(folder / "jobs.db")],
            cwd=folder, stdout=subprocess.PIPE, stderr=self.log_file, env=env)
        self.wait_for("started")

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, text: str, count: int = 1, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while self.log.count(text) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail(f"no {count} x {text!r} in the log:\n{self.log}")
            time.sleep(0.05)

    def stop(self, timeout: float = 20) -> tuple[int, float]:
        """SIGTERM; the exit status and how long it took to exit."""
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self.log_file.close()
        assert self.process.stdout.read() == b""  # the log is on stderr
        return code, time.monotonic() - start


def jobs(folder: Path) -> list[dict]:
    db = sqlite3.connect(folder / "jobs.db")
    db.row_factory = sqlite3.Row
    return [dict(r) for r in db.execute("SELECT * FROM jobs ORDER BY id")]


def fires(folder: Path) -> list[datetime]:
    path = folder / "fires.txt"
    lines = path.read_text().split() if path.exists() else []
    return [datetime.fromisoformat(line) for line in lines]


def never_overlap(rows: list[dict]) -> None:
    ran = [r for r in rows if r["state"] != "skipped"]
    for earlier, later in zip(ran, ran[1:]):
        assert earlier["finished_at"] <= later["started_at"], (earlier, later)


def test_a_per_second_schedule_fires_every_second_and_stops_on_sigterm(tmp_path):
    (tmp_path / "tick.orch").write_text(orch(f"sleep 0.2; {RECORD}"))
    scheduler = Scheduler(tmp_path, "tick.orch")
    time.sleep(4.5)
    code, took = scheduler.stop()
    assert code == 0 and took < 5
    rows = jobs(tmp_path)
    assert 3 <= len(rows) <= 6
    assert {(r["state"], r["trigger"]) for r in rows} == {("success", "schedule")}
    never_overlap(rows)
    fired = fires(tmp_path)
    assert len(fired) == len(rows)
    assert all(b - a == timedelta(seconds=1) for a, b in zip(fired, fired[1:]))  # none lost
    assert "stopping    SIGTERM: no more fires" in scheduler.log


@pytest.mark.slow  # a wall-clock scheduler; tests/test_scheduler.py proves the same on a fake clock
def test_jobs_never_overlap_and_extra_fires_are_recorded_as_skipped(tmp_path):
    (tmp_path / "tick.orch").write_text(orch(f"{RECORD}; sleep 1.6"))
    scheduler = Scheduler(tmp_path, "tick.orch")
    scheduler.wait_for("skipped", 2)
    code, took = scheduler.stop()
    assert code == 0  # the running job was let finish (grace 1m)
    rows = jobs(tmp_path)
    never_overlap(rows)
    states = [r["state"] for r in rows]
    assert states.count("skipped") >= 2 and set(states) == {"success", "skipped"}
    assert all(r["reason"].startswith("skipped: ") for r in rows if r["state"] == "skipped")
    assert len(set(fires(tmp_path))) == states.count("success")


@pytest.mark.slow  # a wall-clock scheduler; tests/test_scheduler.py proves the same on a fake clock
def test_sigterm_cancels_jobs_that_outlive_the_grace(tmp_path):
    (tmp_path / "slow.orch").write_text(orch("sleep 30", options="overlap skip"))
    scheduler = Scheduler(tmp_path, "slow.orch", "--grace", "1s")
    scheduler.wait_for("fired")
    code, took = scheduler.stop()
    assert code == 0
    assert 0.8 < took < 8  # the grace, then the task's process group gets SIGTERM
    assert [r["state"] for r in jobs(tmp_path) if r["state"] != "skipped"] == ["cancelled"]
    assert "cancelling 1 job" in scheduler.log


@pytest.mark.slow  # a wall-clock scheduler; tests/test_scheduler.py proves the same on a fake clock
def test_a_second_sigterm_cancels_at_once(tmp_path):
    (tmp_path / "slow.orch").write_text(orch("sleep 30", options="overlap skip"))
    scheduler = Scheduler(tmp_path, "slow.orch")
    scheduler.wait_for("fired")
    scheduler.process.send_signal(signal.SIGTERM)
    scheduler.wait_for("stopping")
    code, took = scheduler.stop()
    assert (code, took < 8) == (0, True)
    assert "SIGTERM again: cancelling 1 job" in scheduler.log


@pytest.mark.slow  # a wall-clock scheduler; tests/test_scheduler.py proves the same on a fake clock
@pytest.mark.parametrize("catchup", ["none", "last"])
def test_a_restart_neither_repeats_nor_loses_a_fire(tmp_path, catchup):
    (tmp_path / "tick.orch").write_text(orch(RECORD, options=f"catchup {catchup}"))
    first = Scheduler(tmp_path, "tick.orch")
    first.wait_for("fired", 2)
    assert first.stop()[0] == 0
    before = fires(tmp_path)
    time.sleep(2.2)  # down: at least two fires pass
    second = Scheduler(tmp_path, "tick.orch")
    second.wait_for("fired", 2)
    assert second.stop()[0] == 0
    after = fires(tmp_path)[len(before):]
    assert len(set(before + after)) == len(before + after)  # nothing ran twice
    assert after[0] > before[-1] + timedelta(seconds=1)  # the fires while down did not run...
    if catchup == "last":  # ... but the most recent of them, once
        assert "catchup" in second.log and after[1] - after[0] >= timedelta(seconds=1)
        assert f"running the fire of {after[0].isoformat()} once" in second.log
    else:
        assert "not replayed (catchup none)" in second.log
        assert after[1] - after[0] == timedelta(seconds=1)


@pytest.mark.slow  # a wall-clock scheduler; tests/test_scheduler.py proves the same on a fake clock
def test_an_invalid_edit_keeps_the_old_version_and_a_valid_one_is_picked_up(tmp_path):
    path = tmp_path / "tick.orch"
    path.write_text(orch("echo v1 >> out.txt"))
    scheduler = Scheduler(tmp_path, "tick.orch", "--watch-interval", "200ms")
    scheduler.wait_for("fired", 1)
    path.write_text(orch("echo v2 >> out.txt").replace("phase", "phaze"))
    scheduler.wait_for("invalid")
    fired = scheduler.log.count("fired")
    scheduler.wait_for("fired", fired + 2)  # still firing, the old version
    path.write_text(orch("echo v3 >> out.txt"))
    scheduler.wait_for("reloaded")
    scheduler.wait_for("fired", scheduler.log.count("fired") + 2)
    assert scheduler.stop()[0] == 0
    log = scheduler.log
    assert "tick.orch: 1 error; the version loaded before runs on" in log
    assert "tick.orch:3:5: error[E001]" in log  # the diagnostics, with the source line
    out = (tmp_path / "out.txt").read_text().split()
    assert "v2" not in out and out[0] == "v1" and out[-1] == "v3"
    assert out == sorted(out)  # v1 until the good edit, v3 after


def test_log_lines_are_timestamped_events_on_stderr(tmp_path):
    (tmp_path / "tick.orch").write_text(orch("true"))
    (tmp_path / "quiet.orch").write_text('orchestration "Q" {\n  phase "P" { task t run "true" }\n}\n')
    scheduler = Scheduler(tmp_path, str(tmp_path))
    scheduler.wait_for("finished")
    assert scheduler.stop()[0] == 0
    lines = scheduler.log.splitlines()
    for line in lines:
        stamp, kind = line.split()[:2]
        datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
        assert kind in {"loaded", "ignored", "started", "fired", "finished", "stopping", "stopped",
                        "queued", "skipped"}
    assert any(line.endswith("quiet.orch: no schedule (watched for changes)") for line in lines)


@pytest.mark.parametrize("args, message", [
    (["nope.orch"], "orchdsl scheduler: error: nope.orch: no such file or folder\n"),
    (["x.orch", "--grace", "soon"], "argument --grace"),
    (["x.orch", "--watch-interval", "1x"], "argument --watch-interval"),
    ([], "the following arguments are required: PATH"),
])
def test_usage_errors(tmp_path, args, message):
    (tmp_path / "x.orch").write_text(orch("true"))
    result = run_command("scheduler", *args, cwd=tmp_path, timeout=20)
    assert result.code == 2 and message in result.stderr and result.stderr.count("\n") == 1


# --- notifications of scheduled runs (LANGUAGE.md 5.5: a scheduled run notifies the file's
# targets), with a real HTTP server and a real SMTP server on 127.0.0.1 -------------------------

@pytest.mark.slow  # a wall-clock scheduler; tests/test_scheduler.py proves the same on a fake clock
def test_a_scheduled_run_notifies_the_files_targets(tmp_path):
    from notify_servers import HttpServer, SmtpServer

    hook, smtp = HttpServer(), SmtpServer()
    down = HttpServer(answers=(404,))  # a target that refuses: logged, the scheduler goes on
    try:
        (tmp_path / "job.orch").write_text(f'''orchestration "Tick" {{
    schedule {EVERY_SECOND}
    notify error to "{hook.url()}", "ops@example.com", "{down.url()}"
    notify success to "{hook.url("/success")}"
    secret TOKEN
    phase "P" {{ task t run "echo $TOKEN; exit 3" }}
}}
''')
        scheduler = Scheduler(tmp_path, "job.orch",
                              env={"TOKEN": "tok-9f8e7d", "ORCHDSL_SMTP_URL": smtp.url})
        scheduler.wait_for("undelivered", count=1)
        code, _ = scheduler.stop()
        assert code == 0
        rows = [r for r in jobs(tmp_path) if r["state"] == "error"]
        assert rows, scheduler.log
        errors = [r.json for r in hook.requests if r.path == "/hook"]
        # every finished error job sent its event once, no success event was ever sent
        assert sorted(e["job_id"] for e in errors) == sorted(
            {e["job_id"] for e in errors}), errors
        assert {e["event"] for e in errors} == {"error"}
        assert not [r for r in hook.requests if r.path == "/success"]
        assert errors[0]["orchestration"] == "Tick" and errors[0]["status"] == "error"
        assert [m.recipients for m in smtp.mails][:1] == [["ops@example.com"]]
        assert smtp.mails[0].subject == "[orchdsl] Tick: error"
        assert "undelivered" in scheduler.log and "404" in scheduler.log
        for text in [scheduler.log, *(r.body.decode() for r in hook.requests),
                     *(m.body for m in smtp.mails)]:
            assert "tok-9f8e7d" not in text
    finally:
        for server in (hook, smtp, down):
            server.stop()


@pytest.mark.slow  # a wall-clock scheduler; tests/test_scheduler.py proves the same on a fake clock
def test_a_hanging_webhook_neither_holds_the_next_fire_nor_the_shutdown(tmp_path):
    from notify_servers import HANG, HttpServer

    hook = HttpServer(answers=(HANG,))
    try:
        (tmp_path / "job.orch").write_text(f'''orchestration "Tick" {{
    schedule {EVERY_SECOND}
    notify error to "{hook.url()}"
    phase "P" {{ task t run "exit 3" }}
}}
''')
        scheduler = Scheduler(tmp_path, "job.orch", "--grace", "1s")
        # Each delivery hangs for its 10 s timeout; the jobs still fire every second.
        scheduler.wait_for("finished", count=3, timeout=8)
        assert "queued" not in scheduler.log and "skipped" not in scheduler.log
        code, took = scheduler.stop()
        assert code == 0 and took < 8, scheduler.log
        assert "sending notifications" in scheduler.log
    finally:
        hook.stop()


@pytest.mark.slow  # a wall-clock scheduler; tests/test_scheduler.py proves the same on a fake clock
def test_the_scheduler_goes_on_when_its_log_reader_goes_away(tmp_path):
    (tmp_path / "job.orch").write_text(orch(RECORD))
    process = subprocess.Popen(
        [orchdsl_executable(), "scheduler", "job.orch", "--store", str(tmp_path / "jobs.db")],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    process.stderr.readline()
    process.stderr.close()  # like `orchdsl scheduler ... 2>&1 | head -1`
    deadline = time.monotonic() + 20
    while len(fires(tmp_path)) < 2 and time.monotonic() < deadline:
        assert process.poll() is None, "the scheduler died with its log"
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert len(fires(tmp_path)) >= 2
