"""Notifications delivered to real servers on 127.0.0.1: an SMTP server (aiosmtpd) and an
HTTP server, with jobs run by the real engine and recorded in a real SQLite store.

Retry delays and timeouts are injected short (``RetryPolicy``) where a test is about logic;
their scale, not their rules, changes. Slack cannot be reached from here: see test_notify.py.
"""

from __future__ import annotations

import os
import time

import pytest

import store_view as view
import trio

import orchdsl
from jobfiles import sh, stamp
from notify_servers import HANG, SmtpServer
from orchdsl.notify import RetryPolicy, notifier_for
from jobrunner import JobUnderTest
from orchdsl.store import Changes
from orchdsl.model import JobState, Trigger
from orchdsl.store.sqlite import SQLiteStore

FAST = RetryPolicy(timeout_s=2.0, delays_s=(0.05, 0.05, 0.05))
SECRET = "hunter2-c0ffee"


@pytest.fixture
def store(tmp_path):
    opened = SQLiteStore(str(tmp_path / "orchdsl.db"))
    yield opened
    opened.close()


def run(path, *, trigger=Trigger.SCHEDULE, notify_me=(), store=None, env=None,
        policy=FAST, timeout=60):
    """Run the file's job with a notifier, as ``orchdsl run`` and the scheduler do; returns
    (job, notifier, seconds from start until the notifier was done)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ORCHDSL_")}
    environ.update({"TOKEN": SECRET, **(env or {})})
    plan = orchdsl.plan(str(path), environ=environ)
    notifier = notifier_for(plan, trigger, notify_me=notify_me, store=store, environ=environ,
                            policy=policy)
    engine = JobUnderTest(plan, store=store, notifier=notifier, trigger=trigger,
                          environ=environ)

    async def main():
        with trio.fail_after(timeout):
            return await engine.run()

    began = time.monotonic()
    job = trio.run(main)
    return job, notifier, time.monotonic() - began


def orch(*clauses: str, tasks: str = "", secret: bool = True) -> str:
    body = "\n    ".join(clauses)
    return (f'orchestration "Opportunities" {{\n    {"secret TOKEN" if secret else ""}\n'
            f'    {body}\n    phase "Extract" {{\n{tasks}\n    }}\n}}\n')


CRM_FAILS = "echo token is $TOKEN; echo line one >&2; echo failed with $TOKEN >&2; exit 3"
FAILING = f"        task crm extractor {sh(CRM_FAILS)}\n        task other {sh('true')}"
PASSING = f"        task crm {sh('true')}"


def slow(seconds: float) -> str:
    return f"        task crm {stamp('crm', seconds)}"


# --- e-mail -------------------------------------------------------------------------------------

def test_an_error_job_mails_exactly_the_error_recipients_once(write, smtp, store):
    path = write(orch('notify error to "a@example.com", "b@example.com"',
                      'notify error, warning to "a@example.com"',  # a second clause: still once
                      'notify success, fixed to "c@example.com"',
                      'notify warning to "d@example.com"', tasks=FAILING))
    job, notifier, _ = run(path, store=store, env={"ORCHDSL_SMTP_URL": smtp.url,
                                                   "ORCHDSL_MAIL_FROM": "robot@example.com"})
    assert job.state is JobState.ERROR
    assert smtp.recipients() == ["a@example.com", "b@example.com"]
    assert [m.sender for m in smtp.mails] == ["robot@example.com"] * 2
    mail = smtp.mails[0]
    assert mail.subject == "[orchdsl] Opportunities: error"
    assert mail.message["Auto-Submitted"] == "auto-generated"
    body = mail.body
    assert body.startswith("Opportunities: error\n\nJob 1 ended in error after ")
    assert ": task crm failed." in body
    assert "  crm (phase Extract): exit code 3\n    | line one\n    | failed with ***\n" in body
    assert "Details:   orchdsl job 1\nOutput:    orchdsl logs 1 crm\n" in body
    assert SECRET not in mail.message.as_string()
    # the two mails go out concurrently: recorded in the order they ended
    assert sorted((d["event"], d["target"], d["outcome"], d["attempts"])
                  for d in view.deliveries(store, 1)) == [("error", "a@example.com", "delivered", 1),
                                                    ("error", "b@example.com", "delivered", 1)]


def test_a_manual_run_tells_only_notify_me_never_the_files_targets(write, smtp, servers):
    hook = servers()
    path = write(orch(f'notify error to "ops@example.com", "{hook.url()}"', tasks=FAILING))
    job, notifier, _ = run(path, trigger=Trigger.MANUAL, notify_me=["me@example.com"],
                           env={"ORCHDSL_SMTP_URL": smtp.url})
    assert job.state is JobState.ERROR
    assert smtp.recipients() == ["me@example.com"]
    assert hook.requests == []


def test_notify_me_without_notify_clauses_hears_error_and_warning_but_not_success(write, smtp):
    warning = f"        task crm {sh('exit 1')} continue_on_failure"
    for tasks, expected in ((warning, ["[orchdsl] Opportunities: warning"]), (PASSING, [])):
        smtp.mails.clear()
        run(write(orch(tasks=tasks)), trigger=Trigger.MANUAL, notify_me=["me@example.com"],
            env={"ORCHDSL_SMTP_URL": smtp.url})
        assert [m.subject for m in smtp.mails] == expected


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_credentials_are_used_and_never_shown_or_stored(write, store):
    server = SmtpServer(users={"robot": "p@ss w0rd"})
    try:
        path = write(orch('notify error to "ops@example.com"', tasks=FAILING))
        good = f"smtp://robot:p%40ss%20w0rd@127.0.0.1:{server.port}"
        run(path, store=store, env={"ORCHDSL_SMTP_URL": good})
        assert server.recipients() == ["ops@example.com"]
        assert server.logins == [("robot", True)]
        bad = f"smtp://robot:wrong-secret@127.0.0.1:{server.port}"
        _, notifier, _ = run(path, store=store, env={"ORCHDSL_SMTP_URL": bad})
    finally:
        server.stop()
    [failure] = notifier.failures
    assert failure.attempts == 1  # refused credentials are not retried
    assert failure.error == f"smtp://***@127.0.0.1:{server.port} refused the login (SMTP 535)"
    rows = store.db.execute("SELECT * FROM deliveries").fetchall()
    assert len(rows) == 2
    assert not any("wrong-secret" in str(tuple(r)) or "w0rd" in str(tuple(r)) for r in rows)


def test_without_smtp_url_mail_is_undeliverable_and_the_job_unaffected(write, servers, store):
    hook = servers()
    path = write(orch(f'notify success to "ops@example.com", "{hook.url()}"', tasks=PASSING))
    job, notifier, _ = run(path, store=store)
    assert job.state is JobState.SUCCESS
    assert [(d.target, d.outcome.value, d.error) for d in notifier.failures] == [
        ("ops@example.com", "undeliverable", "ORCHDSL_SMTP_URL is not set: e-mail cannot be sent")]
    assert len(hook.requests) == 1
    assert view.job(store, 1)["state"] == "success"


def test_a_bad_smtp_url_is_one_clear_line_without_the_password(write):
    path = write(orch('notify success to "ops@example.com"', tasks=PASSING))
    _, notifier, _ = run(path, env={"ORCHDSL_SMTP_URL": "smtp://bob:topsecret@mail:99999"})
    [failure] = notifier.failures
    assert failure.error == ("ORCHDSL_SMTP_URL: invalid port in smtp://***@mail:99999; "
                             "expected smtp://[user:pass@]host[:port]")


def test_a_server_without_login_is_not_asked_again(write, smtp, store):
    # The URL has credentials, the server offers no AUTH (smtplib: SMTPNotSupportedError):
    # the same answer would come back, so one attempt only.
    path = write(orch('notify error to "a@example.com"', tasks=FAILING))
    run(path, store=store, env={"ORCHDSL_SMTP_URL": f"smtp://bob:pw@127.0.0.1:{smtp.port}"})
    [delivery] = view.deliveries(store, 1)
    assert (delivery["outcome"], delivery["attempts"]) == ("failed", 1)
    assert "AUTH" in delivery["error"] and "pw" not in delivery["error"].replace("AUTH", "")
    assert smtp.mails == []


# --- webhooks -----------------------------------------------------------------------------------

def test_a_webhook_answering_500_twice_then_200_gets_the_event_once_in_the_end(
        write, servers, store):
    hook = servers([500, 500, 200])
    path = write(orch(f'notify error to "{hook.url()}"', tasks=FAILING))
    job, notifier, _ = run(path, store=store)
    assert [r.answered for r in hook.requests] == [500, 500, 200]
    accepted = [r.json for r in hook.requests if r.answered == 200]
    assert [(d["event"], d["job_id"], d["status"]) for d in accepted] == [("error", 1, "error")]
    assert all(r.json == accepted[0] for r in hook.requests)  # the same event, retried
    assert hook.requests[0].headers["Content-Type"] == "application/json"
    assert [(d["outcome"], d["attempts"], d["error"]) for d in view.deliveries(store, 1)] == [
        ("delivered", 3, None)]
    assert job.state is JobState.ERROR


def test_the_webhook_document_has_the_keys_of_the_contract_and_no_secret(write, servers):
    hook = servers()
    path = write(orch(f'notify error to "{hook.url()}"', tasks=FAILING))
    run(path)
    [request] = hook.requests
    document = request.json
    assert list(document) == ["orchestration", "file", "job_id", "event", "status", "reason",
                              "started_at", "finished_at", "duration_s", "tasks"]
    assert document["orchestration"] == "Opportunities"
    assert document["file"] == str(path)
    assert document["started_at"].endswith("Z") and document["finished_at"].endswith("Z")
    assert document["tasks"] == [
        {"name": "crm", "phase": "Extract", "state": "failed", "attempts": 1, "exit_code": 3,
         "reason": "exit code 3"},
        {"name": "other", "phase": "Extract", "state": "succeeded", "attempts": 1,
         "exit_code": 0, "reason": None}]
    assert SECRET.encode() not in request.body


LEAKY_CALL = ("def go():\n"
              "    raise RuntimeError('auth failed for ' + __import__('os').environ['TOKEN'])\n")


@pytest.mark.parametrize("task, reason", [
    ('task crm extractor call "leaky:go"', "RuntimeError: auth failed for ***"),
    ('task crm extractor run ["/nonexistent/${TOKEN}"]', "/nonexistent/***"),
], ids=["a call raising with the secret", "a command path holding it"])
def test_the_webhook_document_gives_each_tasks_reason_masked(write, servers, task, reason,
                                                             monkeypatch):
    """Issue 13, item 29: the receiver can tell why a task failed, and never sees a secret."""
    monkeypatch.setenv("TOKEN", SECRET)  # a call runs in this process and reads its environment
    hook = servers()
    path = write(orch(f'notify error to "{hook.url()}"', tasks=f"        {task}"))
    (path.parent / "leaky.py").write_text(LEAKY_CALL)
    job, _, _ = run(path)
    assert job.state is JobState.ERROR
    [request] = hook.requests
    tasks = {t["name"]: t for t in request.json["tasks"]}
    assert reason in tasks["crm"]["reason"]
    assert SECRET.encode() not in request.body


def test_the_webhook_document_gives_the_jobs_reason(write, servers):
    hook = servers()
    path = write(orch(f'notify error to "{hook.url()}"', "timeout 1s",
                      tasks=f"        task crm {sh('sleep 30')}"))
    job, _, _ = run(path)
    [request] = hook.requests
    assert request.json["reason"] == job.reason == "job timed out after 1s"
    assert request.json["tasks"][0]["state"] == "cancelled" and request.json["tasks"][0]["reason"]


def test_a_webhook_that_never_answers_costs_its_timeouts_and_nothing_more(write, servers, store):
    """The attempt timeout (10 s in production, 0.4 s here) bounds each of the 4 attempts;
    the job's state and its second phase do not wait for any of them."""
    hook = servers([HANG])
    policy = RetryPolicy(timeout_s=0.4, delays_s=(0.1, 0.2, 0.4))
    path = write(f'''orchestration "Opportunities" {{
    notify processing after 100ms to "{hook.url()}"
    notify success to "{hook.url()}"
    phase "One" {{ task one {stamp("one", 0.6)} }}
    phase "Two" {{ task two {stamp("two", 0)} }}
}}
''')
    job, notifier, took = run(path, store=store, policy=policy)
    assert job.state is JobState.SUCCESS
    assert job.duration_s < 1.5  # phase Two started while the webhook hung
    assert len(hook.requests) == 8  # processing and success, 4 attempts each
    assert {(d.event.value, d.outcome.value, d.attempts, d.error) for d in notifier.failures} == {
        ("processing", "failed", 4, "no answer within 0.4s"),
        ("success", "failed", 4, "no answer within 0.4s")}
    assert policy.bound_s == pytest.approx(2.3)
    assert took < job.duration_s + policy.bound_s + 1.5  # waited for its deliveries, bounded
    assert view.job(store, 1)["state"] == "success"


