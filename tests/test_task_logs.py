"""Task logs that stream and last (docs/language.md, "The job store"): what tasks print reaches
the store while they run, every byte of it is kept up to the per-task limit, and ``orchdsl
logs`` prints it back, followed live from another process. Real runs and real stores."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import pytest

from conftest import isolated_env, orchdsl_executable, run_isolated
from jobfiles import PY, lit

FIFTY_MIB = 50 * 1024 * 1024

PRINTER = """\
import sys, hashlib, random
size = int(sys.argv[1])
rng = random.Random(7)
digest = hashlib.sha256()
written = 0
while written < size:
    line = b"%08d " % written + bytes(rng.randrange(32, 127) for _ in range(rng.randrange(0, 120)))
    line = line[:size - written - 1] + b"\\n" if written + len(line) + 1 >= size else line + b"\\n"
    sys.stdout.buffer.write(line)
    digest.update(line)
    written += len(line)
open("printed.sha256", "w").write(digest.hexdigest())
"""


def write_job(folder: Path, task: str) -> None:
    (folder / "job.orch").write_text(
        f'orchestration "Logs" {{\n    phase "P" {{\n        task a {task}\n    }}\n}}\n')


def start(folder: Path, *flags: str) -> subprocess.Popen:
    return subprocess.Popen([orchdsl_executable(), "run", "job.orch", "--no-live", *flags],
                            cwd=folder, env=isolated_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def logs(folder: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([orchdsl_executable(), "logs", "1", *args], cwd=folder,
                          env=isolated_env(), capture_output=True, timeout=timeout)


def test_a_followed_task_shows_its_first_lines_within_two_seconds(tmp_path):
    write_job(tmp_path, f"run {lit('for i in 1 2 3 4 5 6 7 8; do echo tick $i; sleep 1; done')}")
    runner = start(tmp_path)
    try:
        deadline = time.monotonic() + 15
        while run_isolated("jobs", cwd=tmp_path).stdout.count("processing") == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        began = time.monotonic()
        follower = subprocess.Popen([orchdsl_executable(), "logs", "1", "--follow"],
                                    cwd=tmp_path, env=isolated_env(), stdout=subprocess.PIPE,
                                    text=True)
        first = follower.stdout.readline()
        took = time.monotonic() - began
        assert first == "[a] tick 1\n" and took < 2, (first, took)
        # and a plain `logs` while it runs shows what it printed so far
        time.sleep(1.2)
        mid = logs(tmp_path).stdout.decode().splitlines()
        assert mid[0] == "== a (attempt 1, running) ==" and "tick 1" in mid[1:], mid
        rest = follower.communicate(timeout=30)[0]
        assert follower.returncode == 0
        assert (first + rest).splitlines() == [f"[a] tick {i}" for i in range(1, 9)]
    finally:
        runner.wait(30)


@pytest.mark.slow  # 50 MiB through a real run and back
def test_fifty_mebibytes_are_kept_byte_for_byte(tmp_path):
    (tmp_path / "printer.py").write_text(PRINTER)
    write_job(tmp_path, f'run ["{PY}", "printer.py", "{FIFTY_MIB}"]')
    assert start(tmp_path).wait(120) == 0
    raw = logs(tmp_path, "a", "--raw", timeout=120)
    assert raw.returncode == 0
    assert len(raw.stdout) == FIFTY_MIB
    assert hashlib.sha256(raw.stdout).hexdigest() == (tmp_path / "printed.sha256").read_text()
    tail = logs(tmp_path, "a", "--tail", "3").stdout.decode().splitlines()
    assert tail[0] == "== a (attempt 1, exit 0) ==" and len(tail) == 4
    assert tail[1:] == raw.stdout.decode().splitlines()[-3:]


def test_the_log_limit_cuts_a_log_and_says_so(tmp_path):
    (tmp_path / "printer.py").write_text(PRINTER)
    write_job(tmp_path, f'run ["{PY}", "printer.py", "{3 * 1024 * 1024}"]')
    assert start(tmp_path, "--log-limit", "1MiB").wait(60) == 0
    shown = logs(tmp_path, "a", "--raw").stdout
    kept, _, marker = shown.rpartition(b"\n[... ")
    assert len(kept) <= 1024 * 1024
    assert marker.startswith(b"2097152 characters not kept: the log limit is 1 MiB per task")


def test_logs_as_json_give_each_line_its_stream_and_time(tmp_path):
    write_job(tmp_path, f"run {lit('echo out; sleep 0.2; echo err >&2')}")
    assert start(tmp_path).wait(60) == 0
    document = json.loads(logs(tmp_path, "--format", "json").stdout)
    assert document["version"] == 1 and document["job"] == 1
    [attempt] = document["logs"]
    assert (attempt["task"], attempt["attempt"], attempt["exit_code"]) == ("a", 1, 0)
    assert [(line["stream"], line["text"]) for line in attempt["lines"]] == [
        ("stdout", "out"), ("stderr", "err")]
    first, second = (line["at"] for line in attempt["lines"])
    assert first < second
