"""The job history end to end, through the installed ``orchdsl`` command in real subprocesses
(LANGUAGE.md 5.1, 5.6, 6, 7 "Job store"): ``run`` records jobs; ``jobs``, ``job`` and ``logs``
read them; ``run --rerun``; where the store lives (``--store``, ``ORCHDSL_HOME``, the per-user
state folder);
recovery after a runner killed with SIGKILL; several runners on one store; files at the store's
path that are not a store.

Tasks prove what ran with files next to the ``.orch`` file: ``stamp.py`` appends the time it
started to ``<name>.start``. Times and durations in the text output are shown as WHEN and
N.NNs.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

import pytest

from jobfiles import PY, STAMP_PY, alive, sh, stamp, starts

from conftest import Result, isolated_env, run_isolated  # tests/ is on sys.path
from store_files import foreign_database, newer_store, text_file
from conftest import orchdsl_executable as executable
from orchdsl.store.schema import MIGRATIONS
from orchdsl.store.sqlite import SQLiteStore

SECRET = "tok-77e1c0ffee42"
WHEN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
DURATION = re.compile(r"\b\d+\.\d\ds\b")
BAR = re.compile(r"\|[ #]{40}\|")


# --- helpers ---------------------------------------------------------------------------------

HIDDEN = ("ORCHDSL_HOME", "TOKEN")  # set by the tests themselves, never inherited
STATE = ".state"  # each folder's own per-user state folder (XDG_STATE_HOME), so its history
DEFAULT_STORE = f"{STATE}/orchdsl/orchdsl.db"


def environment(cwd: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    return isolated_env({"XDG_STATE_HOME": str(cwd / STATE), **(env or {})}, hide=HIDDEN)


def orchdsl(*args, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60) -> Result:
    return run_isolated(*args, cwd=cwd, env={"XDG_STATE_HOME": str(cwd / STATE), **(env or {})},
                        timeout=timeout, hide=HIDDEN)


def as_json(result: Result) -> dict:
    assert result.code == 0, result
    document = json.loads(result.stdout)
    assert document["version"] == 1
    return document


def normalized(text: str) -> list[str]:
    """Lines with times as WHEN, durations as N.NNs and timeline bars as |BAR|."""
    text = BAR.sub("|BAR|", DURATION.sub("N.NNs", WHEN.sub("WHEN", text)))
    return text.splitlines()


def orch(name: str, *phases: tuple[str, list[str]], clauses: str = "") -> str:
    """An .orch file: ``phases`` are (phase name, task lines without ``task``)."""
    body = "".join(f'    phase "{phase}" {{\n'
                   + "".join(f"        task {t}\n" for t in tasks) + "    }\n"
                   for phase, tasks in phases)
    return f'orchestration "{name}" {{\n    {clauses}\n{body}}}\n'


def wait_for(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def store_rows(path: Path, query: str, *args) -> list[tuple]:
    """What a reader of the store file sees right now (the runner may be writing)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(query, args).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


GOOD = orch("Good", ("One", [f"a {stamp('a')}"]))

SMOKE = orch(
    "Smoke",
    ("Extract", ["talk " + sh("echo talking; echo the secret is $TOKEN; echo warn $TOKEN >&2"),
                 "flaky " + sh("echo try $TOKEN; echo oops >&2; exit 3") + " retries 1"]),
    ("Load", [f"later {stamp('later')}"]),
    clauses="secret TOKEN")


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    """A folder where two jobs ran, with the default store: job 1 of good.orch
    (success), job 2 of smoke.orch (error: flaky failed twice, later skipped)."""
    folder = tmp_path_factory.mktemp("history")
    (folder / "stamp.py").write_text(STAMP_PY)
    (folder / "good.orch").write_text(GOOD)
    (folder / "smoke.orch").write_text(SMOKE)
    assert orchdsl("run", "good.orch", cwd=folder).code == 0
    assert orchdsl("run", "smoke.orch", cwd=folder, env={"TOKEN": SECRET}).code == 1
    return folder


# --- orchdsl --help --------------------------------------------------------------------------

