"""Between the model's records and a store's rows: times as ISO 8601 text in UTC, maps and
lists as JSON. Columns a store of an older schema lacks read as their default."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

from orchdsl.model import (Attempt, Delivery, JobResult, JobState, TaskResult, TaskState,
                           Trigger)
from orchdsl.store.base import Runner


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat() if moment else None


def moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def get(row, column: str, default=None):
    """A column of a row, or ``default`` when the store's schema has no such column."""
    try:
        return row[column]
    except (IndexError, KeyError):
        return default


def _json(text: str | None, default):
    return json.loads(text) if text else default


# -- to rows ----------------------------------------------------------------------------------


def new_job(job: JobResult, runner: Runner, token: str, created: str | None = None) -> tuple:
    """The row of a new job; ``created`` (now by default) is also its first heartbeat."""
    created = created or now()
    return (job.orchestration, os.path.abspath(job.file), job.file_hash, job.trigger.value,
            job.rerun_of, job.parent_job, job.state.value, created, runner.host, runner.pid,
            runner.pid_started, runner.boot_id, runner.pid_namespace, token, created,
            json.dumps(dict(job.params)), json.dumps(list(job.selection)),
            job.fire_time.isoformat() if job.fire_time else None)


def new_task(job_id: int, position: int, task: TaskResult) -> tuple:
    return (job_id, task.name, task.phase, position, task.state.value, task.reason,
            int(task.continue_on_failure), task.instance_of)


def job_update(job: JobResult) -> tuple:
    return (job.state.value, job.reason, iso(job.started_at), iso(job.finished_at), job.job_id)


def task_update(job_id: int, task: TaskResult) -> tuple:
    return (task.state.value, task.reason, job_id, task.name)


def attempt_row(job_id: int, task: str, a: Attempt) -> tuple:
    from orchdsl.store.recovery import process_started

    return (job_id, task, a.number, iso(a.started_at), iso(a.finished_at), a.exit_code,
            a.reason, a.stdout, a.stderr, a.pid, a.pid and process_started(a.pid),
            json.dumps(a.outputs) if a.outputs else None, a.host, a.worker)


# -- from rows ---------------------------------------------------------------------------------


def job(row) -> JobResult:
    return JobResult(
        job_id=row["id"], orchestration=row["orchestration"], file=row["file"],
        trigger=Trigger(row["trigger"]), state=JobState(row["state"]),
        started_at=moment(row["started_at"]), finished_at=moment(row["finished_at"]),
        reason=row["reason"], file_hash=row["file_hash"], rerun_of=row["rerun_of"],
        parent_job=row["parent_job"], created_at=moment(row["created_at"]),
        params=tuple(_json(get(row, "params"), {}).items()),
        selection=tuple(_json(get(row, "selection"), [])),
        fire_time=moment(get(row, "fire_time")))


def task(row) -> TaskResult:
    return TaskResult(row["name"], row["phase"], TaskState(row["state"]), reason=row["reason"],
                      continue_on_failure=bool(row["continue_on_failure"]),
                      instance_of=get(row, "instance_of"))


def attempt(row) -> Attempt:
    return Attempt(row["number"], moment(row["started_at"]), moment(row["finished_at"]),
                   row["exit_code"], row["reason"], row["stdout"], row["stderr"], row["pid"],
                   _json(get(row, "outputs"), {}), get(row, "host"), get(row, "worker"))


def delivery(row) -> Delivery:
    return Delivery(row["event"], row["target"], row["outcome"], row["attempts"], row["error"],
                    moment(row["at"]))


def runner(row) -> Runner:
    return Runner(row["host"], row["pid"], row["pid_started"], get(row, "boot_id"),
                  get(row, "pid_namespace"))
