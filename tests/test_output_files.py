"""``-o FILE`` writes regular files atomically and leaves special files what they are.

Regression: the atomic rename once replaced ``/dev/null`` with a regular file. This test uses
a FIFO of its own, never the machine's /dev/null."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "opportunities" / "opportunities.orch"
ORCHDSL = str(Path(sys.executable).with_name("orchdsl"))


def test_output_to_a_fifo_writes_through_it_and_keeps_it_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    done = subprocess.run([ORCHDSL, "graph", str(EXAMPLE), "-o", str(fifo)], capture_output=True,
                          text=True, timeout=60)
    reader.join(timeout=10)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert b"[1] Extract" in received[0]


def test_output_replaces_a_regular_file_keeping_its_mode(tmp_path):
    target = tmp_path / "graph.txt"
    target.write_text("old")
    target.chmod(0o640)
    done = subprocess.run([ORCHDSL, "graph", str(EXAMPLE), "-o", str(target)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "[1] Extract" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.txt"]  # no temporary left


def test_output_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    done = subprocess.run([ORCHDSL, "graph", str(EXAMPLE), "-o", str(link)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and "[1] Extract" in real.read_text()


def test_output_over_the_input_file_is_refused(tmp_path):
    source = tmp_path / "x.orch"
    source.write_text(EXAMPLE.read_text())
    done = subprocess.run([ORCHDSL, "graph", str(source), "-o", str(source)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "input file" in done.stderr
    assert source.read_text() == EXAMPLE.read_text()


def test_stdin_is_a_usage_error_for_commands_that_need_a_path():
    for command in (["graph", "-"], ["run", "-", "--dry-run"]):
        done = subprocess.run([ORCHDSL, *command], input="", capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 2, command
        assert "'-' is not supported" in done.stderr and done.stderr.count("\n") == 1