def test_an_unreachable_webhook_is_retried_and_recorded_as_failed(write, store):
    url = "http://127.0.0.1:9/hook"  # discard port: nothing listens
    path = write(orch(f'notify error to "{url}"', tasks=FAILING, secret=True))
    job, notifier, _ = run(path, store=store)
    assert job.state is JobState.ERROR
    [row] = view.deliveries(store, 1)
    assert (row["outcome"], row["attempts"], row["target"]) == ("failed", 4, url)
    assert row["error"].startswith("ConnectError: ")


def test_a_webhook_answering_404_is_not_retried(write, servers):
    hook = servers([404])
    _, notifier, _ = run(write(orch(f'notify error to "{hook.url()}"', tasks=FAILING)))
    assert len(hook.requests) == 1
    assert [(d.attempts, d.error) for d in notifier.failures] == [(1, "HTTP 404 Not Found")]


# --- processing and fixed -----------------------------------------------------------------------

def test_processing_fires_once_after_its_after_while_the_job_runs(write, servers):
    hook = servers()
    path = write(orch(f'notify processing after 200ms to "{hook.url()}"', tasks=slow(1.2),
                      secret=False))
    job, _, _ = run(path)
    [request] = hook.requests
    document = request.json
    assert (document["event"], document["status"], document["finished_at"]) == (
        "processing", "processing", None)
    assert 0.1 < document["duration_s"] < 1.0
    assert document["tasks"][0]["state"] == "running"


