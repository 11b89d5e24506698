"""Words that depend on what is on disk, for the shell completion scripts: the task and phase
names of a .orch file, and the job ids of the store. The scripts ask for them on TAB with
``orchdsl completion --words KIND [ARG]`` (one word a line); everything else they complete
without starting Python.

Nothing here may fail loudly or change anything: a file that does not parse gives no names, a
store that does not exist (or is busy, or is no SQLite file) gives no ids, and the store
is only ever read (``mode=ro``; ``immutable=1`` when no write-ahead log exists, so that not
even SQLite's side files appear).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

MAX_JOB_IDS = 200  # newest first: a shell lists this many before it asks "display all?"


def task_names(path: str) -> list[str]:
    """The file's task names in file order (parsed only: no lint, no nested files)."""
    orchestration = _orchestration(path)
    return [t.name.text for t in orchestration.tasks] if orchestration else []


def phase_names(path: str) -> list[str]:
    orchestration = _orchestration(path)
    return [p.name.value for p in orchestration.phases] if orchestration else []


def _orchestration(path: str):
    from orchdsl.lang.parser import parse
    from orchdsl.lang.source import SourceError, read_source

    try:
        return parse(read_source(path), path).document.orchestration
    except (SourceError, OSError, ValueError):
        return None


def job_ids(prefix: str = "", store: str | None = None) -> list[str]:
    """The ids of the jobs in the store that start with ``prefix``, newest first."""
    path = store_file(store)
    if path is None or not os.path.isfile(path) or not prefix.isdigit() and prefix:
        return []
    # Without a write-ahead log there is nothing uncommitted to see, and immutable=1 keeps
    # SQLite from creating its -wal and -shm files beside the store.
    mode = "ro" if os.path.exists(path + "-wal") else "ro&immutable=1"
    uri = f"{Path(path).resolve().as_uri()}?mode={mode}"
    try:
        with closing(sqlite3.connect(uri, uri=True, timeout=0.2)) as db:
            rows = db.execute("SELECT id FROM jobs WHERE CAST(id AS TEXT) LIKE ? "
                              "ORDER BY id DESC LIMIT ?", (prefix + "%", MAX_JOB_IDS)).fetchall()
    except sqlite3.Error:
        return []
    return [str(row[0]) for row in rows]


def store_file(given: str | None) -> str | None:
    """The SQLite file of the store: ``--store`` as given on the command line, else the
    default one (orchdsl.store.store_location). A store that is no local file (a PostgreSQL
    URL) has no ids to offer here."""
    from orchdsl.store import store_location

    location = store_location(given)
    if "://" in location:
        return location[len("sqlite://"):] if location.startswith("sqlite:///") else None
    return location


WORDS = {
    "tasks": lambda args: task_names(args[0]) if args else [],
    "phases": lambda args: phase_names(args[0]) if args else [],
}


def words(argv: list[str]) -> list[str]:
    """``KIND [ARG...]`` -> the words; ``jobs [--store FILE] [PREFIX]``."""
    if not argv:
        return []
    kind, rest = argv[0], argv[1:]
    if kind == "jobs":
        store = None
        if rest[:1] == ["--store"] and len(rest) > 1:
            store, rest = rest[1], rest[2:]
        return job_ids(rest[0] if rest else "", store)
    return WORDS.get(kind, lambda _: [])(rest)
