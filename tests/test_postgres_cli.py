"""Every command on a PostgreSQL store, through the installed ``orchdsl`` against a real server
(tests/pg_server.py), and the same commands on an SQLite file: the same records and the same
output, times and durations aside (docs/high-availability.md). The URL carries a password,
which no output may show.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import isolated_env, orchdsl_executable, run_isolated
from pg_server import pg_server, pg_url  # noqa: F401 (fixtures)

PIPELINE = """\
orchestration "Parity" {
    param who = "world"
    phase "Extract" {
        task hello run "echo hello ${who}; echo oops >&2"
        task flaky run "exit 3" continue_on_failure
        task region run "echo ${region}" matrix region = ["eu", "us"]
    }
    phase "Load" {
        task load run "echo loaded" retries 1
    }
}
"""
SLOW = 'orchestration "Slow" {\n    phase "P" { task wait run "sleep 30" }\n}\n'
HOURLY = ('orchestration "Hourly" {\n    schedule "0 * * * *"\n'
          '    phase "P" { task t run "echo $ORCHDSL_FIRE_TIME" }\n}\n')
TICK = ('orchestration "Tick" {\n    schedule "*/1 * * * * *"\n'
        '    phase "P" { task t run "echo store=$ORCHDSL_STORE" }\n}\n')

# Times and durations differ from run to run: shown as <time>, <took>, <bar>.
VOLATILE = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?"), "<time>"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?"), "<time>"),
    (re.compile(r"\b\d\d:\d\d:\d\d\.\d{3}\b"), "<time>"),
    (re.compile(r"\b\d+(\.\d+)?(ms|s|m|h)\b"), "<took>"),
    (re.compile(r"\|[ #]*\|"), "|<bar>|"),
]


def normal(text: str, location: str) -> str:
    text = text.replace(location, "<store>")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return re.sub(r" +", " ", text)


def scenario(folder: Path, location: str) -> list[tuple[str, int, str, str]]:
    """The commands a user would run, on one store: (command, exit, stdout, stderr)."""
    (folder / "parity.orch").write_text(PIPELINE)
    (folder / "slow.orch").write_text(SLOW)
    (folder / "hourly.orch").write_text(HOURLY)
    env = {"ORCHDSL_STORE": location}
    done = []

    def orchdsl(*args: str) -> None:
        result = run_isolated(*args, cwd=folder, env=env, timeout=120)
        done.append((" ".join(args), result.code, result.stdout, result.stderr))

    orchdsl("run", "parity.orch", "--param", "who=pg", "--no-live")
    orchdsl("jobs")
    orchdsl("job", "1")
    orchdsl("job", "1", "--format", "json")
    orchdsl("logs", "1")
    orchdsl("logs", "1", "hello", "--format", "json")
    orchdsl("run", "parity.orch", "--rerun", "1", "--no-live")
    orchdsl("backfill", "hourly.orch", "--from", "2027-01-01T00:00", "--to", "2027-01-01T03:00")
    orchdsl("backfill", "hourly.orch", "--from", "2027-01-01T00:00", "--to", "2027-01-01T04:00",
            "--dry-run")
    orchdsl("run", "slow.orch", "--detach")
    orchdsl("cancel", "6")
    orchdsl("jobs", "--format", "json", "--limit", "50")
    orchdsl("jobs", "--status", "success", "--before", "6")
    orchdsl("job", "99")
    orchdsl("prune", "--keep-last", "1", "--dry-run")
    orchdsl("prune", "--keep-last", "1")
    orchdsl("jobs")
    return done


@pytest.mark.slow
def test_every_command_gives_the_same_output_on_postgresql_and_sqlite(tmp_path, pg_server,
                                                                       pg_url):
    on_sqlite = scenario(_folder(tmp_path, "sqlite"), str(tmp_path / "sqlite" / "jobs.db"))
    on_postgres = scenario(_folder(tmp_path, "pg"), pg_url)
    for lite, pg in zip(on_sqlite, on_postgres):
        command = pg[0]
        assert pg_server.password not in pg[2] + pg[3], command
        assert pg[1] == lite[1], (command, lite, pg)
        shown_sqlite = normal(lite[2] + lite[3], str(tmp_path / "sqlite" / "jobs.db"))
        shown_pg = normal(pg[2] + pg[3], pg_url.replace(pg_server.password, "***"))
        shown_sqlite = shown_sqlite.replace(str(tmp_path / "sqlite"), "<folder>")
        shown_pg = shown_pg.replace(str(tmp_path / "pg"), "<folder>")
        if command.startswith(("run ", "backfill ")):  # tasks end in either order
            shown_pg, shown_sqlite = (sorted(t.split("\n")) for t in (shown_pg, shown_sqlite))
        assert shown_pg == shown_sqlite, command
    codes = {command: code for command, code, _, _ in on_postgres}
    assert codes["run parity.orch --param who=pg --no-live"] == 0  # warning: flaky failed
    assert codes["cancel 6"] == 0 and codes["job 99"] == 1
    listed = json.loads(on_postgres[11][2])["jobs"]
    assert [(j["id"], j["state"], j["trigger"]) for j in listed] == [
        (6, "cancelled", "manual"), (5, "success", "backfill"), (4, "success", "backfill"),
        (3, "success", "backfill"), (2, "warning", "rerun"), (1, "warning", "manual")]
    # Job 1 goes although its re-run (job 2) stays: the re-run no longer names it.
    assert on_postgres[15][2].endswith("removed 3 jobs\n")
    assert on_postgres[16][2].split("\n")[1].split()[:4] == ["6", "cancelled", "Slow", "manual"]


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


def test_a_run_and_the_history_on_postgresql(tmp_path, pg_server, pg_url):
    (tmp_path / "parity.orch").write_text(PIPELINE)
    env = {"ORCHDSL_STORE": pg_url}
    ran = run_isolated("run", "parity.orch", "--no-live", cwd=tmp_path, env=env)
    assert ran.code == 0, ran.stderr
    listed = run_isolated("jobs", "--format", "json", cwd=tmp_path, env=env)
    assert [(j["id"], j["state"]) for j in json.loads(listed.stdout)["jobs"]] == [
        (1, "warning")]
    shown = run_isolated("jobs", cwd=tmp_path, env=env)
    assert shown.stdout.splitlines()[1].split()[:4] == ["1", "warning", "Parity", "manual"]
    rows = pg_server.sql(pg_url.rsplit("/", 1)[1],
                         "SELECT name, state FROM orchdsl.tasks ORDER BY position, seq")
    assert rows == [("hello", "succeeded"), ("flaky", "failed"), ("region.eu", "succeeded"),
                    ("region.us", "succeeded"), ("load", "succeeded")]
    for result in (ran, listed, shown):
        assert pg_server.password not in result.stdout + result.stderr


def test_the_tasks_of_a_manual_run_see_the_store_without_its_password(tmp_path, pg_server,
                                                                    pg_url):
    (tmp_path / "tick.orch").write_text(TICK)
    ran = run_isolated("run", "tick.orch", "--stream", "--no-live", cwd=tmp_path,
                       env={"ORCHDSL_STORE": pg_url})
    assert ran.code == 0, ran.stderr
    assert f"store={pg_url.replace(':' + pg_server.password, '')}" in ran.stdout
    printed = run_isolated("logs", "1", "--store", pg_url, cwd=tmp_path).stdout
    assert f"store={pg_url.replace(':' + pg_server.password, '')}\n" in printed
    assert pg_server.password not in ran.stdout + ran.stderr + printed


@pytest.mark.slow
def test_the_scheduler_runs_on_postgresql_and_never_shows_the_password(tmp_path, pg_server,
                                                                       pg_url):
    (tmp_path / "tick.orch").write_text(TICK)
    log = tmp_path / "scheduler.log"
    with open(log, "w") as err:
        process = subprocess.Popen([orchdsl_executable(), "scheduler", "tick.orch"],
                                   cwd=tmp_path, env=isolated_env({"ORCHDSL_STORE": pg_url}),
                                   stdout=subprocess.PIPE, stderr=err)
        deadline = time.monotonic() + 30
        while log.read_text().count("finished") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    text = log.read_text()
    assert pg_server.password not in text
    assert f"store {pg_url.replace(pg_server.password, '***')} (fires claimed there" in text
    jobs = json.loads(run_isolated("jobs", "--format", "json", "--store", pg_url,
                                   cwd=tmp_path).stdout)["jobs"]
    assert len(jobs) >= 2 and {j["trigger"] for j in jobs} == {"schedule"}
    assert all(j["fire_time"] for j in jobs)
    # The tasks see where the store is, never its password (libpq finds it in ~/.pgpass).
    printed = run_isolated("logs", str(jobs[-1]["id"]), "--store", pg_url, cwd=tmp_path).stdout
    assert f"store={pg_url.replace(':' + pg_server.password, '')}\n" in printed
