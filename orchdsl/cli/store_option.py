"""``--store`` and opening the store, shared by the commands that record or read jobs."""

from __future__ import annotations

import sys

from orchdsl.cli import exits

STORE_HELP = ("the job store: a file, sqlite:///PATH or postgresql://... (default: "
              "$ORCHDSL_STORE, else $ORCHDSL_HOME/orchdsl.db with ORCHDSL_HOME defaulting to "
              "~/.local/state/orchdsl)")


def add_store_option(parser) -> None:
    parser.add_argument("--store", metavar="STORE", help=STORE_HELP)


def open_store(given: str | None, command: str, *, recover: bool = True):
    """The store for a command that records jobs (created and migrated as needed), after
    recovery marked the jobs of dead runners terminated; or an exit code after a one-line
    error."""
    from orchdsl.store import StoreError, open_store as open_it, store_location
    from orchdsl.store.recovery import recover as recover_jobs

    try:
        store = open_it(store_location(given))
        if recover:
            recover_jobs(store)
    except StoreError as exc:
        sys.stderr.write(f"orchdsl {command}: error: {exc}\n")
        return exits.USAGE
    return store


def open_reader(given: str | None, command: str):
    """The store for a command that only reads (it never writes or signals anything). A store
    that does not exist is not created: named with --store, that is a usage error (a typo must
    not look like an empty history), else it reads as having no jobs."""
    from orchdsl.store import StoreError, exists, is_default, open_reader as open_it, \
        shown_location, store_location

    location = store_location(given)
    if not exists(location):
        if not is_default(given):
            sys.stderr.write(f"orchdsl {command}: error: no job store at "
                             f"{shown_location(location)}\n")
            return exits.USAGE
        return NoStore(location)
    try:
        return open_it(location)
    except StoreError as exc:
        sys.stderr.write(f"orchdsl {command}: error: {exc}\n")
        return exits.USAGE


class NoStore:
    """The default store before any job was recorded: no jobs in it."""

    def __init__(self, location: str):
        self.location = location

    def jobs(self, *args, **kwargs) -> list:
        return []

    def job(self, job_id: int) -> None:
        return None

    def unfinished(self) -> list:
        return []

    def close(self) -> None:
        pass


def load_job(store, job_id: int, command: str):
    """The job, or an exit code after a one-line error (an unknown id exits 1)."""
    from orchdsl.store import StoreError, shown_location

    try:
        job = store.job(job_id)
    except StoreError as exc:
        sys.stderr.write(f"orchdsl {command}: error: {exc}\n")
        return exits.USAGE
    if job is None:
        sys.stderr.write(f"orchdsl {command}: error: no job {job_id} in "
                         f"{shown_location(store.location)}\n")
        return exits.FAILED
    return job
