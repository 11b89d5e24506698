"""The PostgreSQL store itself (orchdsl.store.postgres) against a real server: URLs, the
schema made once however many processes start at once, a newer or foreign schema refused and
left alone, errors in one line that never show the password, the extra missing.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import run_isolated
from orchdsl.store import StoreError, open_reader, open_store, shown_location
from orchdsl.store.locations import kind_of, postgres_target
from orchdsl.store.schema import VERSION
from pg_server import free_port, pg_server, pg_url  # noqa: F401 (fixtures)


ONE_TASK = 'orchestration "A" {\n    phase "P" { task t run "true" }\n}\n'


def database_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


@pytest.mark.parametrize("url, shown", [
    ("postgresql://app:s3cret@db:5432/jobs", "postgresql://app:***@db:5432/jobs"),
    ("postgresql://app:p@ss/w?rd@db/jobs", "postgresql://app:***@db/jobs"),
    ("postgres://app@db/jobs", "postgres://app@db/jobs"),
    ("postgresql://db/jobs?sslmode=require&password=x1",
     "postgresql://db/jobs?sslmode=require&password=***"),
    ("/var/lib/orchdsl/jobs.db", "/var/lib/orchdsl/jobs.db"),
])
def test_a_store_url_is_shown_without_its_password(url, shown):
    assert shown_location(url) == shown


@pytest.mark.parametrize("location, kind, target", [
    ("/var/lib/orchdsl/jobs.db", "sqlite", "/var/lib/orchdsl/jobs.db"),
    ("sqlite:///var/lib/orchdsl/jobs.db", "sqlite", "/var/lib/orchdsl/jobs.db"),
    ("postgres://db/jobs", "postgresql", "postgres://db/jobs"),
])
def test_a_store_location_is_a_file_a_sqlite_url_or_a_postgresql_url(location, kind, target):
    assert kind_of(location) == (kind, target)


def test_a_sqlite_url_is_a_store_for_every_command(tmp_path):
    (tmp_path / "a.orch").write_text(ONE_TASK)
    url = f"sqlite://{tmp_path / 'jobs.db'}"
    assert run_isolated("run", "a.orch", "--store", url, cwd=tmp_path).code == 0
    listed = run_isolated("jobs", "--store", url, cwd=tmp_path)
    assert listed.stdout.splitlines()[1].split()[:2] == ["1", "success"]
    assert (tmp_path / "jobs.db").exists()
    relative = run_isolated("jobs", "--store", "sqlite://jobs.db", cwd=tmp_path)
    assert relative.code == 2 and "sqlite:///ABSOLUTE/PATH" in relative.stderr


@pytest.mark.parametrize("url, params", [
    ("postgresql://app:s%40cret@db.internal:6543/my%20jobs",
     {"host": "db.internal", "port": 6543, "user": "app", "password": "s@cret",
      "dbname": "my jobs"}),
    ("postgresql://app:p@ss/w?rd@db/jobs?sslmode=verify-full",
     {"host": "db", "user": "app", "password": "p@ss/w?rd", "dbname": "jobs",
      "sslmode": "verify-full"}),
    ("postgresql://[::1]/jobs", {"host": "::1", "dbname": "jobs"}),
])
def test_a_store_url_gives_the_servers_connection_parameters(url, params):
    assert postgres_target(url).params == params


@pytest.mark.parametrize("url, words", [
    ("postgresql://app:s3cret@db", "names no database"),
    ("postgresql://app:s3cret@db:port/jobs", "not a PostgreSQL URL"),
])
def test_a_bad_store_url_is_refused_without_its_password(url, words):
    with pytest.raises(StoreError) as error:
        open_store(url)
    assert words in str(error.value) and "s3cret" not in str(error.value)


def test_the_schema_is_made_once_when_several_processes_start_at_once(pg_server, pg_url):
    script = ("import sys\nfrom orchdsl.store import open_store\n"
              "open_store(sys.argv[1]).close()\nprint('ok')\n")
    starters = [subprocess.Popen([sys.executable, "-c", script, pg_url], text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(6)]
    for starter in starters:
        out, err = starter.communicate(timeout=120)
        assert (starter.returncode, out, err) == (0, "ok\n", "")
    assert pg_server.sql(database_of(pg_url), "SELECT key, value FROM orchdsl.meta ORDER BY key"
                         ) == [("application", "orchdsl job store"),
                               ("schema_version", str(VERSION))]


def test_a_store_of_a_newer_orchdsl_is_refused_and_left_alone(pg_server, pg_url):
    open_store(pg_url).close()
    database = database_of(pg_url)
    pg_server.sql(database, "UPDATE orchdsl.meta SET value = %s WHERE key = 'schema_version'",
                  (str(VERSION + 1),))
    for opener in (open_store, open_reader):
        with pytest.raises(StoreError) as error:
            opener(pg_url)
        assert f"written by a newer orchdsl (schema {VERSION + 1}, this one knows {VERSION})" \
            in str(error.value)
        assert pg_server.password not in str(error.value)
    assert pg_server.sql(database, "SELECT value FROM orchdsl.meta WHERE key = "
                         "'schema_version'") == [(str(VERSION + 1),)]


def test_a_schema_named_orchdsl_of_another_program_is_refused_and_left_alone(pg_server,
                                                                           pg_url):
    database = database_of(pg_url)
    pg_server.sql(database, "CREATE SCHEMA orchdsl; CREATE TABLE orchdsl.jobs (x int)")
    with pytest.raises(StoreError) as error:
        open_store(pg_url)
    assert "belongs to another program, not an orchdsl job store" in str(error.value)
    assert pg_server.sql(database, "SELECT tablename FROM pg_tables WHERE schemaname = "
                         "'orchdsl'") == [("jobs",)]


def test_a_reader_of_a_database_without_a_store_creates_nothing(pg_server, pg_url):
    reader = open_reader(pg_url)
    assert reader.jobs() == [] and reader.job(1) is None and reader.unfinished() == []
    reader.close()
    assert pg_server.sql(database_of(pg_url), "SELECT count(*) FROM pg_namespace WHERE "
                         "nspname = 'orchdsl'") == [(0,)]


def test_a_wrong_password_an_unknown_database_and_no_server_are_one_line_errors(
        tmp_path, pg_server, pg_url):
    (tmp_path / "a.orch").write_text(ONE_TASK)
    database = database_of(pg_url)
    cases = [
        (pg_server.url(database, password="wrong-pw-123"), "password authentication failed"),
        (pg_server.url("no_such_db"), "database \"no_such_db\" does not exist"),
        (f"postgresql://orchdsl:{pg_server.password}@127.0.0.1:{free_port()}/{database}",
         "cannot connect to the job store"),
    ]
    for url, words in cases:
        for args in (("run", "a.orch"), ("jobs",), ("scheduler", "a.orch")):
            result = run_isolated(*args, "--store", url, cwd=tmp_path, timeout=60)
            assert result.code == 2, (args, result)
            assert result.stdout == ""
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
            assert words in result.stderr and shown_location(url) in result.stderr
            for secret in (pg_server.password, "wrong-pw-123"):
                assert secret not in result.stderr


def test_without_psycopg_a_postgresql_store_is_a_one_line_error(tmp_path, pg_url):
    # psycopg is installed here: a package that fails to import stands in for its absence
    # (the only stand-in of this file).
    fake = tmp_path / "site" / "psycopg"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError(\"No module named 'psycopg'\")\n")
    result = run_isolated("jobs", "--store", pg_url, cwd=tmp_path,
                          env={"PYTHONPATH": str(fake.parent)})
    assert result.code == 2
    assert result.stderr == ("orchdsl jobs: error: a PostgreSQL store needs psycopg 3, the "
                             "postgres extra: pip install 'orchdsl[postgres]'\n")


def test_a_lost_connection_is_made_again_at_the_next_use(pg_server, pg_url):
    store = open_store(pg_url)
    database = database_of(pg_url)
    pg_server.sql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                  "datname = %s AND pid <> pg_backend_pid()", (database,))
    with pytest.raises(StoreError) as error:
        store.jobs()  # the connection it had is gone: told, in one line
    assert pg_server.password not in str(error.value)
    assert store.jobs() == []  # and made again
    store.close()


def test_a_task_that_prints_nul_is_recorded(tmp_path, pg_url):
    (tmp_path / "nul.orch").write_text(
        'orchestration "Nul" {\n    phase "P" { task t run ["printf", "a\\\\0b"] }\n}\n')
    ran = run_isolated("run", "nul.orch", "--store", pg_url, cwd=tmp_path)
    assert ran.code == 0, ran.stderr
    logs = run_isolated("logs", "1", "--store", pg_url, "--raw", cwd=tmp_path)
    assert "a\0b" in logs.stdout, logs  # every byte, in the log



def _same_records(store) -> dict:
    """Write the same jobs through the store's interface, with fixed times, and read back
    everything each read method gives."""
    from dataclasses import asdict, replace
    from datetime import datetime, timezone

    from orchdsl.model import Attempt, Delivery, JobResult, JobState, TaskResult, TaskState, \
        Trigger
    from orchdsl.store import JobQuery
    from orchdsl.store.base import Changes, Prune, TaskPage
    from orchdsl.store.recovery import this_runner

    t = [datetime(2027, 5, 1, 6, 0, s, 250_000, tzinfo=timezone.utc) for s in range(40)]
    ids = []
    for n in range(3):
        job = JobResult(0, "Same", "/srv/same.orch", Trigger.SCHEDULE, fire_time=t[n],
                        params=(("day", f"2027-05-0{n + 1}"),), selection=("--only", "a*"))
        for name, phase in (("a", "One"), ("b", "One"), ("c", "Two")):
            job.tasks[name] = TaskResult(name, phase, continue_on_failure=name == "b")
        job.job_id = store.create_job(job, this_runner(), f"token-{n}")
        ids.append(job.job_id)
        job.state, job.started_at = JobState.PROCESSING, t[n + 1]
        attempts = []
        for i, task in enumerate(job.tasks.values()):
            first = Attempt(1, t[10 + i], t[11 + i], 1 if task.name == "b" else 0,
                            "exit code 1" if task.name == "b" else None, f"out {task.name}\n",
                            "", None, {"rows": "12"}, "host-1", None)
            task.attempts.append(first)
            task.state = TaskState.FAILED if task.name == "b" else TaskState.SUCCEEDED
            attempts.append((job.job_id, task.name, first))
        instances = [TaskResult("c.eu", "Two", TaskState.SUCCEEDED, instance_of="c"),
                     TaskResult("c.us", "Two", TaskState.SUCCEEDED, instance_of="c")]
        store.write(Changes(jobs=[job], tasks=[(job.job_id, x) for x in job.tasks.values()
                                                if x.name != "c"],
                            attempts=[a for a in attempts if a[1] != "c"],
                            expansions=[(job.job_id, "c", instances)]))
        job.state, job.finished_at = JobState.WARNING, t[30 + n]
        store.write(Changes(jobs=[job]))
        store.append_logs([(job.job_id, "a", 1, t[12].isoformat(), 6, b"x\x9c\x03\x00\x00\x00"
                                                                     b"\x00\x01")])
        store.record_delivery(job.job_id, Delivery("warning", "https://hooks.example.com/***",
                                                   "delivered", 1, None, t[35]))
    store.record_skipped_fire("Same", "/srv/same.orch", "abc", "skipped: because", t[20])
    store.record_fire("/srv/same.orch", "0 6 * * *", t[5])

    def plain(value):
        """As dicts, without what the store stamps with its own clock (when a job was made
        or skipped, when a delivery was recorded)."""
        found = asdict(value) if hasattr(value, "__dataclass_fields__") else value
        if isinstance(found, dict):
            stamped = {"created_at", "at"} | ({"finished_at"} if found.get("state") is
                                              JobState.SKIPPED else set())
            return {k: plain(v) for k, v in found.items() if k not in stamped}
        if isinstance(found, (list, tuple)):
            return [plain(v) for v in found]
        return found

    page = store.job_page(ids[1], TaskPage(offset=1, limit=2))
    return plain({
        "jobs": store.jobs(JobQuery(limit=50)), "skipped": store.jobs(JobQuery(state="skipped")),
        "job": [store.job(i) for i in ids], "page": [page[0], page[1]],
        "spans": store.phase_spans(ids[0]), "previous": store.previous_job("/srv/same.orch", 3),
        "durations": store.success_durations("/srv/same.orch"),
        "fires": sorted(store.succeeded_fires("/srv/same.orch").items()),
        "last": store.last_fire("/srv/same.orch", "0 6 * * *"),
        "logs": [(c.id, c.task, c.attempt) for c in store.logs(ids[0])],
        "cancel": [store.request_cancel(ids[0], "me"), store.cancel_requests(ids)],
        "prune": [replace(j, created_at=None) for j in store.prune(Prune(keep_last=1))],
        "after": store.jobs(JobQuery(limit=50))})


def test_the_same_writes_read_back_the_same_on_sqlite_and_postgresql(tmp_path, pg_url):
    sqlite, postgres = open_store(str(tmp_path / "jobs.db")), open_store(pg_url)
    try:
        on_sqlite, on_postgres = _same_records(sqlite), _same_records(postgres)
    finally:
        sqlite.close()
        postgres.close()
    assert on_postgres == on_sqlite
    assert [j["job_id"] for j in on_postgres["after"]] == [4]  # the newest of the file
    assert [t["name"] for t in on_postgres["job"][0]["tasks"].values()] == ["a", "b", "c.eu",
                                                                            "c.us"]
    assert on_postgres["page"][1] == 4 and on_postgres["spans"][1]["tasks"] == 2
