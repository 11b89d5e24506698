"""Regression test for a bug found in review, now fixed (the text says how it was):
A password holding an unencoded '/' leaks through the 'invalid port' messages."""



import trio

import orchdsl
from orchdsl.notify import notifier_for
from jobrunner import JobUnderTest
import store_view as view
from orchdsl.model import Trigger
from orchdsl.store.sqlite import SQLiteStore
from conftest import run_command

PASSWORD = "Sup3r/Secret"


def test_smtp_url_password_with_slash_leaks_into_delivery_error_and_store(tmp_path):
    path = tmp_path / "x.orch"
    path.write_text('orchestration "X" { phase "P" { task a run "false" } }\n')
    plan = orchdsl.plan(str(path))
    store = SQLiteStore(str(tmp_path / "s.db"))
    environ = {"ORCHDSL_SMTP_URL": f"smtp://robot:{PASSWORD}@mail.example.com:587"}
    notifier = notifier_for(plan, Trigger.MANUAL, notify_me=["me@example.com"], store=store,
                            environ=environ)
    result = trio.run(JobUnderTest(plan, store=store, notifier=notifier).run)
    shown = [f.describe() for f in notifier.failures]
    stored = [d["error"] for d in view.deliveries(store, result.job_id)]
    assert shown and stored
    assert not any(PASSWORD in s for s in shown), shown
    assert not any(PASSWORD in (s or "") for s in stored), stored


def test_notify_me_webhook_password_with_slash_leaks_in_usage_error(tmp_path):
    path = tmp_path / "x.orch"
    path.write_text('orchestration "X" { phase "P" { task a run "true" } }\n')
    result = run_command("run", str(path), "--store", str(tmp_path / "s.db"),
                         "--notify-me", f"https://user:{PASSWORD}@hooks.example.com/h")
    assert result.code == 2
    assert PASSWORD not in result.stderr, result.stderr