def test_processing_does_not_fire_for_a_job_done_before_its_after(write, servers):
    hook = servers()
    run(write(orch(f'notify processing after 2s to "{hook.url()}"', tasks=slow(0.1),
                   secret=False)))
    time.sleep(0.2)
    assert hook.requests == []


def history(store, path, durations, state=JobState.SUCCESS):
    """Jobs of ``path`` that took ``durations`` seconds, as if run before."""
    from datetime import datetime, timedelta, timezone

    from orchdsl.model import JobResult

    start = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
    for seconds in durations:
        job = JobResult(0, "Opportunities", str(path), Trigger.SCHEDULE, state=state,
                        started_at=start, finished_at=start + timedelta(seconds=seconds))
        job.job_id = view.create(store, job)
        store.write(Changes(jobs=[job]))


@pytest.mark.parametrize("durations, fires", [
    ([0.3, 0.3, 0.3], True),  # usual 0.3 s: 1.2 x 0.3 = 0.36 s, the job takes 1.2 s
    ([0.3, 0.3], False),  # two successful jobs are too few to know what is usual
    ([5, 5, 5], False),  # slower than usual only after 6 s
])
def test_processing_without_after_fires_when_slower_than_usual(write, servers, store,
                                                              durations, fires):
    hook = servers()
    path = write(orch(f'notify processing to "{hook.url()}"', tasks=slow(1.2), secret=False))
    history(store, path, durations)
    history(store, path, [0.01] * 3, state=JobState.ERROR)  # failed jobs do not count
    run(path, store=store)
    assert [r.json["event"] for r in hook.requests] == (["processing"] if fires else [])


