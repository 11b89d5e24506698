"""The dashboard's pieces without a server (the fast tier): bind addresses and their rules,
CSRF checks, the Gantt's geometry, sparklines, and the store's job pages against its whole
jobs (a real SQLite file filled through the store's interface)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from orchdsl.model import Attempt, JobResult, JobState, TaskResult, TaskState, Trigger
from orchdsl.web.settings import SettingsError, parse_bind, settings_of

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, host, port, loopback", [
    ("127.0.0.1:8080", "127.0.0.1", 8080, True),
    ("127.0.0.2:0", "127.0.0.2", 0, True),
    ("localhost:9000", "localhost", 9000, True),
    ("[::1]:8080", "::1", 8080, True),
    ("0.0.0.0:8080", "0.0.0.0", 8080, False),
    (":8080", "0.0.0.0", 8080, False),
    ("[::]:80", "::", 80, False),
    ("dashboard.internal:8080", "dashboard.internal", 8080, False),
    ("192.168.1.5:8080", "192.168.1.5", 8080, False),
])
def test_bind_addresses(text, host, port, loopback):
    bind = parse_bind(text)
    assert (bind.host, bind.port, bind.loopback) == (host, port, loopback)


@pytest.mark.parametrize("text", ["8080", "host:", "host:http", "1.2.3.4:70000", "[::1]"])
def test_bad_bind_addresses(text):
    with pytest.raises(SettingsError, match="expected HOST:PORT"):
        parse_bind(text)


def test_a_bind_beyond_loopback_needs_a_token(tmp_path, monkeypatch):
    monkeypatch.delenv("ORCHDSL_UI_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="give --token TOKEN"):
        settings_of(str(tmp_path / "s.db"), [], "0.0.0.0:8080", None)
    assert settings_of(str(tmp_path / "s.db"), [], "0.0.0.0:8080", "long-enough").token
    monkeypatch.setenv("ORCHDSL_UI_TOKEN", "from-the-environment")
    assert settings_of(str(tmp_path / "s.db"), [], "0.0.0.0:8080", None).token == \
        "from-the-environment"


def test_served_files_are_the_only_files(tmp_path):
    (tmp_path / "a.orch").write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.orch").write_text("")
    (tmp_path / "notes.txt").write_text("")
    files = settings_of(str(tmp_path / "s.db"), [str(tmp_path)], "127.0.0.1:0", None).files
    assert sorted(files.paths()) == [str(tmp_path / "a.orch"), str(tmp_path / "sub/b.orch")]
    assert files.get(str(tmp_path / "a.orch")) == str(tmp_path / "a.orch")
    for other in (str(tmp_path / "notes.txt"), str(tmp_path / "sub/../a.orch"), "/etc/passwd",
                  "", None):
        assert files.get(other) is None


@pytest.mark.parametrize("given, headers, ok", [
    ("TOKEN", {"host": "127.0.0.1:8080"}, True),
    ("TOKEN", {"host": "127.0.0.1:8080", "origin": "http://127.0.0.1:8080"}, True),
    ("TOKEN", {"host": "127.0.0.1:8080", "origin": "http://evil.example"}, False),
    (None, {"host": "127.0.0.1:8080"}, False),
    ("0" * 64, {"host": "127.0.0.1:8080"}, False),
    ("\xff\u20ac", {"host": "127.0.0.1:8080"}, False),  # not ASCII: refused, no crash
])
def test_csrf(given, headers, ok):
    from orchdsl.web.security import csrf_ok, csrf_token

    key = b"k" * 32
    assert csrf_ok(key, csrf_token(key) if given == "TOKEN" else given, headers) is ok


def _task(name, phase, *spans, state=TaskState.SUCCEEDED):
    attempts = [Attempt(i + 1, T0 + timedelta(seconds=a), T0 + timedelta(seconds=b),
                        0 if i == len(spans) - 1 else 1) for i, (a, b) in enumerate(spans)]
    return TaskResult(name, phase, state, attempts)


def _job(*tasks, end=10.0):
    job = JobResult(1, "J", "/x.orch", Trigger.MANUAL, JobState.SUCCESS, T0,
                    T0 + timedelta(seconds=end))
    job.tasks = {t.name: t for t in tasks}
    return job


def test_gantt_bars_are_placed_on_the_jobs_span():
    from orchdsl.store.base import phase_spans_of
    from orchdsl.web.gantt import timeline

    job = _job(_task("a", "P", (0, 2.5)), _task("b", "P", (1, 2), (3, 5)),
               _task("c", "Q", (5, 10)))
    drawn = timeline(job, phase_spans_of(job.tasks.values()), now=T0)
    rows = {r.task.name: r for g in drawn.groups for r in g.rows}
    assert [(b.x, b.width, b.state) for b in rows["a"].bars] == [(0, 250, "succeeded")]
    assert [(b.x, b.width, b.state) for b in rows["b"].bars] == [(100, 100, "failed"),
                                                                 (300, 200, "succeeded")]
    assert [(p.span.name, p.bar.x, p.bar.width) for p in drawn.phases] == [("P", 0, 500),
                                                                           ("Q", 500, 500)]
    assert drawn.ticks[-1] == (1000, "+10.0s")
    assert rows["b"].took == "4.00s"
    assert "attempt 1: 2026-03-01 06:00:01 UTC to 2026-03-01 06:00:02 UTC, 1.00s, exit 1" == \
        rows["b"].bars[0].title


def test_a_running_attempt_reaches_now():
    from orchdsl.store.base import phase_spans_of
    from orchdsl.web.gantt import timeline

    task = TaskResult("a", "P", TaskState.RUNNING, [Attempt(1, T0 + timedelta(seconds=2))])
    job = _job(task)
    job.state, job.finished_at = JobState.PROCESSING, None
    drawn = timeline(job, phase_spans_of([task]), now=T0 + timedelta(seconds=4))
    [bar] = drawn.groups[0].rows[0].bars
    assert (bar.x, bar.width, bar.state) == (500, 500, "running")


def test_sparks_are_oldest_first_and_as_tall_as_the_jobs_took():
    from orchdsl.web.views import SPARK_HEIGHT, sparks

    jobs = [_job(end=s) for s in (10, 5, 20)]  # newest first
    for i, job in enumerate(jobs):
        job.job_id = 3 - i
    found = sparks(jobs)
    assert [s.job_id for s in found] == [1, 2, 3]
    assert [s.height for s in found] == [SPARK_HEIGHT, SPARK_HEIGHT / 4, SPARK_HEIGHT / 2]


@pytest.fixture
def big_store(tmp_path):
    from orchdsl.store.base import Changes, Runner
    from orchdsl.store.sqlite import SQLiteReader, SQLiteStore

    store = SQLiteStore(str(tmp_path / "s.db"))
    job = JobResult(0, "Big", "/x.orch", Trigger.MANUAL)
    for i in range(120):
        job.tasks[f"t{i:03d}"] = TaskResult(f"t{i:03d}", f"P{i // 50}")
    job.job_id = store.create_job(job, Runner("h", 1), "tok")
    changes = Changes(jobs=[job])
    for i, task in enumerate(job.tasks.values()):
        if i % 3:
            task.attempts = [Attempt(1, T0 + timedelta(seconds=i), T0 + timedelta(seconds=i + 2),
                                     i % 7 and 0 or 1)]
            task.state = TaskState.SUCCEEDED if i % 7 else TaskState.FAILED
        elif i % 2:
            task.attempts = [Attempt(1, T0 + timedelta(seconds=i))]
            task.state = TaskState.RUNNING
        changes.tasks.append((job.job_id, task))
        changes.attempts += [(job.job_id, task.name, a) for a in task.attempts]
    job.state, job.started_at = JobState.PROCESSING, T0
    store.write(changes)
    store.close()
    reader = SQLiteReader(str(tmp_path / "s.db"))
    yield reader, job.job_id
    reader.close()


@pytest.mark.parametrize("page", [dict(), dict(offset=40, limit=30), dict(phase="P1"),
                                  dict(state="failed"), dict(phase="P2", state="running"),
                                  dict(offset=500), dict(phase="none")])
def test_the_sqlite_job_page_is_the_whole_job_cut(big_store, page):
    """The store's own query against the interface's default (which cuts the whole job)."""
    from orchdsl.store.base import StoreReader, TaskPage

    reader, job_id = big_store
    query = TaskPage(**page)
    mine, count = reader.job_page(job_id, query)
    whole, expected = StoreReader.job_page(reader, job_id, query)
    assert count == expected
    assert list(mine.tasks) == list(whole.tasks)
    assert [t.attempts for t in mine.tasks.values()] == [t.attempts for t in whole.tasks.values()]
    assert reader.job_page(job_id + 1, query) is None


def test_the_sqlite_phase_spans_are_those_of_the_whole_job(big_store):
    from orchdsl.store.base import StoreReader

    reader, job_id = big_store
    spans = reader.phase_spans(job_id)
    assert spans == StoreReader.phase_spans(reader, job_id)
    assert [s.name for s in spans] == ["P0", "P1", "P2"]
    assert sum(s.tasks for s in spans) == 120 and all(s.running for s in spans)
