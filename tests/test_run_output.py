"""What ``orchdsl run`` writes, through the installed command (issue 13, items 6, 10, 20 and
29): a reader that goes away does not change the job; a selection that leaves nothing to run
warns on stderr; a job that cannot start says why on stderr; the summary counts in one order.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import isolated_env, orchdsl_executable, run_isolated
from jobfiles import ran, sh, stamp

HIDDEN = ("TOKEN",)


def orchdsl(*args, cwd: Path, env=None):
    return run_isolated(*args, cwd=cwd, env=env, hide=HIDDEN)


def jobs(folder: Path) -> list[dict]:
    return json.loads(orchdsl("jobs", "--format", "json", cwd=folder).stdout)["jobs"]


# --- item 6: orchdsl run FILE | head -1 ------------------------------------------------------

def head_1(path: Path, *flags: str) -> tuple[int, str, str]:
    """``orchdsl run FILE FLAGS | head -1``: the first line is read, then the pipe closed."""
    process = subprocess.Popen([orchdsl_executable(), "run", path.name, *flags], cwd=path.parent,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=isolated_env(hide=HIDDEN))
    first = process.stdout.readline().decode()
    process.stdout.close()
    code = process.wait(timeout=60)
    return code, first, process.stderr.read().decode()


def two_phases(last_code: int = 0) -> str:
    # Each task writes lines for --stream; the second phase starts well after the reader left.
    talk = "for i in 1 2 3 4 5 6 7 8; do echo line $i; sleep 0.05; done"
    return f"""orchestration "Piped" {{
    phase "One" {{
        task a {sh(talk)}
        task b {stamp("b", 0.6)}
    }}
    phase "Two" {{
        task c {stamp("c", 0.1, last_code)}
    }}
}}
"""


@pytest.mark.parametrize("flags", [[], ["--stream"], ["--no-live"]],
                         ids=["lines", "stream", "no-live"])
def test_a_reader_that_goes_away_changes_nothing_in_the_job(folder, write, flags):
    path = write(two_phases())
    code, first, err = head_1(path, *flags)
    assert (code, err) == (0, ""), err
    assert 'job 1 "Piped" started' in first
    assert ran(folder, "b") and ran(folder, "c")  # the job went on to its last phase
    [job] = jobs(folder)
    assert job["state"] == "success"


def test_the_exit_status_is_the_jobs_when_the_reader_went_away(folder, write):
    code, _, err = head_1(write(two_phases(last_code=3)), "--stream")
    assert (code, err) == (1, "")
    assert ran(folder, "c")
    assert jobs(folder)[0]["state"] == "error"


# --- item 20: a job that cannot start says why on stderr -------------------------------------

@pytest.mark.parametrize("task, said", [
    ('task a run "echo ${TOKEN}"', "secret TOKEN is not set in the environment"),
    ('task a run "echo ${env.ORCHDSL_TEST_UNSET}"',
     "environment variable ORCHDSL_TEST_UNSET is not set (task a)"),
], ids=["secret", "environment variable"])
def test_a_job_that_cannot_start_says_why_on_stderr_naming_the_variable(folder, write, task,
                                                                         said):
    path = write(f'orchestration "Needs" {{\n    secret TOKEN\n    phase "P" {{\n        '
                 f'{task}\n    }}\n}}\n' if "TOKEN" in task else
                 f'orchestration "Needs" {{\n    phase "P" {{\n        {task}\n    }}\n}}\n')
    result = orchdsl("run", path.name, cwd=folder)
    assert result.code == 1
    assert result.stderr == f"orchdsl run: error: job 1 did not start: {said}\n"
    assert result.stdout.startswith('job 1 "Needs": error in ')  # the job id and its state


# --- item 10: a selection that leaves nothing to run -----------------------------------------

EMPTY_CASES = {
    "only and skip the same task": (["--only", "a", "--skip", "a"],
                                    "1 task skipped (--skip); 1 task not selected (--only); "
                                    "1 task disabled in the file"),
    "only a disabled task": (["--only", "d"], "2 tasks not selected (--only); 1 task disabled "
                                             "in the file"),
}

SELECTABLE = f"""orchestration "Empty" {{
    phase "P" {{
        task a {stamp("a")}
        task b {stamp("b")}
        task d {stamp("d")} disabled
    }}
}}
"""


@pytest.mark.parametrize("flags, why", EMPTY_CASES.values(), ids=EMPTY_CASES.keys())
@pytest.mark.parametrize("dry", [False, True], ids=["run", "dry-run"])
def test_a_selection_that_leaves_nothing_to_run_warns_on_stderr(folder, write, flags, why, dry):
    path = write(SELECTABLE)
    result = orchdsl("run", path.name, *flags, *(["--dry-run"] if dry else []), cwd=folder)
    assert result.code == 0
    assert result.stderr == (f"orchdsl run: warning: the selection leaves no task to run "
                             f"({why}): the job will do nothing\n")
    assert not ran(folder, "a") and not ran(folder, "b")


@pytest.mark.parametrize("dry", [False, True], ids=["run", "dry-run"])
def test_a_rerun_of_a_job_that_succeeded_warns_that_nothing_is_left(folder, write, dry):
    path = write(SELECTABLE)
    assert orchdsl("run", path.name, cwd=folder).code == 0
    result = orchdsl("run", path.name, "--rerun", "1", *(["--dry-run"] if dry else []),
                     cwd=folder)
    assert result.code == 0
    assert result.stderr == ("orchdsl run: warning: the selection leaves no task to run (2 "
                             "tasks succeeded in job 1; 1 task disabled in the file): the job "
                             "will do nothing\n")


def test_a_selection_that_runs_something_does_not_warn(folder, write):
    result = orchdsl("run", write(SELECTABLE).name, "--only", "a", cwd=folder)
    assert (result.code, result.stderr) == (0, "")


# --- item 29: the summary counts states in one order -----------------------------------------

@pytest.mark.parametrize("order", [("d", "s", "f", "a"), ("a", "f", "s", "d"),
                                   ("s", "a", "d", "f")])
def test_the_summary_counts_states_in_one_order_whatever_the_files_order(folder, write, order):
    tasks = {"a": f"task a {stamp('a')}", "f": f"task f {stamp('f', 0, 2)} continue_on_failure",
             "s": f"task s {stamp('s')}", "d": f"task d {stamp('d')} disabled"}
    body = "\n        ".join(tasks[name] for name in order)
    path = write(f'orchestration "Order" {{\n    phase "P" {{\n        {body}\n    }}\n}}\n')
    result = orchdsl("run", path.name, "--skip", "s", cwd=folder)
    assert result.code == 0
    summary = next(line for line in result.stdout.splitlines() if line.startswith("job "))
    assert summary.endswith("(1 ok, 1 FAILED, 1 skipped, 1 disabled)"), summary
