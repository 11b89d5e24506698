"""What the scheduler holds of each file (the version that runs, its job, a waiting fire) and
of each fire."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from orchdsl.compiler import Compiled
from orchdsl.scheduling.schedule import Schedule


@dataclass(frozen=True)
class Fire:
    key: str
    schedule: Schedule
    due: datetime
    claim_id: int | None = None  # its claim in the store (store.claims); None: unclaimed


@dataclass(eq=False)  # one per job, held in a set by identity
class Running:
    fire: Fire
    cancel: object | None = None  # set once the job starts: a runner.job.Cancel
    job_id: int | None = None


@dataclass
class Watched:
    """A file the scheduler holds: the version that runs, and its job."""

    shown: str  # the path as given or found
    path: str  # absolute
    fingerprint: tuple = ()
    compiled: Compiled | None = None  # the last version that compiled; None: none yet
    text_hash: str | None = None  # sha256 of the file's text (jobs.file_hash)
    version: str | None = None  # of its text and its nested files' texts
    running: Running | None = None
    waiting: Fire | None = None
    files: tuple[str, ...] = field(default=())  # itself and the nested files it runs


def nested_of(compiled: Compiled) -> dict[str, Compiled]:
    """The nested files a file runs, at any depth: real path -> compiled."""
    found: dict[str, Compiled] = {}
    stack = list(compiled.children.items())
    while stack:
        path, child = stack.pop()
        if path not in found:
            found[path] = child
            stack.extend(child.children.items())
    return found


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
