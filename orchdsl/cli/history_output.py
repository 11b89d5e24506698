"""How the job history reads: a list of jobs, one job with its tasks and a timeline, logs."""

from __future__ import annotations

from datetime import datetime

from orchdsl.json_output import dumps

VERSION = 1
BAR = 40  # characters of the timeline


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _seconds(start: str | None, end: str | None) -> float | None:
    a, b = _time(start), _time(end)
    return (b - a).total_seconds() if a and b else None


def _shown(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.2f}s" if seconds < 60 else f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def _local(text: str | None) -> str:
    moment = _time(text)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def jobs_text(jobs: list[dict]) -> str:
    if not jobs:
        return "no jobs\n"
    rows = [("ID", "STATE", "ORCHESTRATION", "TRIGGER", "STARTED", "DURATION")]
    for job in jobs:
        rows.append((str(job["id"]), job["state"], job["orchestration"], job["trigger"]
                     + (f" of {job['rerun_of']}" if job["rerun_of"] else ""),
                     _local(job["started_at"] or job["created_at"]),
                     _shown(_seconds(job["started_at"], job["finished_at"]))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n" for r in rows)


def job_text(job: dict) -> str:
    out = [f'job {job["id"]} "{job["orchestration"]}": {job["state"]}',
           f"  file     {job['file']}",
           f"  trigger  {job['trigger']}" + (f" (re-runs job {job['rerun_of']})" if job["rerun_of"] else "")
           + (f" (nested in job {job['parent_job']})" if job["parent_job"] else ""),
           f"  started  {_local(job['started_at'])}   finished {_local(job['finished_at'])}   "
           f"took {_shown(_seconds(job['started_at'], job['finished_at']))}"]
    if job["reason"]:
        out.append(f"  reason   {job['reason']}")
    out.append("")
    out.extend(_timeline(job))
    if job.get("deliveries"):
        out.append("")
        out.append("Notifications")
        for d in job["deliveries"]:
            tries = f"{d['attempts']} attempt{'s' * (d['attempts'] != 1)}"
            error = f": {d['error']}" if d["error"] else ""
            out.append(f"  {d['event']:<10}  {d['target']}  {d['outcome']} after {tries}{error}")
    return "\n".join(out) + "\n"


def _timeline(job: dict) -> list[str]:
    """One line per task: its state, attempts, duration and a bar over the job's span."""
    start, end = _time(job["started_at"]), _time(job["finished_at"])
    tasks = job["tasks"]
    width = max((len(t["name"]) for t in tasks), default=4)
    span = (end - start).total_seconds() if start and end else 0
    lines, phase = [], None
    for task in tasks:
        if task["phase"] != phase:
            phase = task["phase"]
            lines.append(f"{phase}")
        attempts = task["attempts"]
        first = _time(attempts[0]["started_at"]) if attempts else None
        last = _time(attempts[-1]["finished_at"]) if attempts else None
        took = (last - first).total_seconds() if first and last else None
        bar = ""
        if span > 0 and first and start:
            begin = int((first - start).total_seconds() / span * BAR)
            stop = int(((last or end) - start).total_seconds() / span * BAR)
            bar = " " * begin + "#" * max(stop - begin, 1)
        tries = f"{len(attempts)} attempts" if len(attempts) > 1 else ""
        code = attempts[-1]["exit_code"] if attempts else None
        reason = task["reason"] or ""
        exit_shown = f"exit {code}" if code not in (None, 0) and "exit code" not in reason else ""
        detail = ", ".join(x for x in (tries, exit_shown, reason) if x)
        lines.append(f"  {task['name'].ljust(width)}  {task['state']:<9}  {_shown(took):>7}  "
                     f"|{bar.ljust(BAR)}|  {detail}".rstrip())
    return lines


def logs_text(job: dict, task_name: str | None, done: set | None = None) -> str:
    """Each attempt under a header. With ``done`` (following a running job), only attempts
    that finished and are not in it yet, which are then added: each is printed once."""
    out = []
    for task in job["tasks"]:
        if task_name and task["name"] != task_name:
            continue
        for attempt in task["attempts"]:
            key = (task["name"], attempt["number"])
            if done is not None and (key in done or attempt["finished_at"] is None):
                continue
            if done is not None:
                done.add(key)
            code = attempt["exit_code"]
            out.append(f"== {task['name']} (attempt {attempt['number']}, "
                       f"{'exit ' + str(code) if code is not None else attempt['reason'] or 'running'})"
                       " ==")
            if attempt["stdout"]:
                out.append(attempt["stdout"].rstrip("\n"))
            if attempt["stderr"]:
                out.append("-- stderr --")
                out.append(attempt["stderr"].rstrip("\n"))
    return "\n".join(out) + ("\n" if out else "")


def as_json(data) -> str:
    return dumps({"version": VERSION, **data})
