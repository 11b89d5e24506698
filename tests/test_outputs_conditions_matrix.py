"""Language 1.1 at run time (docs/reference.md, "Outputs", "Conditions", "Matrix"): outputs
through $ORCHDSL_OUTPUT and call return values, ``when`` on tasks and phases, static and
dynamic matrices. Real processes throughout; what ran is proved by files the tasks write."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import orchdsl
from conftest import run_isolated
from jobfiles import PY, lit, max_overlap, starts, ends, stamp
from orchdsl.model import JobState

STEPS = """\
def crm(rows="0"):
    return {"rows": int(rows), "ok": True}

def nothing():
    return None

def plain():
    return 42
"""


@pytest.fixture
def folder(tmp_path) -> Path:
    from jobfiles import STAMP_PY

    (tmp_path / "stamp.py").write_text(STAMP_PY)
    (tmp_path / "steps11.py").write_text(STEPS)
    return tmp_path


def run(folder: Path, text: str, **options):
    path = folder / "job.orch"
    path.write_text(text)
    return orchdsl.run(str(path), store=None, **options)


def states(job) -> dict[str, str]:
    return {name: t.state.value for name, t in job.tasks.items()}


def out(command: str) -> str:
    """A run action that appends ``command``'s lines to $ORCHDSL_OUTPUT."""
    return f"run {lit(command + ' >> $ORCHDSL_OUTPUT')}"


# --- outputs (8.1) ---------------------------------------------------------------------------

PUBLISH = out("printf 'evil=x; touch pwned\\nmulti<<END\\nl1\\nl2\\nEND\\n'")


def test_outputs_reach_later_tasks_quoted_and_are_recorded(folder):
    job = run(folder, f'''orchestration "O" {{
    phase "One" {{
        task a {PUBLISH}
        task c call "steps11:crm"
    }}
    phase "Two" {{
        task b run "printf '%s|' ${{tasks.a.outputs.evil}} ${{tasks.c.outputs.ok}} > b.txt"
        task d run ["sh", "-c", "printf '%s' \\"$1\\" > d.txt", "-", "${{tasks.a.outputs.multi}}"]
    }}
}}
''')
    assert job.state is JobState.SUCCESS, states(job)
    assert not (folder / "pwned").exists()
    assert (folder / "b.txt").read_text() == "x; touch pwned|true|"
    assert (folder / "d.txt").read_text() == "l1\nl2"
    assert job.tasks["a"].outputs == {"evil": "x; touch pwned", "multi": "l1\nl2"}
    assert job.tasks["c"].outputs == {"rows": "0", "ok": "true"}


@pytest.mark.parametrize("returns, outputs", [
    ("nothing", {}), ("plain", {"result": "42"}), ("crm", {"rows": "0", "ok": "true"})])
def test_a_calls_return_value_is_its_outputs(folder, returns, outputs):
    job = run(folder, f'orchestration "R" {{\n    phase "P" {{\n        task c call "steps11:{returns}"\n'
              '    }\n}\n')
    assert job.tasks["c"].outputs == outputs


@pytest.mark.parametrize("first, why", [
    ("exit 3", "tasks.a.outputs.rows is not set: a failed"),
    ("true", "tasks.a.outputs.rows is not set: a succeeded without setting rows"),
])
def test_an_unset_output_fails_the_task_that_reads_it_before_it_starts(folder, first, why):
    job = run(folder, f'''orchestration "U" {{
    phase "One" {{
        task a run "{first}" continue_on_failure
    }}
    phase "Two" {{
        task b {stamp("b")} env ROWS = "${{tasks.a.outputs.rows}}"
    }}
}}
''')
    assert (job.tasks["b"].state.value, job.tasks["b"].reason) == ("failed", why)
    assert job.tasks["b"].attempts == [] and starts(folder, "b") == []
    assert job.state is JobState.ERROR


def test_a_malformed_output_file_fails_the_attempt_saying_which_line(folder):
    job = run(folder, f'orchestration "M" {{\n    phase "P" {{\n        task a '
              f'{out("echo not a pair")}\n    }}\n}}\n')
    assert job.tasks["a"].state.value == "failed"
    assert "$ORCHDSL_OUTPUT line 1: expected name=value" in job.tasks["a"].reason


def test_a_secret_in_an_output_is_stars_in_the_store_and_in_job(folder):
    (folder / "job.orch").write_text(f'''orchestration "S" {{
    secret TOKEN
    phase "P" {{
        task a {out("echo token=$TOKEN")}
    }}
}}
''')
    env = {"TOKEN": "s3cr3t-out-99", "XDG_STATE_HOME": str(folder / "state")}
    assert run_isolated("run", "job.orch", cwd=folder, env=env).code == 0
    shown = run_isolated("job", "1", "--format", "json", cwd=folder, env=env)
    [task] = json.loads(shown.stdout)["job"]["tasks"]
    assert task["outputs"] == {"token": "***"}
    assert "token=***" in run_isolated("job", "1", cwd=folder, env=env).stdout
    for path in (folder / "state" / "orchdsl").iterdir():
        assert b"s3cr3t-out-99" not in path.read_bytes()


# --- conditions (8.2) ------------------------------------------------------------------------

FAILING = f'''orchestration "C" {{
    phase "Extract" {{
        task crm call "steps11:crm" env X = "1"
        task bad {{bad}}
    }}
    phase "Load" {{
        task load {stamp("load")}
    }}
    phase "Load big" when tasks.crm.outputs.rows > 10 {{
        task big {stamp("big")}
    }}
    phase "Alert" when failed() {{
        task page {stamp("page")}
    }}
    phase "Cleanup" when always() {{
        task tidy {stamp("tidy")}
    }}
}}
'''


