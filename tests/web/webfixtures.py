"""A job store filled by real ``orchdsl run``s, for the dashboard's tests: a pipeline that
fails (a retry, outputs, a matrix, a task skipped by its condition, a webhook notification,
a secret printed and written to an output), one whose tasks take known times (the Gantt),
and files for live logs and cancelling. The secret's value must never reach a page."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from conftest import run_isolated

SECRET = "pw-7Hq2-zZ91-s3cr3t"

DAILY = r'''orchestration "Daily sales" {
    description "Sales from the CRM, every morning"
    schedule "0 6 * * *" timezone "Europe/Prague"
    param mode = "daily"
    secret API_KEY

    phase "Extract" {
        task crm extractor run "echo rows=12 >> \"$ORCHDSL_OUTPUT\"; echo token=$API_KEY >> \"$ORCHDSL_OUTPUT\"; echo using key $API_KEY"
        task sheet extractor run "echo sheet; echo careful >&2"
    }
    phase "Load" {
        task load writer run "echo loading with $API_KEY; exit 3" retries 1 backoff 100ms
        task regions writer run "echo ${region}" matrix region = ["eu", "us"]
        task full writer run "echo full" when params.mode == "full"
    }
}
'''

TIMING = '''orchestration "Timing" {
    phase "First" {
        task quick run "sleep 0.3"
        task slow run "sleep 1.5"
    }
    phase "Second" {
        task middle run "sleep 0.8"
    }
}
'''

LIVE = '''orchestration "Live" {
    phase "Only" {
        task ticker run "for i in 1 2 3 4 5 6 7 8 9 10; do echo tick $i; sleep 0.8; done"
    }
}
'''

SLEEPER = '''orchestration "Sleeper" {
    phase "Only" {
        task nap run "echo napping; sleep 120"
    }
}
'''


@dataclass
class Filled:
    folder: Path
    store: Path
    daily: Path
    timing: Path
    live: Path
    sleeper: Path
    failed_job: int
    timing_job: int
    hook_port: int

    @property
    def env(self) -> dict[str, str]:
        return {"API_KEY": SECRET, "ORCHDSL_STORE": str(self.store)}

    def run(self, *args, timeout: float = 60):
        return run_isolated("run", *args, cwd=self.folder, env=self.env, timeout=timeout)

    def cli_json(self, *args):
        done = run_isolated(*args, "--format", "json", cwd=self.folder, env=self.env)
        assert done.code == 0, done.stderr
        return json.loads(done.stdout)


def fill(folder: Path) -> Filled:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from notify_servers import HttpServer

    hook = HttpServer((200,))
    paths = {}
    for name, text in (("daily", DAILY), ("timing", TIMING), ("live", LIVE),
                       ("sleeper", SLEEPER)):
        paths[name] = folder / f"{name}.orch"
        paths[name].write_text(text)
    filled = Filled(folder, folder / "jobs.db", paths["daily"], paths["timing"], paths["live"],
                    paths["sleeper"], 0, 0, hook.port)
    try:
        done = filled.run(paths["daily"], "--notify-me",
                          f"http://127.0.0.1:{hook.port}/hook?key=abc")
        assert done.code == 1, done.stderr
        filled.failed_job = _last_id(filled)
        done = filled.run(paths["timing"])
        assert done.code == 0, done.stderr
        filled.timing_job = _last_id(filled)
    finally:
        hook.stop()
    return filled


def _last_id(filled: Filled) -> int:
    return filled.cli_json("jobs", "--limit", "1")["jobs"][0]["id"]
