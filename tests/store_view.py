"""A store's records as the JSON of ``orchdsl jobs``/``job`` shows them (plain dicts with the
same keys): what the tests compare, whichever store they read."""

from __future__ import annotations

from orchdsl.cli.history_output import job_data
from orchdsl.store import JobQuery
from orchdsl.store.recovery import this_runner


def jobs(store, **query) -> list[dict]:
    return [job_data(j, with_tasks=False) for j in store.jobs(JobQuery(**query))]


def job(store, job_id: int) -> dict | None:
    found = store.job(job_id)
    return None if found is None else job_data(found)


def deliveries(store, job_id: int) -> list[dict]:
    found = store.job(job_id)
    return [] if found is None else job_data(found)["deliveries"]


def create(store, job) -> int:
    """A job recorded as the runner records it, by this process."""
    return store.create_job(job, this_runner(), "token")