def test_fixed_fires_on_the_first_success_after_a_job_that_did_not_succeed(write, servers, store):
    fixed, success, both = servers(), servers(), servers()
    clauses = (f'notify fixed to "{fixed.url()}", "{both.url()}"',
               f'notify success to "{success.url()}", "{both.url()}"')
    failing, passing = orch(*clauses, tasks=FAILING), orch(*clauses, tasks=PASSING)
    path = write(passing)
    run(path, store=store)  # 1: success, the first job: fixes nothing
    write(failing)
    run(path, store=store)  # 2: error
    write(passing)
    run(path, store=store)  # 3: success after an error: fixed
    run(path, store=store)  # 4: success after a success
    events = lambda hook: [(r.json["job_id"], r.json["event"]) for r in hook.requests]  # noqa: E731
    assert events(fixed) == [(3, "fixed")]
    assert events(success) == [(1, "success"), (3, "success"), (4, "success")]
    assert events(both) == [(1, "success"), (3, "fixed"), (4, "success")]  # once per job


def test_a_task_echoing_a_secret_yields_notifications_without_it(write, smtp, servers, store):
    hook, slack_like = servers(), servers()
    with_token = slack_like.url("/x?token=${TOKEN}")
    path = write(orch(f'notify error to "ops@example.com", "{hook.url()}"',
                      f'notify error to "{with_token}"', tasks=FAILING))
    run(path, store=store, env={"ORCHDSL_SMTP_URL": smtp.url})
    assert "***" in smtp.mails[0].body and SECRET not in smtp.mails[0].message.as_string()
    assert SECRET.encode() not in hook.requests[0].body
    # a secret in a target is sent (the URL needs it) but never shown or stored
    assert slack_like.requests[0].path == f"/x?token={SECRET}"
    rows = [tuple(r) for r in store.db.execute("SELECT * FROM deliveries")]
    assert len(rows) == 3 and SECRET not in str(rows)
    assert f"http://127.0.0.1:{slack_like.port}/x?token=***" in str(rows)


