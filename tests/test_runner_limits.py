"""Limits that keep a run bounded whatever the file or the task does (docs/language.md,
"Running"): retries and their backoff, output without newlines, what a failing ``call`` shows."""

from __future__ import annotations

import subprocess

import pytest

import orchdsl
from conftest import orchdsl_executable
from jobfiles import PY, lit
from orchdsl.model import JobState, TaskState
from orchdsl.runner.capture import LINE_LIMIT, OutputBuffer
from orchdsl.masking import Masker
from orchdsl.runner.coordinator import MAX_BACKOFF_S, backoff


# --- retries and backoff ----------------------------------------------------------------------

@pytest.mark.parametrize("first, attempt, delay", [
    (0.0, 1100, 0.0),            # no backoff: no wait, however many retries
    (1.0, 1, 1.0), (1.0, 2, 2.0), (1.0, 5, 16.0),
    (1.0, 13, MAX_BACKOFF_S),    # 4096 s would be more than the cap
    (1.0, 30, MAX_BACKOFF_S),    # 17 years uncapped
    (30.0, 1100, MAX_BACKOFF_S),  # 2^1099 would overflow a float
])
def test_the_backoff_doubles_up_to_an_hour(first, attempt, delay):
    assert backoff(first, attempt) == delay


def test_a_thousand_retries_without_backoff_run_and_end_in_error(tmp_path):
    path = tmp_path / "retry.orch"
    path.write_text('orchestration "R" {\n    phase "P" {\n        task a run "false" '
                    'retries 1100\n    }\n}\n')
    job = orchdsl.run(str(path), store=None)
    assert job.state is JobState.ERROR
    assert (job.tasks["a"].state, len(job.tasks["a"].attempts)) == (TaskState.FAILED, 1101)
    assert job.tasks["a"].reason == "exit code 1"


# --- output without newlines -----------------------------------------------------------------

def test_a_line_without_end_is_passed_on_in_bounded_pieces():
    lines: list[str] = []
    buffer = OutputBuffer(Masker([]), lines.append)
    chunk = "x" * 65_536
    for _ in range(64):  # 4 MiB, no newline
        buffer.write(chunk)
    buffer.write("y\nz")
    buffer.close()
    assert all(len(line) <= LINE_LIMIT for line in lines)
    assert "".join(lines) == "x" * (64 * 65_536) + "y" + "z"
    assert lines[-1] == "z"


def test_streaming_forty_megabytes_without_a_newline_stays_quick_and_small(tmp_path):
    path = tmp_path / "flood.orch"
    flood = f"{PY} -c \"import sys; [sys.stdout.write('x' * 65536) for _ in range(640)]\""
    path.write_text(f'orchestration "F" {{\n    phase "P" {{\n        task a run {lit(flood)}\n'
                    '    }\n}\n')
    # A wrapper runs it, so that the peak memory measured is the runner's (and its task's).
    measure = ("import resource, subprocess, sys, time; began = time.monotonic(); "
               "done = subprocess.run(sys.argv[1:], stdout=open('shown', 'wb')); "
               "print(done.returncode, time.monotonic() - began, "
               "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([PY, "-c", measure, orchdsl_executable(), "run", str(path), "--stream"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    code, took, peak_kib = done.stdout.split()
    assert code == "0", done.stderr[-500:]
    shown = [line for line in (tmp_path / "shown").read_bytes().split(b"\n")
             if line.startswith(b"[a] ")]
    assert sum(len(line) - 4 for line in shown) == 640 * 65_536
    assert max(len(line) for line in shown) <= LINE_LIMIT + 4
    # 0.4 s and 48 MB here; it was 27 s and 170 MB when the line was joined at every write.
    assert float(took) < 10 and int(peak_kib) < 120_000, (took, peak_kib)


# --- what a failing call shows --------------------------------------------------------------

RAISES = """\
def helper():
    raise ValueError("no rows for the day")

def go():
    helper()
"""


@pytest.mark.parametrize("target, frames, error", [
    ("steps_tb:go", ["in go", "in helper"], "ValueError: no rows for the day"),
    ("steps_tb_missing:go", [], "ModuleNotFoundError: No module named 'steps_tb_missing'"),
])
def test_a_failing_call_shows_the_users_frames_only(tmp_path, target, frames, error):
    (tmp_path / "steps_tb.py").write_text(RAISES)
    path = tmp_path / "calls.orch"
    path.write_text(f'orchestration "C" {{\n    phase "P" {{\n        task a call "{target}"\n'
                    '        task b call "' + target + '" timeout 5s\n    }\n}\n')
    job = orchdsl.run(str(path), store=None)
    for name in ("a", "b"):  # the lanes and a worker thread
        log = job.tasks[name].attempts[-1].stderr
        assert log.startswith("Traceback") or not frames, log
        assert error in log
        assert [f for f in frames if f in log] == frames
        for ours in ("orchdsl/", "<frozen importlib", "load_callable", "trio/"):
            assert ours not in log, log
