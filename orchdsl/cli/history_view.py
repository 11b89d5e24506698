"""What the history commands show of jobs whose runner died: ``terminated``, as recovery will
record them (docs/language.md, "The job store"), without writing anything themselves."""

from __future__ import annotations

from orchdsl.model import JobResult, JobState, TaskState


def seen(store, jobs: list[JobResult]) -> list[JobResult]:
    unfinished = [j for j in jobs if not j.state.finished]
    if not unfinished:
        return jobs
    from orchdsl.store.recovery import dead_jobs

    dead = dead_jobs(store)
    for job in unfinished:
        if job.job_id in dead:
            _as_terminated(job, dead[job.job_id])
    return jobs


def _as_terminated(job: JobResult, last_heard) -> None:
    job.state, job.reason = JobState.TERMINATED, "the runner process died"
    job.finished_at = job.finished_at or last_heard
    for task in job.tasks.values():
        if task.state in (TaskState.RUNNING, TaskState.PENDING):
            task.state, task.reason = TaskState.CANCELLED, "terminated: the runner died"
        for attempt in task.attempts:
            if attempt.finished_at is None:
                attempt.finished_at = job.finished_at
                attempt.reason = attempt.reason or "terminated"
