"""How the job history reads: a list of jobs, one job with its tasks and a timeline, logs;
as text for people and JSON (``"version": 1``) for programs."""

from __future__ import annotations

from datetime import datetime

from orchdsl.durations import measured
from orchdsl.json_output import dumps
from orchdsl.model import Attempt, JobResult, TaskResult

VERSION = 1
BAR = 40  # characters of the timeline


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _local(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _took(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


# -- text -----------------------------------------------------------------------------------


def jobs_text(jobs: list[JobResult], location: str | None = None) -> str:
    if not jobs:
        return f"no jobs in {location}\n" if location else "no jobs\n"
    fires = any(job.fire_time for job in jobs)  # a column for it when a job serves a fire
    rows = [("ID", "STATE", "ORCHESTRATION", "TRIGGER", *(("FIRE",) if fires else ()),
             "STARTED", "DURATION")]
    for job in jobs:
        fire = (job.fire_time.isoformat(timespec="minutes") if job.fire_time else "-",)
        rows.append((str(job.job_id), job.state.value, job.orchestration, job.trigger.value
                     + (f" of {job.rerun_of}" if job.rerun_of else ""),
                     *(fire if fires else ()),
                     _local(job.started_at or job.created_at),
                     measured(_took(job.started_at, job.finished_at))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n" for r in rows)


def job_text(job: JobResult) -> str:
    trigger = job.trigger.value + (f" (re-runs job {job.rerun_of})" if job.rerun_of else "") \
        + (f" (nested in job {job.parent_job})" if job.parent_job else "")
    out = [f'job {job.job_id} "{job.orchestration}": {job.state.value}',
           f"  file     {job.file}",
           f"  trigger  {trigger}",
           f"  started  {_local(job.started_at)}   finished {_local(job.finished_at)}   "
           f"took {measured(_took(job.started_at, job.finished_at))}"]
    if job.params:
        out.append("  params   " + ", ".join(f"{k}={v}" for k, v in job.params))
    if job.selection:
        out.append("  selected " + " ".join(job.selection))
    if job.children:
        out.append("  nested   " + ", ".join(f"job {c}" for c in job.children))
    if job.reason:
        out.append(f"  reason   {job.reason}")
    out.append("")
    out.extend(_timeline(job))
    if job.deliveries:
        out.append("")
        out.append("Notifications")
        for d in job.deliveries:
            tries = f"{d.attempts} attempt{'s' * (d.attempts != 1)}"
            error = f": {d.error}" if d.error else ""
            out.append(f"  {d.event:<10}  {d.target}  {d.outcome} after {tries}{error}")
    return "\n".join(out) + "\n"


def _timeline(job: JobResult) -> list[str]:
    """One line per task: its state, attempts, duration and a bar over the job's span."""
    start, end = job.started_at, job.finished_at
    tasks = list(job.tasks.values())
    width = max((len(t.name) for t in tasks), default=4)
    span = (end - start).total_seconds() if start and end else 0
    lines, phase = [], None
    for task in tasks:
        if task.phase != phase:
            phase = task.phase
            lines.append(f"{phase}")
        attempts = task.attempts
        first = attempts[0].started_at if attempts else None
        last = attempts[-1].finished_at if attempts else None
        bar = ""
        if span > 0 and first and start:
            begin = int((first - start).total_seconds() / span * BAR)
            stop = int(((last or end) - start).total_seconds() / span * BAR)
            bar = " " * begin + "#" * max(stop - begin, 1)
        tries = f"{len(attempts)} attempts" if len(attempts) > 1 else ""
        code = attempts[-1].exit_code if attempts else None
        reason = task.reason or ""
        exit_shown = f"exit {code}" if code not in (None, 0) and "exit code" not in reason else ""
        outputs = ", ".join(f"{k}={_short(v)}" for k, v in task.outputs.items())
        detail = ", ".join(x for x in (tries, exit_shown, reason, outputs) if x)
        lines.append(f"  {task.name.ljust(width)}  {task.state.value:<9}  "
                     f"{measured(_took(first, last)):>7}  |{bar.ljust(BAR)}|  {detail}".rstrip())
        lines.extend(_placements(attempts, width))
    return lines


def _short(value: str, most: int = 40) -> str:
    """An output in a timeline line: on one line, cut (``orchdsl job --format json`` has it
    whole)."""
    shown = value.replace("\\", "\\\\").replace("\n", "\\n")
    return shown if len(shown) <= most else shown[:most - 3] + "..."


def _placements(attempts: list[Attempt], width: int) -> list[str]:
    """Where each attempt ran, for attempts that ran on a cluster's worker (docs/cluster.md):
    ``attempt 1 on HOST (WORKER): REASON``."""
    return [f"  {'':{width}}  attempt {a.number} on {a.host or '?'} ({a.worker})"
            + (f": {a.reason}" if a.reason else "") for a in attempts if a.worker]


# -- JSON -----------------------------------------------------------------------------------


def job_data(job: JobResult, with_tasks: bool = True) -> dict:
    data = {"id": job.job_id, "orchestration": job.orchestration, "file": job.file,
            "file_hash": job.file_hash, "trigger": job.trigger.value, "rerun_of": job.rerun_of,
            "parent_job": job.parent_job, "state": job.state.value, "reason": job.reason,
            "created_at": _iso(job.created_at), "started_at": _iso(job.started_at),
            "finished_at": _iso(job.finished_at), "fire_time": _iso(job.fire_time),
            "params": dict(job.params), "selection": list(job.selection)}
    if with_tasks:
        data["children"] = list(job.children)
        data["tasks"] = [task_data(t, i) for i, t in enumerate(job.tasks.values())]
        data["deliveries"] = [{"event": d.event, "target": d.target, "outcome": d.outcome,
                               "attempts": d.attempts, "error": d.error, "at": _iso(d.at)}
                              for d in job.deliveries]
    return data


def task_data(task: TaskResult, position: int) -> dict:
    return {"name": task.name, "phase": task.phase, "position": position,
            "state": task.state.value, "reason": task.reason,
            "continue_on_failure": task.continue_on_failure, "instance_of": task.instance_of,
            "outputs": task.outputs, "attempts": [attempt_data(a) for a in task.attempts]}


def attempt_data(a: Attempt) -> dict:
    return {"number": a.number, "started_at": _iso(a.started_at),
            "finished_at": _iso(a.finished_at), "exit_code": a.exit_code, "reason": a.reason,
            "stdout": a.stdout, "stderr": a.stderr, "outputs": a.outputs, "host": a.host,
            "worker": a.worker}


def as_json(data) -> str:
    return dumps({"version": VERSION, **data})
