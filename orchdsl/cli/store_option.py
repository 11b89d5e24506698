"""``--store FILE`` and opening the store, shared by the commands that record or read jobs."""

from __future__ import annotations

import sys

from orchdsl.cli import exits


def add_store_option(parser) -> None:
    parser.add_argument("--store", metavar="FILE",
                        help="the job store (default: $ORCHDSL_HOME/orchdsl.db, ORCHDSL_HOME "
                             "defaulting to .orchdsl in the current folder)")


def open_store(given: str | None, command: str):
    """The open store, or an exit code after a one-line error."""
    from orchdsl.store import Store, StoreError, store_path

    try:
        return Store(store_path(given))
    except StoreError as exc:
        sys.stderr.write(f"orchdsl {command}: error: {exc}\n")
        return exits.USAGE


def load_job(store, job_id: int, command: str):
    """The job as a dict, or an exit code after a one-line error (LANGUAGE.md 7: an unknown
    id exits 1)."""
    job = store.job(job_id)
    if job is None:
        sys.stderr.write(f"orchdsl {command}: error: no job {job_id} in {store.path}\n")
        return exits.FAILED
    return job
