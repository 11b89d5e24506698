"""The job store (docs/language.md, "The job store"): where jobs are recorded and read back.

- ``open_store(location)``: a ``JobStore`` for commands that record jobs (``run``, the
  scheduler); it creates and migrates the store.
- ``open_reader(location)``: a ``StoreReader`` for commands that only look (``jobs``, ``job``,
  ``logs``, the dashboard); it never writes.
- ``store_location(given)``: ``--store``, else ``ORCHDSL_STORE``, else the per-user default
  ``$ORCHDSL_HOME/orchdsl.db`` (``ORCHDSL_HOME`` defaults to ``$XDG_STATE_HOME/orchdsl``, and
  that to ``~/.local/state/orchdsl``): one history per user, whatever the current folder.

A location is a file path, ``sqlite:///PATH``, or ``postgresql://...`` (the ``postgres``
extra). ``recover(store)`` (store.recovery) is a step of its own.
"""

from __future__ import annotations

import os
from typing import Mapping

from orchdsl.store.base import (Changes, JobQuery, JobStore, Runner, StoreError, StoreReader,
                                Unfinished)

FILE_NAME = "orchdsl.db"
STORE_VARIABLE = "ORCHDSL_STORE"
HOME_VARIABLE = "ORCHDSL_HOME"

__all__ = ["open_store", "open_reader", "store_location", "default_home", "shown_location",
           "JobStore", "StoreReader", "StoreError", "JobQuery", "Changes", "Runner",
           "Unfinished", "FILE_NAME"]


def default_home(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    if environ.get(HOME_VARIABLE):
        return environ[HOME_VARIABLE]
    state = environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                          "state")
    return os.path.join(state, "orchdsl")


def store_location(given: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return given or environ.get(STORE_VARIABLE) or os.path.join(default_home(environ),
                                                                FILE_NAME)


def is_default(given: str | None, environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    return not given and not environ.get(STORE_VARIABLE)


def shown_location(location: str) -> str:
    """A location as it may be shown: a URL's password as ``***``."""
    from orchdsl.store.locations import shown_location as shown

    return shown(location)


def _kind(location: str) -> tuple[str, str]:
    from orchdsl.store.locations import kind_of

    return kind_of(location)


def exists(location: str) -> bool:
    kind, target = _kind(location)
    return kind != "sqlite" or os.path.exists(target)


def open_store(location: str) -> JobStore:
    kind, target = _kind(location)
    if kind == "postgresql":
        return _postgres().PostgresStore(target)
    from orchdsl.store.sqlite import SQLiteStore

    return SQLiteStore(target)


def open_reader(location: str) -> StoreReader:
    kind, target = _kind(location)
    if kind == "postgresql":
        return _postgres().PostgresReader(target)
    from orchdsl.store.sqlite import SQLiteReader

    return SQLiteReader(target)


def _postgres():
    try:
        from orchdsl.store import postgres
    except ImportError:
        raise StoreError("a PostgreSQL store needs psycopg 3, the postgres extra: "
                         "pip install 'orchdsl[postgres]'") from None
    return postgres
