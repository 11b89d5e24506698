"""The converted orchestration, before it is text: what ``render.py`` writes. Values are
already orchdsl syntax (a task's options, a ``when`` condition); comments are their text
without the ``#``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TaskOut:
    name: str
    kind: str | None
    command: str
    options: tuple[str, ...] = ()  # "timeout 10m", "retries 3 backoff 10s", "disabled", ...
    comments: tuple[str, ...] = ()  # above the task


@dataclass(frozen=True, slots=True)
class Comments:
    """Comment lines in place of something that is not converted."""

    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PhaseOut:
    name: str
    items: tuple[TaskOut | Comments, ...]
    when: str | None = None
    comments: tuple[str, ...] = ()  # above the phase


@dataclass(frozen=True, slots=True)
class Pipeline:
    header: tuple[str, ...]  # the file's first comment lines: what it was converted from
    name: str
    description: str = ""
    notes: tuple[str, ...] = ()  # comments before the clauses: what was not converted
    clauses: tuple[str, ...] = ()  # schedule, notify, param and secret lines
    phases: tuple[PhaseOut, ...] = ()
