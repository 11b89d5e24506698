"""The live view of ``orchdsl run`` on a terminal (docs/language.md, "What run shows").

As cargo and docker compose do, it has two parts. Above, a log that stays in the scrollback:
each finished task with its time, each retry with its backoff, a failure with its reason and
last lines, the tasks skipped for one reason as one line. Below, a block redrawn in place:
the job with its progress and elapsed time, each phase that has tasks running with its
counts, those tasks (a retry's backoff counting down) and "+N more" for those that do not fit.

The block is never taller than the terminal (a line is left for the cursor) nor wider (its
lines are cut), so each redraw reaches the block's first line and no stale frame is left in
the scrollback; the terminal's size is read at each redraw. Text from tasks and files has its
control characters escaped (live_view_text.printable). Colour unless NO_COLOR is set.
"""

from __future__ import annotations

import math
import os
import time
from datetime import datetime, timezone

from orchdsl.cli.live_view_text import cells, fit, pad, printable
from orchdsl.cli.run_output import MARKS, Sink, counts, failure_tail, task_duration
from orchdsl.model import JobResult, TaskResult, TaskState
from orchdsl.observer import Observer

STYLES = {"ok": "32", "failed": "1;31", "retry": "33", "dim": "2", "bold": "1", "run": "36"}
MARK_WIDTH = 9  # "cancelled"
NAME_WIDTH_MAX = 40
BAR_WIDTH = 20
FINISHED_STYLES = {TaskState.SUCCEEDED: "ok", TaskState.FAILED: "failed",
                   TaskState.CANCELLED: "failed", TaskState.SKIPPED: "dim",
                   TaskState.DISABLED: "dim"}
SHOWN_NAMES = 3  # names given on the line of tasks skipped together


