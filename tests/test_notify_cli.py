"""``orchdsl run --notify-me`` through the installed command, against a real SMTP server
(aiosmtpd) and real HTTP servers on 127.0.0.1: a manual run tells only the person who started
it (LANGUAGE.md 5.5); a delivery that fails is one warning line and never the exit status."""

from __future__ import annotations

import json

import pytest

from jobfiles import sh

SECRET = "s3cr3t-value-991"


def job_file(write, *clauses, command="echo using $TOKEN >&2; exit 3"):
    lines = "\n    ".join(clauses)
    return write(f'''orchestration "Opportunities" {{
    secret TOKEN
    {lines}
    phase "Extract" {{ task crm extractor {sh(command)} }}
}}
''')


def run(orchdsl, folder, *args, env=None):
    environment = {"TOKEN": SECRET, "ORCHDSL_SMTP_URL": "", "ORCHDSL_HOME": str(folder / "home")}
    return orchdsl("run", "job.orch", "--no-live", *args, cwd=folder,
                   env={**environment, **(env or {})})


def test_a_manual_run_contacts_only_notify_me(orchdsl, folder, write, smtp, servers):
    theirs, mine = servers(), servers()
    job_file(write, f'notify error to "ops@example.com", "{theirs.url()}"')
    result = run(orchdsl, folder, "--notify-me", "me@example.com", "--notify-me", mine.url(),
                 env={"ORCHDSL_SMTP_URL": smtp.url, "ORCHDSL_MAIL_FROM": "orchdsl@ci.example"})
    assert result.code == 1, result.stderr
    assert result.stderr == ""
    assert smtp.recipients() == ["me@example.com"]
    assert smtp.mails[0].subject == "[orchdsl] Opportunities: error"
    assert "orchdsl job 1" in smtp.mails[0].body and SECRET not in smtp.mails[0].body
    assert theirs.requests == []
    [request] = mine.requests
    assert (request.json["event"], request.json["job_id"], request.json["status"]) == (
        "error", 1, "error")
    assert SECRET.encode() not in request.body
    # `orchdsl job` shows what was sent, in text and in JSON (in the order deliveries ended)
    home = {"ORCHDSL_HOME": str(folder / "home")}
    text = orchdsl("job", "1", cwd=folder, env=home).stdout
    assert sorted(text.split("\nNotifications\n")[1].splitlines()) == sorted([
        "  error       me@example.com  delivered after 1 attempt",
        f"  error       {mine.url()}  delivered after 1 attempt"])
    data = json.loads(orchdsl("job", "1", "--format", "json", cwd=folder, env=home).stdout)
    assert sorted((d["event"], d["target"], d["outcome"], d["attempts"], d["error"])
                  for d in data["job"]["deliveries"]) == sorted([
        ("error", "me@example.com", "delivered", 1, None),
        ("error", mine.url(), "delivered", 1, None)])


def test_without_notify_me_a_manual_run_contacts_nobody(orchdsl, folder, write, smtp, servers):
    theirs = servers()
    job_file(write, f'notify error to "ops@example.com", "{theirs.url()}"')
    result = run(orchdsl, folder, env={"ORCHDSL_SMTP_URL": smtp.url})
    assert (result.code, result.stderr) == (1, "")
    assert smtp.mails == [] and theirs.requests == []


@pytest.mark.parametrize("target, message", [
    ("me at example.com", '"me at example.com" is neither an e-mail address nor an http(s) URL'),
    ("ftp://x.example.com/h", 'webhook "ftp://x.example.com/h" must use http:// or https://'),
    ("", '"" is neither an e-mail address nor an http(s) URL'),
    # the password of a URL never shows, also when the URL is wrong
    ("http://u:hunter2pass@127.0.0.1:99999/x",
     'invalid webhook URL "http://***@127.0.0.1:99999/x": its port must be a number from 0 to '
     '65535'),
    # ... also when the password holds a "/" (the URL does not parse, and Python's own words
    # would quote a piece of it)
    ("https://user:Sup3r/Secret@hooks.example.com/h",
     'invalid webhook URL "https://***@hooks.example.com/h": its port must be a number from 0 '
     'to 65535'),
])
def test_an_invalid_notify_me_is_a_usage_error(orchdsl, folder, write, target, message):
    job_file(write)
    result = run(orchdsl, folder, "--notify-me", target)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == f"orchdsl run: error: --notify-me: {message}\n"
    assert not (folder / "home").exists()  # nothing ran, no job recorded


def test_a_failed_delivery_is_one_warning_line_and_keeps_the_exit_status(orchdsl, folder, write,
                                                                          servers):
    gone = servers([404])
    job_file(write, 'notify success to "ops@example.com"', command="true")
    result = run(orchdsl, folder, "--notify-me", gone.url(), "--notify-me", "me@example.com")
    assert result.code == 0
    assert result.stderr.splitlines() == [
        f'orchdsl run: warning: notification "success" to {gone.url()} not delivered after '
        "1 attempt: HTTP 404 Not Found",
        'orchdsl run: warning: notification "success" to me@example.com not delivered: '
        "ORCHDSL_SMTP_URL is not set: e-mail cannot be sent"]
    assert len(gone.requests) == 1


def test_a_bad_smtp_url_is_named_without_its_password(orchdsl, folder, write):
    job_file(write)
    result = run(orchdsl, folder, "--notify-me", "me@example.com",
                 env={"ORCHDSL_SMTP_URL": "smtps://bob:pa55word@mail.example.com?starttls=true"})
    assert result.code == 1
    assert result.stderr == (
        'orchdsl run: warning: notification "error" to me@example.com not delivered: '
        "ORCHDSL_SMTP_URL: smtps:// is TLS already; starttls=true is for smtp://\n")
    assert "pa55word" not in result.stdout + result.stderr


def test_a_dry_run_notifies_nobody(orchdsl, folder, write, servers):
    mine = servers()
    job_file(write)
    result = run(orchdsl, folder, "--dry-run", "--notify-me", mine.url())
    assert result.code == 0
    assert mine.requests == []


def test_ctrl_c_while_run_waits_for_a_hanging_webhook_exits_at_once(folder, write, servers):
    """The real policy (10 s per attempt, 47 s in all) applies here: Ctrl-C ends the wait."""
    import os
    import signal
    import subprocess
    import time

    from conftest import orchdsl_executable
    from notify_servers import HANG

    hook = servers([HANG])
    job_file(write)
    env = {**os.environ, "TOKEN": SECRET, "ORCHDSL_HOME": str(folder / "home")}
    process = subprocess.Popen([orchdsl_executable(), "run", "job.orch", "--no-live",
                                "--notify-me", hook.url()], cwd=folder, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not hook.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hook.requests, "the webhook was never called"
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        stdout, stderr = process.communicate(timeout=20)
        assert time.monotonic() - sent < 5
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert "job 1 \"Opportunities\": error" in stdout
    assert stderr == (f'orchdsl run: warning: notification "error" to {hook.url()} not '
                      "delivered: abandoned: the run was stopped first\n")