def test_help_lists_the_history_commands(folder):
    result = orchdsl("--help", cwd=folder)
    assert result.code == 0
    commands = [line.split()[0] for line in result.stdout.split("commands:\n")[1].split("\n\n")[0]
                .splitlines()]
    assert {"jobs", "job", "logs"} <= set(commands)


# --- orchdsl jobs ----------------------------------------------------------------------------

def test_two_runs_make_two_jobs_listed_newest_first(history):
    result = orchdsl("jobs", cwd=history)
    assert (result.code, result.stderr) == (0, "")
    assert normalized(result.stdout) == [
        "ID  STATE    ORCHESTRATION  TRIGGER  STARTED              DURATION",
        "2   error    Smoke          manual   WHEN  N.NNs",
        "1   success  Good           manual   WHEN  N.NNs",
    ]


JOBS_FILTERS = [
    # arguments, the ids listed
    ([], [2, 1]),
    (["--status", "error"], [2]),
    (["--status", "success"], [1]),
    (["--status", "cancelled"], []),
    (["--limit", "1"], [2]),
    (["--limit", "1", "--status", "success"], [1]),
    (["good.orch"], [1]),
    (["smoke.orch"], [2]),
    (["smoke.orch", "--status", "success"], []),
]


@pytest.mark.parametrize("args, ids", JOBS_FILTERS, ids=lambda x: " ".join(map(str, x)))
def test_jobs_filters_by_status_limit_and_file(history, args, ids):
    listed = as_json(orchdsl("jobs", *args, "--format", "json", cwd=history))["jobs"]
    assert [job["id"] for job in listed] == ids
    text = orchdsl("jobs", *args, cwd=history)
    assert text.code == 0
    shown = [line.split()[0] for line in text.stdout.splitlines()[1:]]
    assert shown == ([str(i) for i in ids] if ids else [])
    if not ids:
        assert text.stdout == f"no jobs in {history / DEFAULT_STORE}\n"


def test_jobs_json_has_each_job_with_its_state_trigger_file_and_times(history):
    jobs = as_json(orchdsl("jobs", "--format", "json", cwd=history))["jobs"]
    assert [(j["id"], j["orchestration"], j["state"], j["trigger"], j["rerun_of"], j["file"])
            for j in jobs] == [
        (2, "Smoke", "error", "manual", None, str(history / "smoke.orch")),
        (1, "Good", "success", "manual", None, str(history / "good.orch")),
    ]
    for job in jobs:
        assert job["created_at"] <= job["started_at"] <= job["finished_at"]


# --- orchdsl job ID --------------------------------------------------------------------------

def test_job_shows_each_task_with_state_attempts_duration_and_a_timeline(history):
    result = orchdsl("job", "2", cwd=history)
    assert (result.code, result.stderr) == (0, "")
    assert normalized(result.stdout) == [
        'job 2 "Smoke": error',
        f"  file     {history / 'smoke.orch'}",
        "  trigger  manual",
        "  started  WHEN   finished WHEN   took N.NNs",
        "",
        "Extract",
        "  talk   succeeded    N.NNs  |BAR|",
        "  flaky  failed       N.NNs  |BAR|  2 attempts, exit code 3",
        "Load",
        "  later  skipped          -  |BAR|  not started: task flaky failed",
    ]
    bars = {line.split()[0]: BAR.search(line).group() for line in result.stdout.splitlines()
            if BAR.search(line)}
    assert "#" in bars["talk"] and "#" in bars["flaky"] and "#" not in bars["later"]


def test_job_json_has_the_tasks_and_every_attempt(history):
    job = as_json(orchdsl("job", "2", "--format", "json", cwd=history))["job"]
    assert (job["id"], job["state"], job["orchestration"]) == (2, "error", "Smoke")
    assert [(t["name"], t["phase"], t["state"], [a["exit_code"] for a in t["attempts"]])
            for t in job["tasks"]] == [
        ("talk", "Extract", "succeeded", [0]),
        ("flaky", "Extract", "failed", [3, 3]),
        ("later", "Load", "skipped", []),
    ]
    for task in job["tasks"]:
        for attempt in task["attempts"]:
            assert job["started_at"] <= attempt["started_at"] <= attempt["finished_at"]


