"""What the logs page shows (docs/dashboard.md, "Logs"): each attempt's lines under its
header, as ``orchdsl logs`` prints them; and, while the job runs, the lines its tasks print
next, as server-sent events (``text/event-stream``), until the job ends.

The page shows the lines that were complete in the chunks it read, up to chunk ``after``; the
stream reads those chunks again without sending them (a line cut between two chunks is then
sent whole, once), and sends what comes after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import anyio

from orchdsl.cli.logs_output import Line, Lines, header, summary_lines

POLL_S = 0.5  # the runner writes what tasks print every 0.5 s
PING_S = 15.0  # a comment now and then keeps proxies from closing a quiet stream


@dataclass(frozen=True)
class AttemptLog:
    task: str
    number: int
    header: str
    lines: list[Line]
    total: int

    @property
    def cut(self) -> bool:
        return len(self.lines) < self.total


def collected(store, job, task: str | None = None, attempt: int | None = None):
    """``([(task, attempt number, lines)], the last chunk id read)`` for the attempts wanted,
    in the job's order; an attempt recorded before logs were kept shows its kept output."""
    lines, last = Lines(), 0
    for chunk in store.logs(job.job_id):
        last = chunk.id
        lines.add(chunk.task, chunk.attempt, chunk.pieces)
    if job.state.finished:
        lines.close()
    keys = [(t.name, a.number) for t in job.tasks.values() for a in t.attempts]
    keys += [k for k in lines.by_attempt if k not in set(keys) and k[0] in job.tasks]
    found = []
    for name, number in keys:
        if (task is None or name == task) and (attempt is None or number == attempt):
            kept = lines.by_attempt.get((name, number))
            if kept is None:
                record = next(a for a in job.tasks[name].attempts if a.number == number)
                kept = summary_lines(record)
            found.append((name, number, kept))
    return found, last


def attempts_shown(store, job, task, attempt, most: int):
    found, last = collected(store, job, task, attempt)
    return [AttemptLog(name, number, header(job, name, number), kept[-most:], len(kept))
            for name, number, kept in found], last


def event(kind: str, data: dict, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _line(task: str, attempt: int, line: Line) -> dict:
    from orchdsl.cli.logs_output import shown

    return {"task": task, "attempt": attempt, "stream": "stderr" if line.stream == "e"
            else "stdout", "text": shown(line, False)}


def _job_now(store, job_id: int):
    """The job without its tasks (cheap while polling), as the history commands see it."""
    from orchdsl.cli.history_view import seen
    from orchdsl.store import JobQuery

    found = store.jobs(JobQuery(before_id=job_id + 1, limit=1))
    return seen(store, found)[0] if found and found[0].job_id == job_id else None


async def stream(readers, job_id: int, after: int, task: str | None):
    """The events of a job's log stream: ``lines`` (``{"lines": [...]}``, with the id of the
    last chunk read), then ``end`` (``{"state", "reason"}``) once the job has ended."""
    lines, last, quiet = Lines(), after, 0.0
    for chunk in await readers.read(lambda s: s.logs(job_id)):
        if chunk.id > after:
            break
        lines.add(chunk.task, chunk.attempt, chunk.pieces)
    yield ": following\n\n"
    while True:
        job = await readers.read(_job_now, job_id)
        chunks = await readers.read(lambda s: s.logs(job_id, last))
        done = []
        for chunk in chunks:
            last = chunk.id
            done += lines.add(chunk.task, chunk.attempt, chunk.pieces)
        if job is None or job.state.finished:
            done += lines.close()
        sent = [_line(t, a, line) for (t, a), line in done if task is None or t == task]
        if sent:
            quiet = 0.0
            yield event("lines", {"lines": sent}, last)
        if job is None or job.state.finished:
            yield event("end", {"state": job.state.value if job else "gone",
                                "reason": job.reason if job else None}, last)
            return
        await anyio.sleep(POLL_S)
        quiet += POLL_S
        if quiet >= PING_S:
            quiet = 0.0
            yield ": ping\n\n"