@pytest.mark.parametrize("fails", [True, False])
def test_failure_and_always_phases_run_as_their_conditions_say(folder, fails):
    job = run(folder, FAILING.replace("{bad}", stamp("bad", 0, 1 if fails else 0)))
    assert states(job) == {
        "crm": "succeeded", "bad": "failed" if fails else "succeeded",
        "load": "skipped" if fails else "succeeded", "big": "skipped",
        "page": "succeeded" if fails else "skipped", "tidy": "succeeded"}
    assert job.state is (JobState.ERROR if fails else JobState.SUCCESS)
    # No status call: read as succeeded() and (...), so false after a failure too.
    assert job.tasks["big"].reason == "when tasks.crm.outputs.rows > 10: false"
    if not fails:
        assert job.tasks["page"].reason == "when failed(): false"


def test_a_task_skipped_by_its_condition_counts_as_met(folder):
    job = run(folder, f'''orchestration "T" {{
    param mode = "light"
    phase "One" {{
        task heavy {stamp("heavy")} when params.mode == "full"
    }}
    phase "Two" {{
        task after {stamp("after")} needs heavy
    }}
}}
''')
    assert states(job) == {"heavy": "skipped", "after": "succeeded"}
    assert job.tasks["heavy"].reason == 'when params.mode == "full": false'
    assert job.state is JobState.SUCCESS


def test_a_condition_that_cannot_be_evaluated_fails_the_task(folder):
    job = run(folder, f'''orchestration "E" {{
    param rows = "many"
    phase "One" {{
        task a {stamp("a")} when params.rows > 3
    }}
}}
''')
    assert job.tasks["a"].state.value == "failed"
    assert job.tasks["a"].reason == '"many" is not a whole number, so it cannot be compared with one'
    assert job.state is JobState.ERROR


# --- matrix (8.3) ----------------------------------------------------------------------------

def test_a_three_by_two_matrix_makes_six_named_instances(folder):
    job = run(folder, f'''orchestration "M" {{
    phase "Load" {{
        task load run "echo ${{region}}-${{tier}} >> ran.txt"
            matrix region = ["eu", "us", "ap south"]
            matrix tier = ["gold", "silver"]
    }}
    phase "After" {{
        task report run "echo ${{tasks.load.eu.gold.outputs.x}}" when always()
    }}
}}
''')
    names = [n for n in job.tasks if n != "report"]
    assert names == ["load.eu.gold", "load.eu.silver", "load.us.gold", "load.us.silver",
                     "load.5", "load.6"]
    assert sorted((folder / "ran.txt").read_text().split("\n")[:-1]) == sorted(
        ["eu-gold", "eu-silver", "us-gold", "us-silver", "ap south-gold", "ap south-silver"])
    assert all(job.tasks[n].instance_of == "load" for n in names)


@pytest.mark.parametrize("lines, expected", [(5, 5), (0, 0)])
def test_a_dynamic_matrix_runs_one_instance_per_line_or_is_skipped(folder, lines, expected):
    listing = out("printf 'files<<EOF\\n" + "".join(f"f{i}.csv\\n" for i in range(lines))
                  + "EOF\\n'")
    job = run(folder, f'''orchestration "D" {{
    concurrency 2
    phase "List" {{
        task list {listing}
    }}
    phase "Load" {{
        task load {stamp("${file}", 0.2)}
            matrix file from tasks.list.outputs.files
    }}
    phase "After" {{
        task done {stamp("done")} needs load
    }}
}}
''')
    assert job.state is JobState.SUCCESS, states(job)
    if expected:
        assert [n for n in job.tasks if n.startswith("load")] == [
            f"load.{n}" for n in range(1, expected + 1)]  # "f0.csv" holds a dot: numbered
        intervals = [(starts(folder, f"f{i}.csv")[0], ends(folder, f"f{i}.csv")[0])
                     for i in range(expected)]
        assert max_overlap(intervals) == 2  # concurrency 2 bounds instances
        assert starts(folder, "done")[0] >= max(e for _, e in intervals)
    else:
        assert (job.tasks["load"].state.value, job.tasks["load"].reason) == (
            "skipped", "empty matrix")
        assert job.tasks["done"].state.value == "succeeded"


def test_only_selects_every_instance_of_a_matrix_task_and_globs_some(folder):
    text = f'''orchestration "S" {{
    phase "P" {{
        task load {stamp("${r}")}
            matrix r = ["eu", "us", "ap"]
        task other {stamp("other")}
    }}
}}
'''
    everything = run(folder, text, only=["load"])
    assert states(everything) == {"load.eu": "succeeded", "load.us": "succeeded",
                                  "load.ap": "succeeded", "other": "skipped"}
    some = run(folder, text, only=["load.*u*"])
    assert states(some)["load.ap"] == "skipped" and states(some)["load.eu"] == "succeeded"


def test_the_instances_are_in_the_store_and_in_job(folder):
    (folder / "job.orch").write_text('orchestration "I" {\n    phase "P" {\n        task load '
                                     'run "true"\n            matrix r = ["eu", "us"]\n    }\n}\n')
    env = {"XDG_STATE_HOME": str(folder / "state")}
    assert run_isolated("run", "job.orch", cwd=folder, env=env).code == 0
    job = json.loads(run_isolated("job", "1", "--format", "json", cwd=folder, env=env).stdout)
    assert [(t["name"], t["instance_of"], t["state"]) for t in job["job"]["tasks"]] == [
        ("load.eu", "load", "succeeded"), ("load.us", "load", "succeeded")]