UNKNOWN = [
    # arguments, the error line
    (["job", "99"], "orchdsl job: error: no job 99 in "),
    (["job", "99", "--format", "json"], "orchdsl job: error: no job 99 in "),
    (["logs", "99"], "orchdsl logs: error: no job 99 in "),
    (["logs", "2", "nope"], 'orchdsl logs: error: job 2 has no task "nope"'),
]


@pytest.mark.parametrize("args, error", [
    (["job", "99999999999999999999"], "orchdsl job: error: argument ID: must be at most "),
    (["logs", "0"], "orchdsl logs: error: argument ID: must be at least 1"),
    (["jobs", "--limit", "-5"], "orchdsl jobs: error: argument --limit: must be at least 1"),
    (["run", "job.orch", "--rerun", "99999999999999999999"],
     "orchdsl run: error: argument --rerun: must be at most "),
], ids=" ".join)
def test_an_impossible_id_or_limit_is_a_usage_error(history, args, error):
    result = orchdsl(*args, cwd=history)
    assert (result.code, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(error), result.stderr


@pytest.mark.parametrize("args, error", UNKNOWN, ids=" ".join)
def test_an_unknown_job_or_task_exits_1_with_one_line_on_stderr(history, args, error):
    result = orchdsl(*args, cwd=history)
    assert (result.code, result.stdout) == (1, "")
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(error), result.stderr


# --- orchdsl logs ID [TASK] ------------------------------------------------------------------

LOGGED = {  # task, attempt -> its stdout lines, its stderr lines (each stream keeps its order)
    ("talk", 1): (["talking", "the secret is ***"], ["warn ***"]),
    ("flaky", 1): (["try ***"], ["oops"]),
    ("flaky", 2): (["try ***"], ["oops"]),
}


def test_logs_show_every_attempt_of_every_task_with_stdout_and_stderr(history):
    result = orchdsl("logs", "2", cwd=history)
    assert (result.code, result.stderr) == (0, "")
    blocks = result.stdout.split("== ")[1:]
    assert [b.split(" ==")[0] for b in blocks] == [
        "talk (attempt 1, exit 0)", "flaky (attempt 1, exit 3)", "flaky (attempt 2, exit 3)"]
    for block, (out, err) in zip(blocks, LOGGED.values()):
        # Two pipes: lines the two streams printed at the same moment may come in any order.
        assert sorted(block.splitlines()[1:]) == sorted(out + err)
    documents = as_json(orchdsl("logs", "2", "--format", "json", cwd=history))["logs"]
    streams = {(d["task"], d["attempt"]): (
        [line["text"] for line in d["lines"] if line["stream"] == "stdout"],
        [line["text"] for line in d["lines"] if line["stream"] == "stderr"]) for d in documents}
    assert streams == LOGGED


@pytest.mark.parametrize("task, header, lines", [
    ("talk", "== talk (attempt 1, exit 0) ==", ["talking", "the secret is ***", "warn ***"]),
    ("flaky", "== flaky (attempt 1, exit 3) ==", ["try ***", "oops"]),
    ("later", None, []),
])
def test_logs_of_one_task_show_only_that_task(history, task, header, lines):
    result = orchdsl("logs", "2", task, cwd=history)
    assert result.code == 0
    headers = [line for line in result.stdout.splitlines() if line.startswith("== ")]
    assert all(line.startswith(f"== {task} ") for line in headers)
    assert (headers[0] if headers else None) == header
    first = result.stdout.split("== ")[1].splitlines()[1:] if headers else []
    assert sorted(first) == sorted(lines)


def test_a_secret_is_stored_as_stars_never_its_value(history):
    for args in (["logs", "2"], ["job", "2", "--format", "json"], ["jobs", "--format", "json"]):
        result = orchdsl(*args, cwd=history)
        assert SECRET not in result.stdout + result.stderr, args
    assert "***" in orchdsl("logs", "2", "flaky", cwd=history).stdout
    files = list((history / DEFAULT_STORE).parent.iterdir())
    assert history / DEFAULT_STORE in files
    for path in files:  # the database and any write-ahead log beside it
        data = path.read_bytes()
        assert SECRET.encode() not in data and SECRET.encode("utf-16-le") not in data, path


# --- orchdsl run --rerun JOB (5.6) -----------------------------------------------------------

RERUN = orch(
    "Again",
    ("One", [f"a {stamp('a')}",
             "b " + sh(f"{PY} stamp.py b 0 && test -f fixed")]),
    ("Two", [f"c {stamp('c')}"]))


def test_a_rerun_runs_only_what_did_not_succeed_and_is_linked_to_the_job(folder, write):
    path = write(RERUN)
    assert orchdsl("run", path.name, cwd=folder).code == 1
    assert [len(starts(folder, n)) for n in "abc"] == [1, 1, 0]
    (folder / "fixed").touch()

    result = orchdsl("run", path.name, "--rerun", "1", cwd=folder)
    assert (result.code, result.stderr) == (0, ""), result
    assert [len(starts(folder, n)) for n in "abc"] == [1, 2, 1]
    jobs = as_json(orchdsl("jobs", "--format", "json", cwd=folder))["jobs"]
    assert [(j["id"], j["state"], j["trigger"], j["rerun_of"]) for j in jobs] == [
        (2, "success", "rerun", 1), (1, "error", "manual", None)]
    job = as_json(orchdsl("job", "2", "--format", "json", cwd=folder))["job"]
    assert [(t["name"], t["state"], len(t["attempts"])) for t in job["tasks"]] == [
        ("a", "skipped", 0), ("b", "succeeded", 1), ("c", "succeeded", 1)]
    assert "(re-runs job 1)" in orchdsl("job", "2", cwd=folder).stdout
    assert "rerun of 1" in orchdsl("jobs", cwd=folder).stdout


@pytest.mark.parametrize("rerun, error", [
    ("1", "--rerun 1: that job ran "),
    ("7", "--rerun 7: no such job in "),
], ids=["a job of another file", "an unknown job"])
def test_a_rerun_of_a_job_it_cannot_rerun_is_a_usage_error_and_runs_nothing(folder, write, rerun,
                                                                             error):
    write(GOOD, "good.orch")
    other = write(orch("Other", ("One", [f"o {stamp('o')}"])), "other.orch")
    assert orchdsl("run", "good.orch", cwd=folder).code == 0
    result = orchdsl("run", other.name, "--rerun", rerun, cwd=folder)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"orchdsl run: error: {error}")
    assert starts(folder, "o") == []
    assert [j["id"] for j in as_json(orchdsl("jobs", "--format", "json", cwd=folder))["jobs"]] == [1]


