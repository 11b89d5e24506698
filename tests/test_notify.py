"""Notifications as data: which events a job yields, who hears them, what the e-mail and the
webhook documents say, the SMTP URL, retries (trio's autojump clock), the store's records.

Slack (https://hooks.slack.com/...) cannot be reached from here: its payload is checked
directly and its delivery through an httpx.MockTransport (the only mocked transport)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import httpx
import pytest

import store_view as view
import trio
import trio.testing

import orchdsl
from jobfiles import sh
from orchdsl.notify import RetryPolicy, notifier_for, shown_target, target_problems
from orchdsl.notify.delivery import DeliveryError, attempt_with_retries
from orchdsl.notify.events import Event, end_events, processing_delay, usual_limit
from orchdsl.notify.mail import MailConfigError, SmtpSettings, body, parse_smtp_url, subject
from orchdsl.notify.summary import Summary, TaskSummary
from orchdsl.notify.targets import Subscription, subscriptions
from orchdsl.notify.webhook import body_for, payload, slack_payload
from jobrunner import JobUnderTest
from orchdsl.model import Delivery
from orchdsl.store import Changes
from orchdsl.model import JobResult, JobState, Trigger
from orchdsl.store.schema import MIGRATIONS
from orchdsl.store.sqlite import SQLiteStore

E = Event
T0 = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)

# --- events (LANGUAGE.md 3, 5.5) ------------------------------------------------------------


@pytest.mark.parametrize("state, previous, events", [
    (JobState.ERROR, None, (E.ERROR,)),
    (JobState.WARNING, JobState.SUCCESS, (E.WARNING,)),
    (JobState.SUCCESS, None, (E.SUCCESS,)),  # the first job fixes nothing
    (JobState.SUCCESS, JobState.SUCCESS, (E.SUCCESS,)),
    (JobState.SUCCESS, JobState.ERROR, (E.SUCCESS, E.FIXED)),
    (JobState.SUCCESS, JobState.WARNING, (E.SUCCESS, E.FIXED)),  # a warning did not succeed
    (JobState.SUCCESS, JobState.CANCELLED, (E.SUCCESS, E.FIXED)),
    (JobState.SUCCESS, JobState.TERMINATED, (E.SUCCESS, E.FIXED)),
    (JobState.ERROR, JobState.ERROR, (E.ERROR,)),
    (JobState.CANCELLED, JobState.SUCCESS, ()),  # stopped on purpose: nobody is told
    (JobState.TERMINATED, None, ()),
])
def test_end_events(state, previous, events):
    assert end_events(state, previous) == events


@pytest.mark.parametrize("durations, limit", [
    ([], None),
    ([10, 10], None),  # fewer than 3 successful jobs: nothing is usual yet
    ([10, 10, 10], 12.0),
    ([10, 20, 30], 24.0),
    ([10] * 20 + [1000] * 5, 12.0),  # only the last 20 (newest first) count
])
def test_usual_limit_is_1_2_times_the_mean_of_the_last_20_successes(durations, limit):
    assert usual_limit(durations) == (pytest.approx(limit) if limit is not None else None)


@pytest.mark.parametrize("afters, usual, delay", [
    ((), 12.0, None),
    ((60.0,), None, 60.0),
    ((None,), None, None),  # no history, no after: processing never fires
    ((None,), 12.0, 12.0),
    ((60.0, None), 12.0, 12.0),  # the earliest of the clauses naming the target
    ((5.0, None), 12.0, 5.0),
])
def test_processing_delay(afters, usual, delay):
    assert processing_delay(afters, usual) == delay


# --- targets (5.5, 7) ------------------------------------------------------------------------

FILE = '''orchestration "Opportunities" {
    secret TOKEN
    param team = "data"
    notify error, warning to "ops@example.com", "https://hooks.example.com/${team}"
    notify error to "ops@example.com"
    notify processing after 30m to "ops@example.com"
    notify success to "https://hooks.slack.com/services/T0/B0/${TOKEN}"
    phase "P" { task a run "true" }
}
'''
BARE = 'orchestration "Bare" { phase "P" { task a run "true" } }\n'
ONLY_PROCESSING = '''orchestration "Slow" {
    notify processing to "ops@example.com"
    phase "P" { task a run "true" }
}
'''


def subs(write_orch, text, trigger, notify_me=(), nested=False):
    plan = orchdsl.plan(str(write_orch(text)), environ={"TOKEN": "tok-123"})
    values = {**dict(plan.params), "TOKEN": "tok-123"}
    return subscriptions(plan.notifications, trigger, notify_me, values=values,
                         environ={}, nested=nested)


@pytest.mark.parametrize("text, trigger, notify_me, expected", [
    (FILE, Trigger.SCHEDULE, (), [
        Subscription("ops@example.com", frozenset({E.ERROR, E.WARNING, E.PROCESSING}),
                     (1800.0,)),
        Subscription("https://hooks.example.com/data", frozenset({E.ERROR, E.WARNING})),
        Subscription("https://hooks.slack.com/services/T0/B0/tok-123", frozenset({E.SUCCESS})),
    ]),
    # manual runs and re-runs: only --notify-me, with every event the file names
    (FILE, Trigger.MANUAL, ("me@example.com",), [
        Subscription("me@example.com", frozenset(E) - {E.FIXED}, (1800.0,))]),
    (FILE, Trigger.RERUN, ("https://me.example.com/h",), [
        Subscription("https://me.example.com/h", frozenset(E) - {E.FIXED}, (1800.0,))]),
    (FILE, Trigger.MANUAL, (), []),
    # a file without notify clauses: error and warning
    (BARE, Trigger.MANUAL, ("me@example.com",), [
        Subscription("me@example.com", frozenset({E.ERROR, E.WARNING}))]),
    (BARE, Trigger.SCHEDULE, (), []),
    (ONLY_PROCESSING, Trigger.MANUAL, ("me@example.com",), [
        Subscription("me@example.com", frozenset({E.PROCESSING}), (None,))]),
    # the same address twice is one target
    (BARE, Trigger.MANUAL, ("me@example.com", "me@example.com"), [
        Subscription("me@example.com", frozenset({E.ERROR, E.WARNING}))]),
])
def test_who_hears_about_a_job(write_orch, text, trigger, notify_me, expected):
    assert list(subs(write_orch, text, trigger, notify_me)) == expected


def test_a_nested_job_notifies_nobody(write_orch):
    assert subs(write_orch, FILE, Trigger.SCHEDULE, ("me@example.com",), nested=True) == ()


@pytest.mark.parametrize("target, shown", [
    ("ops@example.com", "ops@example.com"),
    ("https://hooks.example.com/orch", "https://hooks.example.com/orch"),
    ("https://user:pw@hooks.example.com:8443/orch", "https://***@hooks.example.com:8443/orch"),
    ("https://hooks.example.com/h?token=abc&x=1", "https://hooks.example.com/h?token=***&x=***"),
    ("https://hooks.slack.com/services/T0/B0/abcdef", "https://hooks.slack.com/services/T0/B0/***"),
    ("http://[::1]:8080/h", "http://[::1]:8080/h"),
])
def test_targets_are_shown_without_credentials_or_tokens(target, shown):
    assert shown_target(target) == shown


@pytest.mark.parametrize("targets, problems", [
    (["me@example.com", "https://hooks.example.com/x"], []),
    (["me at example.com"], ['"me at example.com" is neither an e-mail address nor an http(s) URL']),
    (["ftp://example.com/x"], ['webhook "ftp://example.com/x" must use http:// or https://']),
])
def test_notify_me_targets_are_checked_like_lint_e105(targets, problems):
    assert target_problems(targets) == problems


# --- the SMTP URL (7) ------------------------------------------------------------------------

@pytest.mark.parametrize("url, settings", [
    ("smtp://mail.example.com", SmtpSettings("mail.example.com", 25)),
    ("smtp://mail.example.com:2525", SmtpSettings("mail.example.com", 2525)),
    ("smtp://u:p@mail.example.com?starttls=true",
     SmtpSettings("mail.example.com", 587, starttls=True, username="u", password="p")),
    ("smtps://robot%40example.com:p%2Fw@mail.example.com",
     SmtpSettings("mail.example.com", 465, tls=True, username="robot@example.com",
                  password="p/w")),
    ("smtp://127.0.0.1:1025?starttls=false", SmtpSettings("127.0.0.1", 1025)),
])
def test_smtp_urls(url, settings):
    assert parse_smtp_url(url) == settings


@pytest.mark.parametrize("url, message", [
    ("http://u:secret1@mail", 'ORCHDSL_SMTP_URL: "http://***@mail" must start with smtp:// or '
                              'smtps://'),
    ("smtp://u:secret1@:25", 'ORCHDSL_SMTP_URL: "smtp://***@:25" names no host'),
    ("smtp://u:secret1@mail:x", "ORCHDSL_SMTP_URL: invalid port in smtp://***@mail:x; expected "
                                "smtp://[user:pass@]host[:port]"),
    ("smtp://mail?tls=1", 'ORCHDSL_SMTP_URL: unknown option "tls" (known: starttls)'),
    ("smtp://mail?starttls=maybe", 'ORCHDSL_SMTP_URL: starttls must be true or false, got "maybe"'),
    ("smtps://mail?starttls=true", "ORCHDSL_SMTP_URL: smtps:// is TLS already; starttls=true is "
                                   "for smtp://"),
])
def test_bad_smtp_urls_are_one_line_without_the_password(url, message):
    with pytest.raises(MailConfigError) as error:
        parse_smtp_url(url)
    assert str(error.value) == message
    assert "secret1" not in str(error.value) and "\n" not in str(error.value)


def test_smtp_settings_never_show_the_password():
    settings = parse_smtp_url("smtp://robot:hunter22@mail:587?starttls=true")
    assert settings.shown == "smtp://***@mail:587?starttls=true"
    assert "hunter22" not in repr(settings)
    assert settings.credentials == ("hunter22",)


# --- what a notification says ------------------------------------------------------------------

def summary(event=E.ERROR, status="error", **changes) -> Summary:
    values = dict(
        event=event, orchestration="Opportunities", description="CRM data to Tableau",
        file="/srv/opportunities.orch", job_id=12, trigger="schedule", status=status,
        reason=None, started_at=T0, finished_at=T0 + timedelta(seconds=65.25),
        duration_s=65.25, tasks=(
            TaskSummary("user_levels", "Extract", "succeeded", 1, 0, None, ()),
            TaskSummary("crm", "Extract", "failed", 3, 2, "exit code 2",
                        ("Traceback (most recent call last):", "ValueError: <bad> & worse")),
            TaskSummary("tableau", "Write", "skipped", 0, None, "not reached", ())))
    values.update(changes)
    return Summary(**values)


def test_the_webhook_document_has_exactly_the_keys_of_the_contract():
    assert payload(summary()) == {
        "orchestration": "Opportunities", "file": "/srv/opportunities.orch", "job_id": 12,
        "event": "error", "status": "error", "reason": None,
        "started_at": "2026-11-02T06:00:00.000Z",
        "finished_at": "2026-11-02T06:01:05.250Z", "duration_s": 65.25,
        "tasks": [
            {"name": "user_levels", "phase": "Extract", "state": "succeeded", "attempts": 1,
             "exit_code": 0, "reason": None},
            {"name": "crm", "phase": "Extract", "state": "failed", "attempts": 3, "exit_code": 2,
             "reason": "exit code 2"},
            {"name": "tableau", "phase": "Write", "state": "skipped", "attempts": 0,
             "exit_code": None, "reason": "not reached"}]}


def test_slack_targets_get_slacks_text_payload_escaped():
    assert slack_payload(summary()) == {"text": (
        ":x: *Opportunities*: error\n"
        "Job 12 ended in error after 1m5s: task crm failed.\n"
        "• crm (phase Extract) exit code 2: `ValueError: &lt;bad&gt; &amp; worse`\n"
        "`orchdsl job 12`")}
    assert body_for("https://hooks.slack.com/services/T0/B0/x", summary()) == slack_payload(summary())
    assert body_for("https://hooks.example.com/x", summary()) == payload(summary())


def test_the_mail_subject_and_plain_text_body():
    assert subject(summary()) == "[orchdsl] Opportunities: error"
    assert body(summary()) == """\
