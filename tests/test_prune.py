"""``orchdsl prune`` (docs/language.md, "The job store"): it removes exactly the jobs it says,
with their tasks, attempts, logs, deliveries and nested jobs, in one transaction, and never a
running job; ``--dry-run`` removes nothing."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import isolated_env, orchdsl_executable, run_isolated

QUICK = 'orchestration "{name}" {{\n    phase "P" {{\n        task a run "echo hi"\n{nested}    }}\n}}\n'


def write(folder: Path, name: str, nested: str = "") -> None:
    (folder / f"{name}.orch").write_text(QUICK.format(name=name.title(), nested=nested))


def ids(folder: Path) -> list[int]:
    listed = run_isolated("jobs", "--format", "json", "--limit", "100", cwd=folder).stdout
    return [j["id"] for j in json.loads(listed)["jobs"]]


def table_counts(folder: Path) -> dict[str, int]:
    db = sqlite3.connect(folder / "state" / "orchdsl" / "orchdsl.db")
    try:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("jobs", "tasks", "attempts", "logs")}
    finally:
        db.close()


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    write(tmp_path, "child")
    write(tmp_path, "parent", nested='        task n orchestration "child.orch"\n')
    write(tmp_path, "other")
    for name in ("parent", "other", "parent", "other", "parent"):
        assert run_isolated("run", f"{name}.orch", cwd=tmp_path).code == 0
    return tmp_path


def test_keep_last_keeps_the_newest_jobs_of_each_file_and_their_nested_jobs(folder):
    # jobs: 1 parent (2 its child), 3 other, 4 parent (5 child), 6 other, 7 parent (8 child)
    assert ids(folder) == [8, 7, 6, 5, 4, 3, 2, 1]
    dry = run_isolated("prune", "--keep-last", "1", "--dry-run", cwd=folder)
    assert dry.code == 0
    assert dry.stdout.splitlines()[-1] == "would remove 5 jobs"
    assert ids(folder) == [8, 7, 6, 5, 4, 3, 2, 1]
    before = table_counts(folder)
    done = run_isolated("prune", "--keep-last", "1", cwd=folder)
    assert [line.split()[2] for line in done.stdout.splitlines()[:-1]] == [
        "5", "4", "3", "2", "1"]
    assert ids(folder) == [8, 7, 6]
    after = table_counts(folder)
    assert after["jobs"] == 3 and after["tasks"] < before["tasks"]
    assert after["logs"] < before["logs"] and after["attempts"] < before["attempts"]


def test_older_than_and_files_narrow_it(folder):
    assert run_isolated("prune", "--older-than", "1h", cwd=folder).stdout == "removed 0 jobs\n"
    time.sleep(1.1)
    done = run_isolated("prune", "--older-than", "1s", "other.orch", cwd=folder)
    assert done.stdout.splitlines()[-1] == "removed 2 jobs"
    assert ids(folder) == [8, 7, 5, 4, 2, 1]


def test_a_running_job_is_never_removed(folder):
    (folder / "slow.orch").write_text('orchestration "Slow" {\n    phase "P" {\n        task a '
                                      'run "touch started; sleep 5"\n    }\n}\n')
    runner = subprocess.Popen([orchdsl_executable(), "run", "slow.orch"], cwd=folder,
                              env=isolated_env(), stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not (folder / "started").exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1)
        done = run_isolated("prune", "--older-than", "0s", "--keep-last", "1", cwd=folder)
        assert done.code == 0
        assert 9 in ids(folder)
        assert "job 9 " not in done.stdout
    finally:
        runner.terminate()
        runner.wait(30)


def test_prune_says_what_to_prune(folder):
    done = run_isolated("prune", cwd=folder)
    assert (done.code, done.stdout) == (2, "")
    assert done.stderr.startswith("orchdsl prune: error: say which jobs: --older-than")