# --- where the store is (7) ------------------------------------------------------------------

PLACES = [
    # environment, flags, where the store is (relative to the cwd), what must not be created
    ({"XDG_STATE_HOME": "", "HOME": "{tmp}"}, [], ".local/state/orchdsl/orchdsl.db",
     ["home", STATE, ".orchdsl"]),
    ({}, [], DEFAULT_STORE, ["home", ".orchdsl"]),
    ({"ORCHDSL_HOME": "home"}, [], "home/orchdsl.db", [STATE]),
    ({"ORCHDSL_HOME": "{tmp}/abs-home"}, [], "abs-home/orchdsl.db", [STATE]),
    ({"ORCHDSL_HOME": "home"}, ["--store", "given/jobs.db"], "given/jobs.db", ["home", STATE]),
    ({}, ["--store", "{tmp}/given/jobs.db"], "given/jobs.db", [STATE]),
    ({"ORCHDSL_STORE": "{tmp}/env/jobs.db", "ORCHDSL_HOME": "home"}, [], "env/jobs.db",
     ["home", STATE]),
]


@pytest.mark.parametrize("env, flags, where, not_created", PLACES,
                         ids=["default", "XDG_STATE_HOME", "ORCHDSL_HOME",
                              "absolute ORCHDSL_HOME", "--store over ORCHDSL_HOME",
                              "absolute --store", "ORCHDSL_STORE"])
