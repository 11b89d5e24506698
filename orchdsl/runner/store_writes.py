"""The job store as a job's recorder sees it: its batched writes done by a thread of its own,
off the trio thread (bench_run W3, where writing 20,000 rows cost the coordinator about as
much as running the calls).

``write(changes)`` takes a snapshot of what the changes hold (the jobs, tasks and attempts
are the runner's live records, which go on changing) and hands it to the writer, which writes
the batches in the order they came, on a connection of its own (SQLite works without the GIL,
and its locks keep the writer's transactions apart from the runner's own reads and writes, as
the log writer's, store/logs.py). Everything else a store offers is called as it is. A write
that fails is kept as ``error`` (the first one), as the recorder keeps its own: the job runs
on unrecorded and says so at its end. ``close()`` waits until every write handed over is done
and lets the thread and its connection go.

Only a SQLite store is written this way; any other store is written in the caller's thread.
"""

from __future__ import annotations

import queue
import threading

from orchdsl.store.base import Changes

_DONE = object()


class StoreWrites:
    def __init__(self, store):
        self._store = store
        self.write_errors = store.write_errors
        self.error: str | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._in_thread = _sqlite_path(store) is not None

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def write(self, changes: Changes) -> None:
        if not self._in_thread:
            self._store.write(changes)  # raises as the store does: the recorder catches it
            return
        self._queue.put(_snapshot(changes))
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="orchdsl-store",
                                            daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Every write handed over is done (or failed) when this returns."""
        if self._thread is not None:
            self._queue.put(_DONE)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        store = None
        try:
            while (changes := self._queue.get()) is not _DONE:
                try:
                    if store is None:
                        store = _second_connection(self._store)
                    store.write(changes)
                except Exception as exc:  # noqa: BLE001 - the job runs on, unrecorded
                    self.error = self.error or str(exc)
        finally:
            if store is not None:
                store.close()


def _second_connection(store):
    """The same SQLite store on a connection of its own, for this thread. Not a new
    SQLiteStore(path): that opens (and closes) the database file to create it, and closing any
    descriptor of a file drops every POSIX lock this process holds on it, the runner's
    connection's included (the writes then went lost while another process read)."""
    from orchdsl.store import sqlite

    second = object.__new__(type(store))
    second.__dict__.update(store.__dict__)
    second.db = sqlite._connect(store.path, read_only=False)
    second.db.execute(f"PRAGMA busy_timeout = {sqlite.BUSY_TIMEOUT_MS}")
    second.db.execute("PRAGMA synchronous = NORMAL")
    second.db.execute("PRAGMA foreign_keys = ON")
    return second


def _sqlite_path(store) -> str | None:
    from orchdsl.store.sqlite import SQLiteStore

    return store.path if type(store) is SQLiteStore else None


def _snapshot(changes: Changes) -> Changes:
    """The changes with a copy of each record as it is now (its fields: the lists and dicts
    in them are replaced by the runner, never changed in place)."""
    return Changes(jobs=[_copy(j) for j in changes.jobs],
                   tasks=[(job_id, _copy(t)) for job_id, t in changes.tasks],
                   attempts=[(job_id, name, _copy(a)) for job_id, name, a in changes.attempts],
                   heartbeats=list(changes.heartbeats),
                   expansions=[(job_id, name, [_copy(t) for t in instances])
                               for job_id, name, instances in changes.expansions])


def _copy(record):
    copied = object.__new__(type(record))
    copied.__dict__.update(record.__dict__)
    return copied