class Painter:
    """``paint(style, text)``: ANSI colour for a style of STYLES, or the text as it is."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, style: str, text: str) -> str:
        code = STYLES.get(style)
        if not self.enabled or code is None or not text:
            return text
        return f"\033[{code}m{text}\033[0m"


def colour_wanted(stream) -> bool:
    """Colour on a terminal unless NO_COLOR is set or TERM is dumb (https://no-color.org)."""
    from orchdsl.cli.args import use_color

    return use_color("auto", stream)


def live_view_wanted(stream) -> bool:
    """A terminal that can move its cursor: a dumb one gets the line output."""
    return stream.isatty() and os.environ.get("TERM") != "dumb"


def clock(value: float) -> str:
    """An elapsed time that keeps its width while it grows: 4.2s, 1m03s, 2h05m."""
    if value < 60:
        return f"{value:.1f}s"
    minutes = int(value // 60)
    if minutes < 60:
        return f"{minutes}m{int(value % 60):02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def render(segments: list[tuple[str, str]], width: int, paint: Painter) -> str:
    """A line of (style, text) segments, cut to ``width`` cells, then painted."""
    out, room = [], width
    for style, text in segments:
        if room <= 0:
            break
        piece = fit(text, room)
        out.append(paint(style, piece))
        room -= cells(piece)
        if piece != text:
            break
    return "".join(out)


class LiveView(Observer):
    """The live view; ``refresh`` is also called by a timer while the job runs, and
    ``close`` at its end (before the summary)."""

    REDRAW_EVERY_S = 0.05  # at most this often on events; the timer redraws anyway

    def __init__(self, stream=None, *, color: bool | None = None, size=None):
        self.out = stream if isinstance(stream, Sink) else Sink(stream)
        self.paint = Painter(colour_wanted(self.out) if color is None else color)
        self._size = size  # () -> (columns, lines); the terminal's own when None
        self.jobs: list[JobResult] = []
        self._idle: dict[int, set[str]] = {}  # job -> tasks that never run (disabled, unselected)
        self._retrying: dict[tuple[int, str], float] = {}  # (job, task) -> next attempt due
        self._log: list[str] = []  # painted lines waiting to go above the block
        self._skips: dict[tuple[int, str, TaskState, str], list[str]] = {}
        self._widths: dict[tuple[int, bool], int] = {}  # the width of a job's names' column
        self._drawn = 0  # lines of the block on the screen
        self._last = -math.inf

    # -- events ---------------------------------------------------------------------------

    def job_started(self, job):
        self.jobs.append(job)
        self._idle[id(job)] = {n for n, t in job.tasks.items() if t.state.finished}
        self.refresh()

    def task_started(self, job, task, attempt):
        self._retrying.pop((id(job), task.name), None)
        self.refresh(force=False)

    def task_retrying(self, job, task, delay_s):
        self._retrying[(id(job), task.name)] = time.monotonic() + delay_s
        attempt = task.attempts[-1]
        why = attempt.reason or f"exit code {attempt.exit_code}"
        self._add(self._mark("retry", "retry") + self._name(job, task.name)
                  + printable(f"attempt {attempt.number} failed ({why}); next in "
                              f"{clock(delay_s)}"))
        self.refresh(force=False)

    def task_finished(self, job, task):
        self._retrying.pop((id(job), task.name), None)
        state = task.state
        if state in (TaskState.SKIPPED, TaskState.DISABLED):
            key = (id(job), task.phase, state, task.reason or "")
            self._skips.setdefault(key, []).append(task.name)
        else:
            self._finished(job, task)
        self.refresh(force=False)

    def tasks_expanded(self, job, task, instances):
        self._widths.pop((id(job), False), None)
        self._widths.pop((id(job), True), None)
        self.refresh(force=False)

    def job_finished(self, job):
        self.refresh()

    # -- the log above the block ----------------------------------------------------------

    def _finished(self, job: JobResult, task: TaskResult) -> None:
        style = FINISHED_STYLES.get(task.state, "")
        took = task_duration(task)
        line = self._mark(style, MARKS[task.state]) + self._name(job, task.name) + (
            f"{clock(took):>7}" if took is not None else " " * 7)
        if task.reason and task.state is not TaskState.SUCCEEDED:
            line += "  " + printable(task.reason)
        self._add(line)
        if task.state is TaskState.FAILED:
            indent = " " * (2 + MARK_WIDTH + 1)
            for tail in failure_tail(task):
                self._add(indent + self.paint("dim", "| ") + printable(tail))

    def _flush_skips(self) -> None:
        for (job_key, phase, state, reason), names in self._skips.items():
            job = next(j for j in self.jobs if id(j) == job_key)
            mark = self._mark("dim", MARKS[state])
            why = f"  {printable(reason)}" if reason else ""
            if len(names) == 1:
                self._log.append(mark + self._name(job, names[0]) + " " * 7 + why)
                continue
            shown = ", ".join(names[:SHOWN_NAMES]) + (", …" if len(names) > SHOWN_NAMES else "")
            self._log.append(f"{mark}{len(names)} tasks of phase \"{printable(phase)}\""
                             f"{why} ({shown})")
        self._skips.clear()

    def _add(self, line: str) -> None:
        self._flush_skips()  # in the order things happened
        self._log.append(line)

    def _mark(self, style: str, text: str) -> str:
        return "  " + self.paint(style, text.ljust(MARK_WIDTH)) + " "

    def _name(self, job: JobResult, name: str, log: bool = True) -> str:
        """A task's name padded to its job's column; in the log, a nested job's tasks are
        named with their orchestration (in the block they stand under its line)."""
        prefix = f"{printable(job.orchestration)}: " if log and self._nested(job) else ""
        key = (id(job), bool(prefix))
        width = self._widths.get(key)
        if width is None:  # once per job, and again when a matrix is expanded
            width = self._widths[key] = min(max(map(len, job.tasks), default=0) + cells(prefix),
                                            NAME_WIDTH_MAX)
        return pad(prefix + name, width) + "  "

    def _nested(self, job: JobResult) -> bool:
        return bool(self.jobs) and job is not self.jobs[0]

    # -- the block ------------------------------------------------------------------------

    def refresh(self, force: bool = True) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.REDRAW_EVERY_S:
            return
        self._last = now
        columns, lines = self._terminal()
        block = self._block(columns, lines)
        self._flush_skips()
        text = self._erase(lines) + "".join(line + "\n" for line in self._log)
        text += "".join(line + "\n" for line in block)
        self._log.clear()
        self.out.write(text)
        self.out.flush()
        self._drawn = len(block)

    def close(self) -> None:
        """The log written out, the block gone: what the summary follows."""
        self._flush_skips()
        erase = self._erase(self._terminal()[1])
        self.out.write(erase + "".join(line + "\n" for line in self._log))
        self.out.flush()
        self._log.clear()
        self._drawn = 0

    def _erase(self, lines: int) -> str:
        """Up through the block, erasing it line by line: never one "erase the screen", which
        terminals (tmux's scroll-on-clear, VTE) push into the scrollback as it was. A window
        made smaller since the last redraw has already pushed what no longer fits into its
        scrollback (tmux rewraps lines upwards): only what is on the screen can be erased."""
        if not self._drawn:
            return ""
        return "\r\033[2K" + "\033[A\033[2K" * min(self._drawn, max(lines - 1, 1))

    def _terminal(self) -> tuple[int, int]:
        if self._size is not None:
            return self._size()
        try:
            size = os.get_terminal_size(self.out.fileno())
        except (OSError, ValueError, AttributeError):
            return 80, 24
        # A terminal that does not say its size (a new pty is 0 x 0): the usual 80 x 24.
        return size.columns or 80, size.lines or 24

    def _block(self, columns: int, lines: int) -> list[str]:
        budget, width = lines - 1, columns - 1
        if budget < 1 or width < 10:
            return []
        groups: list[tuple[list, list, str]] = []  # (lines always shown, task lines, indent)
        now = datetime.now(timezone.utc)
        shown = [j for j in self.jobs if j is self.jobs[0] or j.finished_at is None]
        for depth, job in enumerate(shown):
            indent = "  " * min(depth, 1)
            groups.append(([[("", indent)] + self._header(job, now)], [], indent))
            for phase, tasks in self._active_phases(job):
                groups.append(([[("", indent + "  ")] + self._phase_line(phase, tasks)],
                               [self._task_line(job, t, now, indent) for t in tasks
                                if t.state is TaskState.RUNNING], indent + "    "))
        return [render(line, width, self.paint) for line in _fit(groups, budget)]

    def _header(self, job: JobResult, now: datetime) -> list[tuple[str, str]]:
        idle = self._idle.get(id(job), set())
        tasks = [t for n, t in job.tasks.items() if n not in idle]
        done = sum(t.state.finished for t in tasks)
        elapsed = (now - job.started_at).total_seconds() if job.started_at else 0.0
        if job.finished_at is not None and job.started_at is not None:
            elapsed = (job.finished_at - job.started_at).total_seconds()
        filled = BAR_WIDTH * done // len(tasks) if tasks else BAR_WIDTH
        failed = sum(t.state is TaskState.FAILED for t in tasks)
        segments = [("bold", f'job {job.job_id} "{printable(job.orchestration)}"'),
                    ("", f"  {job.state.value} {clock(elapsed)}  {done}/{len(tasks)} done")]
        if failed:
            segments.append(("failed", f", {failed} FAILED"))
        # The bar last: a narrow terminal cuts it first.
        return segments + [("", "  "), ("ok", "#" * filled), ("dim", "." * (BAR_WIDTH - filled))]

    def _active_phases(self, job: JobResult):
        phases: dict[str, list[TaskResult]] = {}
        for task in job.tasks.values():
            phases.setdefault(task.phase, []).append(task)
        return [(p, ts) for p, ts in phases.items()
                if any(t.state is TaskState.RUNNING for t in ts)]

    def _phase_line(self, phase: str, tasks: list[TaskResult]) -> list[tuple[str, str]]:
        segments = [("bold", f'phase "{printable(phase)}"'), ("", ": ")]
        for index, (state, number) in enumerate(counts(tasks)):
            style = FINISHED_STYLES.get(state, "run" if state is TaskState.RUNNING else "")
            segments.append(("", ", " if index else ""))
            segments.append((style, f"{number} {MARKS[state]}"))
        return segments

    def _task_line(self, job: JobResult, task: TaskResult, now: datetime,
                   indent: str) -> list[tuple[str, str]]:
        name = indent + "    " + self._name(job, task.name, log=False)
        due = self._retrying.get((id(job), task.name))
        if due is not None:
            left = max(0.0, due - time.monotonic())
            return [("", name), ("retry", "retrying"),
                    ("", f"  in {clock(left)} (attempt {len(task.attempts) + 1})")]
        attempt = task.attempts[-1] if task.attempts else None
        elapsed = (now - attempt.started_at).total_seconds() if attempt else 0.0
        again = f" (attempt {attempt.number})" if attempt and attempt.number > 1 else ""
        return [("", name), ("run", "running "), ("", f"{clock(elapsed):>7}{again}")]


def _fit(groups: list[tuple[list, list, str]], budget: int) -> list:
    """At most ``budget`` lines: every group's own lines first, then task lines handed out
    one group at a time; a group that gets fewer than it has ends in "+N more"."""
    heads = [line for head, _, _ in groups for line in head]
    if len(heads) >= budget:
        return heads[:budget]
    room = budget - len(heads)
    given = [0] * len(groups)
    while room:
        handed = False
        for index, (_, tasks, _) in enumerate(groups):
            if room and given[index] < len(tasks):
                given[index] += 1
                room -= 1
                handed = True
        if not handed:
            break
    out = []
    for (head, tasks, indent), got in zip(groups, given):
        out.extend(head)
        if got >= len(tasks):
            out.extend(tasks)
        elif got:
            out.extend(tasks[:got - 1])
            out.append([("", indent), ("dim", f"+{len(tasks) - got + 1} more")])
    return out
