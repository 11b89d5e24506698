"""The SQLite store of schema 4 (what orchdsl wrote before fire claims) migrated to schema 5
(store/schema.py) by the first command that writes, keeping every job, task, attempt and log;
processes that start at once on it migrate it once (``BEGIN IMMEDIATE``).

The schema-4 file is made by real runs and then given back the shape schema 4 had: the
objects migration 5 adds dropped, ``user_version`` 4. That is the file an orchdsl of
schema 4 leaves (its migrations are the first four of store.schema.MIGRATIONS).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_isolated
from orchdsl.store.schema import MIGRATIONS, VERSION

PIPELINE = """\
orchestration "Old" {
    phase "P" {
        task a run "echo from a"
        task b run "echo from b >&2; exit 1" continue_on_failure
    }
}
"""


def schema_4_store(folder: Path) -> Path:
    (folder / "old.orch").write_text(PIPELINE)
    store = folder / "jobs.db"
    for _ in range(3):
        assert run_isolated("run", "old.orch", "--store", store, "--no-live",
                            cwd=folder).code == 0
    db = sqlite3.connect(store)
    db.executescript("DROP TABLE fire_claims; DROP INDEX jobs_by_state; PRAGMA user_version = 4;")
    db.close()
    assert schema(store)["version"] == 4
    return store


def schema(path: Path) -> dict:
    db = sqlite3.connect(path)
    try:
        return {"version": db.execute("PRAGMA user_version").fetchone()[0],
                "objects": sorted(db.execute("SELECT type, name, sql FROM sqlite_master WHERE "
                                             "name NOT LIKE 'sqlite_%'").fetchall())}
    finally:
        db.close()


def history(folder: Path, store: Path) -> list[str]:
    """Everything the history commands show of jobs 1 to 3."""
    shown = [run_isolated("jobs", "--format", "json", "--store", store, "--before", "4",
                          cwd=folder).stdout]
    for job_id in range(1, 4):
        shown.append(run_isolated("job", str(job_id), "--format", "json", "--store", store,
                                  cwd=folder).stdout)
        shown.append(run_isolated("logs", str(job_id), "--store", store, cwd=folder).stdout)
    return shown


@pytest.mark.slow
def test_a_schema_4_store_is_migrated_by_the_next_run_and_keeps_every_job(tmp_path):
    store = schema_4_store(tmp_path)
    before = history(tmp_path, store)  # read as schema 4: nothing is written
    assert schema(store)["version"] == 4
    assert len(json.loads(before[0])["jobs"]) == 3
    assert run_isolated("run", "old.orch", "--store", store, "--no-live", cwd=tmp_path).code == 0
    assert schema(store)["version"] == VERSION == 5
    assert history(tmp_path, store) == before
    fresh = tmp_path / "fresh.db"
    assert run_isolated("run", "old.orch", "--store", fresh, "--no-live", cwd=tmp_path).code == 0
    assert schema(store) == schema(fresh)  # migrated: just as a store made at 5


def test_processes_that_start_at_once_on_a_schema_4_store_migrate_it_once(tmp_path):
    store = schema_4_store(tmp_path)
    script = ("import sys\nfrom orchdsl.store import open_store\n"
              "open_store(sys.argv[1]).close()\nprint('ok')\n")
    starters = [subprocess.Popen([sys.executable, "-c", script, str(store)], text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for _ in range(6)]
    for starter in starters:
        assert starter.communicate(timeout=120) == ("ok\n", "")
    assert schema(store)["version"] == len(MIGRATIONS)
    listed = json.loads(run_isolated("jobs", "--format", "json", "--store", store,
                                     cwd=tmp_path).stdout)["jobs"]
    assert [j["id"] for j in listed] == [3, 2, 1]