def test_the_store_is_where_store_or_orchdsl_home_say_owner_only(folder, write, env, flags,
                                                                 where, not_created):
    env = {k: v.format(tmp=folder) for k, v in env.items()}
    flags = [f.format(tmp=folder) for f in flags]
    write(GOOD)
    assert orchdsl("run", "job.orch", *flags, cwd=folder, env=env).code == 0
    store = folder / where
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.parent.stat().st_mode) == 0o700
    for name in not_created:
        assert not (folder / name).exists(), name
    db = sqlite3.connect(store)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA application_id").fetchone()[0] != 0
    db.close()
    listed = as_json(orchdsl("jobs", *flags, "--format", "json", cwd=folder, env=env))["jobs"]
    assert [(j["id"], j["state"]) for j in listed] == [(1, "success")]
    # the same history, whichever command reads it
    assert orchdsl("job", "1", *flags, cwd=folder, env=env).stdout.startswith('job 1 "Good"')


# --- files at the store's path that are not a store (7) --------------------------------------

NOT_A_STORE = [
    # what is at the path, words of the error
    (text_file, "not an SQLite database"),
    (foreign_database, "another program"),
    (newer_store, "newer orchdsl"),
]


@pytest.mark.parametrize("command", [["jobs"], ["job", "1"], ["logs", "1"], ["run", "job.orch"]],
                         ids=" ".join)
@pytest.mark.parametrize("make, words", NOT_A_STORE, ids=lambda x: getattr(x, "__name__", x))
def test_a_file_that_is_not_a_store_is_refused_and_left_as_it_was(folder, write, command, make,
                                                                  words):
    write(orch("Job", ("One", [f"a {stamp('a')}"])))
    path = folder / "jobs.db"
    make(path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = orchdsl(*command, "--store", "jobs.db", cwd=folder)
    assert (result.code, result.stdout) == (2, ""), result
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"orchdsl {command[0]}: error: jobs.db: ")
    assert words in result.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert starts(folder, "a") == []


# --- a runner killed mid-job (7: recovery) ---------------------------------------------------

CRASH = orch(
    "Crash",
    ("One", [f"done {stamp('done')}"]),
    ("Two", ["hang " + sh("test -e again && exit 0; echo $$ > hang.pid; touch hang.marker; "
                          "sleep 30")]))


