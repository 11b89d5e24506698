"""How much does ``orchdsl scheduler`` cost while it waits, and how late does it fire?

1. Idle: a scheduler holding 1,000 schedules (100 files x 10, in 4 zones) none of which fires
   during the measurement; its CPU time (user + sys, from /proc/PID/stat) over ``--idle``
   seconds, after start-up. Measured with the default file watching (every 2 s: a walk of
   the folder and a stat of each file) and with ``--watch-interval 0s`` (no watching), so
   the cost of each part shows.
2. Latency: the same 1,000 schedules plus 5 files ``k/5 * * * * *`` (k = 0..4): one fire
   every second, each of another file, for ``--fires`` seconds. Each fire's latency is its
   job's ``started_at`` in the store (set when the engine starts the job, after the fire is
   recorded and the job row created) minus the due second.

Usage:  .venv/bin/python bench/bench_scheduler.py [--idle 30] [--fires 30] [--quick]
Prints a table on stdout, progress on stderr. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ZONES = ("UTC", "Europe/Prague", "America/New_York", "Australia/Sydney")
TICKS = os.sysconf("SC_CLK_TCK")


def orchdsl() -> str:
    beside = Path(sys.executable).parent / "orchdsl"
    return str(beside) if beside.exists() else shutil.which("orchdsl") or "orchdsl"


def write_rare(folder: Path, files: int = 100, per_file: int = 10) -> int:
    """Schedules that do not fire for months: a day of a month half a year away."""
    month = (datetime.now().month + 5) % 12 + 1
    count = 0
    for f in range(files):
        lines = []
        for s in range(per_file):
            i = f * per_file + s
            lines.append(f'    schedule "{i % 60} {i % 24} {1 + i % 28} {month} *" '
                         f'timezone "{ZONES[i % len(ZONES)]}"')
            count += 1
        (folder / f"rare-{f:03d}.orch").write_text(
            f'orchestration "Rare {f}" {{\n' + "\n".join(lines) +
            '\n    phase "P" { task t run "true" }\n}\n')
    return count


def write_ticking(folder: Path) -> None:
    for k in range(5):
        (folder / f"tick-{k}.orch").write_text(
            f'orchestration "Tick {k}" {{\n    schedule "{k}/5 * * * * *"\n'
            '    phase "P" { task t run "true" }\n}\n')


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


class Run:
    def __init__(self, folder: Path, *extra: str):
        self.log = folder / f"log-{time.monotonic_ns()}.txt"
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [orchdsl(), "scheduler", str(folder), "--store", str(folder / "jobs.db"), *extra],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "w"), cwd=folder)
        while " started " not in self.log.read_text():
            if self.process.poll() is not None:
                raise SystemExit(f"the scheduler exited:\n{self.log.read_text()}")
            time.sleep(0.05)
        self.startup_s = time.monotonic() - self.started

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=120)


def idle(folder: Path, seconds: float, *extra: str) -> tuple[float, float]:
    run = Run(folder, *extra)
    assert "100 files, 1000 schedules;" in run.log.read_text(), run.log.read_text()[-2000:]
    time.sleep(2)  # let start-up settle
    before, t0 = cpu_seconds(run.process.pid), time.monotonic()
    time.sleep(seconds)
    used, wall = cpu_seconds(run.process.pid) - before, time.monotonic() - t0
    assert run.stop() == 0
    return used / wall * 100, run.startup_s


def latency(folder: Path, seconds: float) -> list[float]:
    write_ticking(folder)
    run = Run(folder)
    time.sleep(seconds)
    assert run.stop() == 0
    db = sqlite3.connect(folder / "jobs.db")
    late = []
    for (started,) in db.execute("SELECT started_at FROM jobs WHERE state = 'success'"):
        moment = datetime.fromisoformat(started)
        late.append(moment.microsecond / 1000)  # fires are on whole seconds
    return late


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle", type=float, default=30, help="seconds of idle measurement")
    parser.add_argument("--fires", type=float, default=30, help="seconds of ticking")
    parser.add_argument("--quick", action="store_true", help="10 s each")
    args = parser.parse_args()
    if args.quick:
        args.idle = args.fires = 10
    with tempfile.TemporaryDirectory(prefix="orchbench-sched-") as tmp:
        folder = Path(tmp)
        schedules = write_rare(folder)
        print(f"{schedules} schedules in 100 files; idle {args.idle:.0f} s each; load "
              f"{os.getloadavg()[0]:.2f}", file=sys.stderr)
        watched, startup = idle(folder, args.idle)
        unwatched, _ = idle(folder, args.idle, "--watch-interval", "0s")
        print(f"ticking for {args.fires:.0f} s", file=sys.stderr)
        late = sorted(latency(folder, args.fires))
    p95 = late[max(0, round(len(late) * 0.95) - 1)] if late else float("nan")
    print(f"orchdsl scheduler, {schedules} schedules (100 files), {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"  start-up (spawn to 'started', 100 files compiled): {startup:.2f} s")
    print(f"  idle CPU, watching files every 2 s:  {watched:.2f} % of a core over {args.idle:.0f} s")
    print(f"  idle CPU, --watch-interval 0s:       {unwatched:.2f} % of a core")
    print(f"  fire latency ({len(late)} fires, +5 ticking files): median {statistics.median(late):.1f} ms, "
          f"p95 {p95:.1f} ms, max {late[-1]:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
