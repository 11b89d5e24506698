"""The leaves of the syntax tree: comments, the ``Node`` base, and the lexical values (names,
strings with their interpolations, durations, integers) that clauses, tasks and conditions are
made of. ``orchdsl.lang.ast`` re-exports every class here; import them from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchdsl.lang.source import Span

# --------------------------------------------------------------------------------------------
# Comments
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comment:
    text: str  # as written, starting with "#"
    span: Span


@dataclass(frozen=True, slots=True)
class Comments:
    """Comments on the lines before a node (``leading``) and at the end of its last line."""

    leading: tuple[Comment, ...] = ()
    trailing: Comment | None = None


NO_COMMENTS = Comments()


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    span: Span
    comments: Comments = NO_COMMENTS


# --------------------------------------------------------------------------------------------
# Lexical values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Word(Node):
    """A name as written: a task, param, event or mode name."""

    text: str


JOB_VALUES = ("id", "fire_time", "fire_date")  # ${job.<value>} (docs/reference.md, "Job values")
_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
# A task, or a matrix instance of one (``load.eu``): the instance values may start with a digit.
_TASK = rf"{_NAME}(?:\.[A-Za-z0-9_-]+)*"
PLAIN_RE = re.compile(rf"{_NAME}\Z")
ENV_RE = re.compile(r"env\.([A-Za-z_][A-Za-z0-9_]*)\Z")
OUTPUT_RE = re.compile(rf"tasks\.({_TASK})\.outputs\.({_NAME})\Z")
JOB_RE = re.compile(rf"job\.({'|'.join(JOB_VALUES)})\Z")


@dataclass(frozen=True, slots=True)
class Interpolation:
    """``${...}`` inside a string, ``name`` as written between the braces, one of:

    - ``${day}``: a param, a secret or a matrix value (``plain_name``);
    - ``${env.HOME}``: the runner's environment (``env_var``);
    - ``${tasks.crm.outputs.rows}``: an output of an earlier task, or of one matrix instance
      (``${tasks.load.eu.outputs.x}``) (``output_ref``);
    - ``${job.id}``, ``${job.fire_time}``, ``${job.fire_date}`` (``job_value``).

    Anything else is reported as a syntax error and has ``well_formed`` false.
    """

    name: str
    span: Span
    well_formed: bool = True

    @property
    def plain_name(self) -> str | None:
        return self.name if self.well_formed and PLAIN_RE.match(self.name) else None

    @property
    def env_var(self) -> str | None:
        return self.name[4:] if self.name.startswith("env.") else None

    @property
    def output_ref(self) -> tuple[str, str] | None:
        """``(task, output)``: the task as written, a matrix instance name included."""
        match = OUTPUT_RE.match(self.name)
        return (match.group(1), match.group(2)) if match else None

    @property
    def job_value(self) -> str | None:
        """``"id"``, ``"fire_time"`` or ``"fire_date"``."""
        match = JOB_RE.match(self.name)
        return match.group(1) if match else None


@dataclass(frozen=True, slots=True, kw_only=True)
class StringLit(Node):
    """A string as written (``raw``, quotes and any ``r`` prefix included) and what it decodes
    to: text and interpolations, in order."""

    raw: str
    parts: tuple[str | Interpolation, ...]

    @property
    def value(self) -> str:
        """The decoded text, interpolations written back as ``${name}``."""
        return "".join(p if isinstance(p, str) else "${" + p.name + "}" for p in self.parts)

    @property
    def interpolations(self) -> tuple[Interpolation, ...]:
        return tuple(p for p in self.parts if isinstance(p, Interpolation))

    @property
    def is_raw(self) -> bool:
        """``r"..."`` or ``r\"\"\"...\"\"\"``: a backslash is itself (no escapes)."""
        return self.raw.startswith("r")


@dataclass(frozen=True, slots=True, kw_only=True)
class Duration(Node):
    text: str
    milliseconds: int | None  # None when the text is not a valid duration (see rule E106)

    @property
    def seconds(self) -> float | None:
        return None if self.milliseconds is None else self.milliseconds / 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Integer(Node):
    value: int