def test_a_cancelled_job_notifies_nobody(write, servers):
    hook = servers()
    path = write(orch(f'notify error, warning, success to "{hook.url()}"', tasks=slow(5),
                      secret=False))
    plan = orchdsl.plan(str(path))
    notifier = notifier_for(plan, Trigger.SCHEDULE, policy=FAST)
    engine = JobUnderTest(plan, notifier=notifier, trigger=Trigger.SCHEDULE)

    async def main():
        async with trio.open_nursery() as nursery:
            nursery.start_soon(engine.run)
            await trio.sleep(0.3)
            engine.cancel("SIGTERM")

    trio.run(main)
    assert engine.job.state is JobState.CANCELLED
    assert hook.requests == [] and notifier.deliveries == []


def test_the_python_api_notifies_notify_me_and_waits_for_it(write, servers):
    hook = servers()
    path = write(orch(tasks=FAILING))
    job = orchdsl.run(str(path), notify_me=[hook.url()], environ={**os.environ, "TOKEN": SECRET})
    assert job.state is JobState.ERROR
    assert [r.json["event"] for r in hook.requests] == ["error"]  # delivered before it returned
    with pytest.raises(ValueError, match='notify_me: "nobody" is neither an e-mail address'):
        orchdsl.run(str(path), notify_me=["nobody"])