def test_a_runner_killed_mid_job_leaves_a_job_the_next_command_terminates(folder, write):
    write(CRASH)
    store = folder / DEFAULT_STORE
    runner = subprocess.Popen([executable(), "run", "job.orch"], cwd=folder, env=environment(folder),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    task_group = None
    try:
        wait_for(lambda: (folder / "hang.marker").exists())
        task_group = int((folder / "hang.pid").read_text())
        # what the runner has recorded before the crash: the running task, once flushed
        wait_for(lambda: store_rows(store, "SELECT state FROM tasks WHERE name = 'hang'")
                 == [("running",)])
        before = store_rows(store, "SELECT id, state, created_at, started_at FROM jobs")
        assert [row[:2] for row in before] == [(1, "processing")] and before[0][3]
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(10)

        result = orchdsl("jobs", "--format", "json", cwd=folder)
        [job] = as_json(result)["jobs"]
        assert (job["id"], job["state"]) == (1, "terminated")
        assert (job["created_at"], job["started_at"]) == before[0][2:]
        assert job["finished_at"] is not None
        shown = as_json(orchdsl("job", "1", "--format", "json", cwd=folder))["job"]
        tasks = {t["name"]: t for t in shown["tasks"]}
        assert (tasks["done"]["state"], tasks["hang"]["state"]) == ("succeeded", "cancelled")
        [attempt] = tasks["hang"]["attempts"]
        assert attempt["started_at"] >= job["started_at"] and attempt["finished_at"] is not None
        assert "terminated" in orchdsl("jobs", cwd=folder).stdout.splitlines()[1]
    finally:
        for group in (task_group, runner.pid):
            if group is not None:
                try:
                    os.killpg(group, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        runner.wait(10)
    wait_for(lambda: not alive(task_group), timeout=5)

    # its cancelled task is what a re-run runs; the task that succeeded is not run again
    (folder / "again").touch()
    result = orchdsl("run", "job.orch", "--rerun", "1", cwd=folder)
    assert result.code == 0, result
    assert len(starts(folder, "done")) == 1
    rerun = as_json(orchdsl("job", "2", "--format", "json", cwd=folder))["job"]
    assert [(t["name"], t["state"]) for t in rerun["tasks"]] == [
        ("done", "skipped"), ("hang", "succeeded")]


# --- several runners on one store ------------------------------------------------------------

def test_four_runs_at_once_on_one_store_all_record_their_jobs_completely(folder, write):
    tasks = 25
    for n in range(4):
        write(orch(f"Job{n}", ("One", [f"t{i} " + sh("echo out") for i in range(tasks)]),
                   ("Two", [f"u{i} " + sh("true") for i in range(tasks)])), f"job{n}.orch")
    # the store exists already: this is about writers, not about creating the file
    SQLiteStore(str(folder / "shared.db")).close()
    runners = [subprocess.Popen([executable(), "run", f"job{n}.orch", "--store", "shared.db"],
                                cwd=folder, env=environment(folder), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE) for n in range(4)]
    outputs = [runner.communicate(timeout=60) for runner in runners]
    errors = [err.decode() for _, err in outputs]
    assert [runner.returncode for runner in runners] == [0, 0, 0, 0], errors
    assert not any("locked" in err for err in errors), errors
    jobs = as_json(orchdsl("jobs", "--store", "shared.db", "--format", "json", cwd=folder))["jobs"]
    assert sorted(j["id"] for j in jobs) == [1, 2, 3, 4]
    assert sorted(j["orchestration"] for j in jobs) == ["Job0", "Job1", "Job2", "Job3"]
    assert {j["state"] for j in jobs} == {"success"}
    for job in jobs:
        assert job["finished_at"] is not None
    db = sqlite3.connect(folder / "shared.db")
    counts = db.execute("SELECT job_id, count(*), sum(state = 'succeeded') FROM tasks "
                        "GROUP BY job_id ORDER BY job_id").fetchall()
    attempts = db.execute("SELECT job_id, count(*), count(finished_at), sum(stdout != '') "
                          "FROM attempts GROUP BY job_id ORDER BY job_id").fetchall()
    db.close()
    assert counts == [(i, 2 * tasks, 2 * tasks) for i in range(1, 5)]
    assert attempts == [(i, 2 * tasks, 2 * tasks, tasks) for i in range(1, 5)]


def test_logs_follow_prints_each_line_once_after_its_task_until_the_job_ends(folder, write):
    path = write(orch("Follow", ("One", ["a " + sh("echo first"), "b " + sh("sleep 1.5; echo second")]),
                      ("Two", ["c " + sh("echo third")])))
    runner = subprocess.Popen([executable(), "run", str(path)], cwd=folder, env=environment(folder),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: orchdsl("jobs", "--format", "json", cwd=folder).stdout.count('"id": 1'))
        followed = orchdsl("logs", "1", "--follow", cwd=folder, timeout=30)
    finally:
        runner.wait(timeout=30)
    assert followed.code == 0, followed.stderr
    assert followed.stdout.splitlines() == ["[a] first", "[b] second", "[c] third"]


@pytest.mark.parametrize("args, code, out, err", [
    (["jobs"], 0, "no jobs in {tmp}/" + DEFAULT_STORE + "\n", ""),
    (["job", "3"], 1, "", "orchdsl job: error: no job 3 in {tmp}/" + DEFAULT_STORE + "\n"),
    (["logs", "3"], 1, "", "orchdsl logs: error: no job 3 in {tmp}/" + DEFAULT_STORE + "\n"),
    (["jobs", "--store", "typo/x.db"], 2, "", "orchdsl jobs: error: no job store at typo/x.db\n"),
    (["job", "1", "--store", "typo.db"], 2, "", "orchdsl job: error: no job store at typo.db\n"),
], ids=lambda value: " ".join(value) if isinstance(value, list) else "")
def test_reading_a_history_that_does_not_exist_creates_nothing(tmp_path, args, code, out, err):
    result = orchdsl(*args, cwd=tmp_path, env={"ORCHDSL_HOME": ""})
    assert result == (code, out.format(tmp=tmp_path), err.format(tmp=tmp_path))
    assert list(tmp_path.iterdir()) == []
