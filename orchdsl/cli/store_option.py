"""``--store FILE`` and opening the store, shared by the commands that record or read jobs."""

from __future__ import annotations

import sys

from orchdsl.cli import exits


def add_store_option(parser) -> None:
    parser.add_argument("--store", metavar="FILE",
                        help="the job store (default: $ORCHDSL_HOME/orchdsl.db, ORCHDSL_HOME "
                             "defaulting to .orchdsl in the current folder)")


def open_store(given: str | None, command: str, *, read_only: bool = False):
    """The open store, or an exit code after a one-line error. ``read_only`` (jobs, job,
    logs): a store that does not exist is not created; named with --store, that is a usage
    error (a typo must not look like an empty history), else it reads as having no jobs."""
    import os

    from orchdsl.store import Store, StoreError, store_path

    path = store_path(given)
    if read_only and not os.path.exists(path):
        if given:
            sys.stderr.write(f"orchdsl {command}: error: no job store at {path}\n")
            return exits.USAGE
        return NoStore(path)
    try:
        return Store(path)
    except StoreError as exc:
        sys.stderr.write(f"orchdsl {command}: error: {exc}\n")
        return exits.USAGE


class NoStore:
    """The default store before any job was recorded: no jobs in it."""

    def __init__(self, path: str):
        self.path = path

    def jobs(self, *args, **kwargs) -> list:
        return []

    def job(self, job_id: int) -> None:
        return None

    def deliveries(self, job_id: int) -> list:
        return []


def load_job(store, job_id: int, command: str):
    """The job as a dict, or an exit code after a one-line error (LANGUAGE.md 7: an unknown
    id exits 1)."""
    job = store.job(job_id)
    if job is None:
        sys.stderr.write(f"orchdsl {command}: error: no job {job_id} in {store.path}\n")
        return exits.FAILED
    return job
