"""``orchdsl backfill`` (docs/reference.md, "Backfills"): every fire of a file's schedules in a
range, in the schedule's zone across a DST change, each a job with its fire time; a second
backfill of the range runs nothing; ``--parallel`` bounds the jobs at once; Ctrl-C leaves no
process. And job values and params handed to a nested orchestration. Real runs."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import isolated_env, orchdsl_executable, run_isolated
from jobfiles import alive, lit, max_overlap

DAILY = '''\
orchestration "Daily" {
    schedule "30 6 * * *" timezone "Europe/Prague"
    param day = "${job.fire_date}"
    phase "P" {
        task a run "echo ${job.fire_date} ${job.fire_time} >> fires.txt"
    }
}
'''


def test_a_month_with_a_dst_change_makes_one_job_per_day_with_its_fire_date(tmp_path):
    (tmp_path / "daily.orch").write_text(DAILY.replace('    param day = "${job.fire_date}"\n', ""))
    done = run_isolated("backfill", "daily.orch", "--from", "2027-03-15", "--to", "2027-04-15",
                        cwd=tmp_path, timeout=300)
    assert done.code == 0, done.stderr
    assert done.stdout.splitlines()[-1] == ("backfill of daily.orch: 31 succeeded, 0 failed, "
                                            "0 cancelled, 0 skipped (already run), 0 not started")
    lines = (tmp_path / "fires.txt").read_text().splitlines()
    dates = [line.split()[0] for line in lines]
    assert dates == [f"2027-03-{d}" for d in range(15, 32)] + [f"2027-04-{d:02d}"
                                                              for d in range(1, 15)]
    offsets = {line.split()[1][-6:] for line in lines}
    assert offsets == {"+01:00", "+02:00"}  # 06:30 in Prague, winter time and summer time
    assert all(line.split()[1][11:16] == "06:30" for line in lines)
    listed = json.loads(run_isolated("jobs", "--trigger", "backfill", "--format", "json",
                                     "--limit", "100", cwd=tmp_path).stdout)["jobs"]
    assert len(listed) == 31 and {j["trigger"] for j in listed} == {"backfill"}
    # the same range again: every fire ran already
    again = run_isolated("backfill", "daily.orch", "--from", "2027-03-15", "--to", "2027-04-15",
                         cwd=tmp_path, timeout=60)
    assert again.stdout.splitlines()[-1].endswith("0 succeeded, 0 failed, 0 cancelled, "
                                                  "31 skipped (already run), 0 not started")
    assert len((tmp_path / "fires.txt").read_text().splitlines()) == 31


def test_a_dry_run_lists_the_fires_and_which_already_ran(tmp_path):
    (tmp_path / "daily.orch").write_text(DAILY.replace('    param day = "${job.fire_date}"\n', ""))
    assert run_isolated("backfill", "daily.orch", "--from", "2027-03-27", "--to", "2027-03-28",
                        cwd=tmp_path).code == 0
    shown = run_isolated("backfill", "daily.orch", "--from", "2027-03-26", "--to", "2027-03-29",
                         "--dry-run", cwd=tmp_path)
    assert shown.stdout.splitlines() == [
        "2027-03-26T06:30:00+01:00  30 6 * * *",
        "2027-03-27T06:30:00+01:00  30 6 * * *  already run (job 1)",
        "2027-03-28T06:30:00+02:00  30 6 * * *",
        "3 fires, 2 to run"]


def test_parallel_bounds_the_jobs_at_once(tmp_path):
    (tmp_path / "hourly.orch").write_text(f'''orchestration "H" {{
    schedule "@hourly"
    phase "P" {{
        task a run {lit("date +%s.%N >> $ORCHDSL_FIRE_TIME.span; sleep 0.5; date +%s.%N >> $ORCHDSL_FIRE_TIME.span")}
    }}
}}
''')
    done = run_isolated("backfill", "hourly.orch", "--from", "2027-01-01", "--to",
                        "2027-01-01T08:00", "--parallel", "3", cwd=tmp_path, timeout=120)
    assert done.code == 0, done.stderr
    spans = [tuple(float(x) for x in p.read_text().split()) for p in tmp_path.glob("*.span")]
    assert len(spans) == 8
    assert max_overlap(spans) == 3


def test_ctrl_c_starts_no_more_fires_and_leaves_no_process(tmp_path):
    (tmp_path / "slow.orch").write_text(f'''orchestration "S" {{
    schedule "@daily"
    phase "P" {{
        task a run {lit("echo $$ >> pids; sleep 60")}
    }}
}}
''')
    runner = subprocess.Popen([orchdsl_executable(), "backfill", "slow.orch", "--from",
                               "2027-01-01", "--to", "2027-01-11", "--parallel", "2"],
                              cwd=tmp_path, env=isolated_env(), stdout=subprocess.PIPE,
                              text=True)
    deadline = time.monotonic() + 20
    while len((tmp_path / "pids").read_text().split() if (tmp_path / "pids").exists() else []) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    runner.send_signal(signal.SIGINT)
    out, _ = runner.communicate(timeout=30)
    assert runner.returncode == 130
    pids = [int(p) for p in (tmp_path / "pids").read_text().split()]
    assert len(pids) == 2 and [p for p in pids if alive(p)] == []
    assert out.splitlines()[-1] == ("backfill of slow.orch: 0 succeeded, 0 failed, 2 cancelled, "
                                    "0 skipped (already run), 8 not started")


def test_a_parent_hands_its_param_to_a_nested_orchestration(tmp_path):
    (tmp_path / "child.orch").write_text('''orchestration "Child" {
    param day = "default"
    phase "P" {
        task c run "echo ${day} > child-day.txt"
    }
}
''')
    (tmp_path / "parent.orch").write_text('''orchestration "Parent" {
    param day = "2026-11-30"
    phase "P" {
        task n orchestration "child.orch" param day = "${day}"
    }
}
''')
    assert run_isolated("run", "parent.orch", "--param", "day=2026-12-01", cwd=tmp_path).code == 0
    assert (tmp_path / "child-day.txt").read_text() == "2026-12-01\n"
    (tmp_path / "bad.orch").write_text('''orchestration "Bad" {
    phase "P" {
        task n orchestration "child.orch" param dya = "x"
    }
}
''')
    linted = run_isolated("lint", "bad.orch", cwd=tmp_path)
    assert linted.code == 1
    assert linted.stdout.startswith('bad.orch:3:49: error[E118]: "child.orch" declares no param "dya"')
