"""Eight ``orchdsl run`` at once on one store, with readers listing it meanwhile
(docs/high-availability.md): every task of every job recorded, job ids unique, and never
"database is locked", on an SQLite file and on PostgreSQL alike.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from conftest import isolated_env, orchdsl_executable
from orchdsl.store import JobQuery, exists, open_reader
from pg_server import pg_server, pg_url, store_at  # noqa: F401 (fixtures)

RUNS, PHASES, PER_PHASE = 8, 4, 50


def pipeline() -> str:
    phases = "".join(
        f'    phase "P{p}" {{\n'
        + "".join(f'        task t{p}_{i} run ["true"]\n' for i in range(PER_PHASE))
        + "    }\n" for p in range(PHASES))
    return f'orchestration "Many" {{\n    concurrency 4\n{phases}}}\n'


@pytest.mark.slow
def test_eight_runs_at_once_record_every_task_under_unique_job_ids(tmp_path, store_at):
    (tmp_path / "many.orch").write_text(pipeline())
    command = [orchdsl_executable(), "run", "many.orch", "--no-live", "--store", store_at]
    runs = [subprocess.Popen(command, cwd=tmp_path, env=isolated_env(), text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(RUNS)]
    reads = 0
    while not exists(store_at):  # made by the first run to get there
        time.sleep(0.01)
    while any(run.poll() is None for run in runs):  # readers meanwhile
        listed = subprocess.run([orchdsl_executable(), "jobs", "--store", store_at],
                                cwd=tmp_path, env=isolated_env(), capture_output=True,
                                text=True, timeout=120)
        assert listed.returncode == 0 and "locked" not in listed.stderr, listed.stderr
        reads += 1
        time.sleep(0.2)
    outcomes = [(run.wait(), *run.communicate()) for run in runs]
    for code, out, err in outcomes:
        assert code == 0 and "locked" not in err, err
    assert reads >= 1
    reader = open_reader(store_at)
    try:
        jobs = reader.jobs(JobQuery(limit=100))
        assert sorted(j.job_id for j in jobs) == list(range(1, RUNS + 1))
        shown = sorted(int(out.split('"')[0].split()[-1]) for _, out, _ in outcomes)
        assert shown == list(range(1, RUNS + 1))  # each run told its own id
        tasks = attempts = 0
        for listed in jobs:
            job = reader.job(listed.job_id)
            assert job.state.value == "success"
            assert len(job.tasks) == PHASES * PER_PHASE
            assert {t.state.value for t in job.tasks.values()} == {"succeeded"}
            tasks += len(job.tasks)
            attempts += sum(len(t.attempts) for t in job.tasks.values())
        assert tasks == attempts == RUNS * PHASES * PER_PHASE == 1600
    finally:
        reader.close()
