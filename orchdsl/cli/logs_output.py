"""How ``orchdsl logs`` shows a job's logs: each attempt under a header, its lines in the order
they came (stdout and stderr interleaved), optionally with their times; JSON with a stream and
a time per line. Jobs recorded before logs were kept in full show their kept summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orchdsl.model import Attempt, JobResult


@dataclass
class Line:
    at: float
    stream: str  # "o" or "e"
    text: str
    ended: bool = True  # false for the last line of a log that ends without a newline


class Lines:
    """Pieces of attempts' logs made into lines; a line cut between two pieces of one stream
    is joined (it takes the time of its first piece)."""

    def __init__(self):
        self.by_attempt: dict[tuple[str, int], list[Line]] = {}
        self._open: dict[tuple[str, int, str], Line] = {}

    def add(self, task: str, attempt: int, pieces) -> list[tuple[tuple[str, int], Line]]:
        """Add a chunk's pieces; the lines they complete."""
        done = []
        lines = self.by_attempt.setdefault((task, attempt), [])
        for at, stream, text in pieces:
            key = (task, attempt, stream)
            parts = text.split("\n")
            for part in parts[:-1]:
                line = self._open.pop(key, None) or Line(at, stream, "")
                line.text += part
                lines.append(line)
                done.append(((task, attempt), line))
            if parts[-1]:
                self._open.setdefault(key, Line(at, stream, "")).text += parts[-1]
        return done

    def close(self) -> list[tuple[tuple[str, int], Line]]:
        """The lines without an end (the last of a log that ends without a newline)."""
        done = []
        for (task, attempt, _), line in sorted(self._open.items(), key=lambda i: i[1].at):
            line.ended = False
            self.by_attempt.setdefault((task, attempt), []).append(line)
            done.append(((task, attempt), line))
        self._open.clear()
        return done


def header(job: JobResult, task: str, number: int) -> str:
    attempt = next((a for a in job.tasks[task].attempts if a.number == number), None)
    if attempt is None:
        state = "running"
    elif attempt.exit_code is not None:
        state = f"exit {attempt.exit_code}"
    else:
        state = attempt.reason or "running"
    return f"== {task} (attempt {number}, {state}) =="


def prefix(task: str, attempt: int, line: Line) -> str:
    """``[task] `` before a followed line, as ``orchdsl run --stream`` writes it: ``:err`` for
    stderr, ``#2`` from the second attempt on."""
    again = f"#{attempt}" if attempt > 1 else ""
    return f"[{task}{again}{':err' if line.stream == 'e' else ''}] "


def shown(line: Line, timestamps: bool) -> str:
    text = line.text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if not timestamps:
        return text
    moment = datetime.fromtimestamp(line.at).astimezone()
    return f"{moment:%H:%M:%S.%f}"[:-3] + ("  " if line.stream == "o" else " !") + text


def summary_lines(attempt: Attempt) -> list[Line]:
    """An attempt of a job recorded before logs were kept: its kept stdout, then stderr."""
    at = attempt.started_at.timestamp()
    lines = [Line(at, "o", t) for t in attempt.stdout.rstrip("\n").split("\n") if attempt.stdout]
    lines += [Line(at, "e", t) for t in attempt.stderr.rstrip("\n").split("\n") if attempt.stderr]
    return lines
