"""What the runner tests share: tasks that stamp their start and end into files, and checks
on the processes a job leaves behind. Used by test_runner.py (the API) and test_run_cli.py
(the command)."""

from __future__ import annotations

import sys
from pathlib import Path

PY = sys.executable


STAMP_PY = """\
import sys, time
name, seconds = sys.argv[1], float(sys.argv[2])
code = int(sys.argv[3]) if len(sys.argv) > 3 else 0
with open(name + ".start", "a") as f:
    f.write(repr(time.time()) + "\\n")
time.sleep(seconds)
with open(name + ".end", "a") as f:
    f.write(repr(time.time()) + "\\n")
sys.exit(code)
"""


def lit(text: str) -> str:
    """``text`` as an .orch string literal (``${...}`` stays an interpolation)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def stamp(name: str, seconds: float = 0, code: int = 0) -> str:
    """A ``run`` action: stamp.py for ``name``, sleeping ``seconds``, exiting ``code``."""
    return f"run {lit(f'{PY} stamp.py {name} {seconds} {code}')}"


def sh(command: str) -> str:
    return f"run {lit(command)}"


def starts(folder: Path, name: str) -> list[float]:
    path = folder / f"{name}.start"
    return [float(x) for x in path.read_text().split()] if path.exists() else []


def ends(folder: Path, name: str) -> list[float]:
    path = folder / f"{name}.end"
    return [float(x) for x in path.read_text().split()] if path.exists() else []


def ran(folder: Path, name: str) -> bool:
    return (folder / f"{name}.start").exists()


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def pids(folder: Path, *names: str) -> list[int]:
    return [int((folder / name).read_text().split()[0]) for name in names]


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one instant (an end before a start at the same time)."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most