Opportunities: error

Job 12 ended in error after 1m5s: task crm failed.
CRM data to Tableau

File:      /srv/opportunities.orch
Trigger:   schedule
Started:   2026-11-02T06:00:00.000Z
Finished:  2026-11-02T06:01:05.250Z

Failed tasks:
  crm (phase Extract): exit code 2, 3 attempts
    | Traceback (most recent call last):
    | ValueError: <bad> & worse

Tasks:
  user_levels  Extract  succeeded
  crm          Extract  failed
  tableau      Write    skipped

Details:   orchdsl job 12
Output:    orchdsl logs 12 crm
"""


@pytest.mark.parametrize("changes, headline", [
    (dict(event=E.PROCESSING, status="processing", finished_at=None, duration_s=2400.0),
     "Job 12 is still running after 40m."),
    (dict(event=E.FIXED, status="success", duration_s=3.5, tasks=()),
     "Job 12 ended in success after 3.50s. The job before it did not succeed."),
    (dict(reason="job timed out after 2h", duration_s=7200.0),
     "Job 12 ended in error after 2h: job timed out after 2h."),
])
def test_the_headline_says_what_happened(changes, headline):
    assert body(summary(**changes)).split("\n")[2] == headline


# --- retries (7: 10 s per attempt, 3 retries after 1, 2 and 4 s) --------------------------------

def retry_run(outcomes, policy=RetryPolicy()):
    """Attempts answer in turn: None succeeds, "hang" never answers, else a DeliveryError."""
    calls = []

    async def send():
        calls.append(trio.current_time())
        outcome = outcomes[len(calls) - 1]
        if outcome == "hang":
            await trio.sleep_forever()
        if outcome is not None:
            raise outcome

    async def main():
        return await attempt_with_retries(send, policy)

    result = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    return result, [round(c - calls[0], 3) for c in calls]


def test_retries_wait_1_2_and_4_seconds():
    fail = DeliveryError("HTTP 500")
    assert retry_run([fail, fail, fail, fail]) == ((4, "HTTP 500"), [0, 1, 3, 7])
    assert retry_run([fail, fail, None]) == ((3, None), [0, 1, 3])


def test_an_attempt_gets_10_seconds_then_counts_as_failed():
    assert retry_run(["hang"] * 4) == ((4, "no answer within 10s"), [0, 11, 23, 37])
    assert RetryPolicy().bound_s == 47


def test_a_permanent_failure_is_not_retried():
    assert retry_run([DeliveryError("HTTP 404", permanent=True)]) == ((1, "HTTP 404"), [0])


def test_a_slack_webhook_receives_the_text_payload_through_httpx(write_orch):
    """hooks.slack.com cannot be reached here: an httpx.MockTransport stands in for it."""
    seen = []

    def slack(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers["content-type"], json.loads(request.content)))
        return httpx.Response(200, text="ok")

    url = "https://hooks.slack.com/services/T0/B0/sekret-token"
    path = write_orch(f'orchestration "Opportunities" {{\n    notify error to "{url}"\n'
                      f'    phase "P" {{ task crm {sh("echo oops >&2; exit 4")} }}\n}}\n')
    plan = orchdsl.plan(str(path))
    notifier = notifier_for(plan, Trigger.SCHEDULE, http_transport=httpx.MockTransport(slack))
    trio.run(JobUnderTest(plan, notifier=notifier, trigger=Trigger.SCHEDULE).run)
    [(sent_to, content_type, document)] = seen
    assert (sent_to, content_type) == (url, "application/json")
    assert list(document) == ["text"]
    assert document["text"].startswith(":x: *Opportunities*: error\nJob 1 ended in error after ")
    assert "• crm (phase P) exit code 4: `oops`" in document["text"]
    [delivery] = notifier.deliveries
    assert (delivery.target, delivery.delivered) == (
        "https://hooks.slack.com/services/T0/B0/***", True)


def test_a_notifier_that_was_not_started_records_its_events_as_undeliverable(write_orch):
    path = write_orch('orchestration "X" {\n    notify error to "https://h.example.com/x"\n'
                      f'    phase "P" {{ task a {sh("exit 1")} }}\n}}\n')
    plan = orchdsl.plan(str(path))
    notifier = notifier_for(plan, Trigger.SCHEDULE)
    trio.run(JobUnderTest(plan, observer=notifier).run)  # an observer, never started
    assert [(d.outcome.value, d.error) for d in notifier.deliveries] == [
        ("undeliverable", "the notifier was not running")]


# --- the store (schema 2) ----------------------------------------------------------------------

def job(store, file, state, seconds=1.0, parent=None):
    result = JobResult(0, "X", str(file), Trigger.SCHEDULE, state=state, started_at=T0,
                       finished_at=T0 + timedelta(seconds=seconds), parent_job=parent)
    result.job_id = view.create(store, result)
    store.write(Changes(jobs=[result]))
    return result.job_id


def test_a_version_1_store_migrates_to_the_latest_and_keeps_its_jobs(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA application_id = 1330791240")
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO jobs (orchestration, file, trigger, state, created_at, host, pid) "
               "VALUES ('Old', '/x.orch', 'manual', 'success', '2026-01-01', 'h', 1)")
    db.commit()
    db.close()
    store = SQLiteStore(str(path))
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert [j["orchestration"] for j in view.jobs(store)] == ["Old"]
    store.record_delivery(1, Delivery("error", "ops@example.com", "failed", 4, "HTTP 500"))
    assert [(d["event"], d["outcome"], d["attempts"], d["error"])
            for d in view.deliveries(store, 1)] == [("error", "failed", 4, "HTTP 500")]
    store.close()


def test_previous_job_and_success_durations(tmp_path):
    store = SQLiteStore(str(tmp_path / "s.db"))
    file, other = tmp_path / "a.orch", tmp_path / "b.orch"
    first = job(store, file, JobState.SUCCESS, 2)
    failed = job(store, file, JobState.ERROR, 9)
    job(store, other, JobState.SUCCESS, 50)  # another file
    job(store, file, JobState.SUCCESS, 70, parent=first)  # a nested run of the file
    skipped = job(store, file, JobState.SKIPPED)  # a fire skipped by overlap
    last = job(store, file, JobState.SUCCESS, 4)
    assert store.previous_job(str(file), last).job_id == failed
    assert store.previous_job(str(file), skipped).job_id == failed
    assert store.previous_job(str(file), first) is None
    assert store.success_durations(str(file)) == [4.0, 2.0]
    assert store.success_durations(str(file), before_id=last) == [2.0]
    assert store.success_durations(str(file), last=1) == [4.0]
    store.close()
