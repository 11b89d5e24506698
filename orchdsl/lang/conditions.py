"""The syntax tree of a ``when`` condition (docs/reference.md, "Conditions").

Precedence, lowest first: ``or``, ``and``, ``not``, the comparisons ``== != < <= > >=`` (not
chained), then operands: string literals (``StringLit``), integers (``Integer``), ``true`` and
``false`` (``BoolLit``), references (``Reference``) and the calls ``succeeded(...)``,
``failed(...)`` and ``always()`` (``StatusCall``)::

    when tasks.crm.outputs.rows > 0 or not params.full_refresh == "false"

    When(condition=BoolOp(op="or", operands=(
        Comparison(op=">", left=Reference(parts=("tasks", "crm", "outputs", "rows")),
                   right=Integer(value=0)),
        Not(operand=Comparison(op="==", left=Reference(parts=("params", "full_refresh")),
                               right=StringLit(...))))),
         text='tasks.crm.outputs.rows > 0 or not params.full_refresh == "false"')

A condition nests at most ``MAX_DEPTH`` levels (a deeper one is a syntax error and the tree
holds ``true`` in its place), so code that walks a condition may recurse.

Parentheses make no node of their own: they group, and the span of a parenthesized condition
covers its parentheses (so ``fmt`` prints them where they were written). ``a or b or c`` is one
``BoolOp`` with three operands; ``(a or b) or c`` is two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from orchdsl.lang.nodes import Integer, Node, StringLit, Word

REFERENCE_ROOTS = ("params", "env", "tasks", "job")
STATUS_FUNCTIONS = ("succeeded", "failed", "always")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True, slots=True, kw_only=True)
class BoolLit(Node):
    value: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference(Node):
    """A value read at run time, its dotted name split into ``parts``, one of:

    - ``("params", "day")``; ``("env", "HOME")``; ``("job", "fire_date")`` (``job.id``,
      ``job.fire_time``, ``job.fire_date``);
    - ``("tasks", "crm", "outputs", "rows")`` and ``("tasks", "crm", "state")``; the task may
      be a matrix instance, kept as one part: ``("tasks", "load.eu", "outputs", "x")``.

    Any other shape is a syntax error that says what is wrong; such a reference is kept
    with ``well_formed`` false (its parts as written), and its properties are None.
    """

    parts: tuple[str, ...]
    well_formed: bool = True

    @property
    def text(self) -> str:
        return ".".join(self.parts)

    @property
    def root(self) -> str:
        return self.parts[0]

    def _part(self, root: str) -> str | None:
        return self.parts[1] if self.well_formed and self.root == root else None

    @property
    def param(self) -> str | None:
        return self._part("params")

    @property
    def env_var(self) -> str | None:
        return self._part("env")

    @property
    def job_value(self) -> str | None:
        """``"id"``, ``"fire_time"`` or ``"fire_date"``."""
        return self._part("job")

    @property
    def task(self) -> str | None:
        """The task as written: ``crm``, or a matrix instance such as ``load.eu``."""
        return self._part("tasks")

    @property
    def task_name(self) -> str | None:
        """The task itself, without an instance: ``load`` for ``tasks.load.eu.outputs.x``."""
        return self.task.split(".")[0] if self.task is not None else None

    @property
    def output(self) -> str | None:
        return self.parts[3] if self.task is not None and len(self.parts) == 4 else None

    @property
    def is_state(self) -> bool:
        """``tasks.<task>.state``."""
        return self.task is not None and len(self.parts) == 3


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusCall(Node):
    """``succeeded(...)``, ``failed(...)`` or ``always()``. Each argument names a task (a
    ``Word``, which may be a matrix instance ``load.eu``) or, in quotes, a phase (a
    ``StringLit``); no argument means every task before."""

    name: str  # one of STATUS_FUNCTIONS
    args: tuple[Word | StringLit, ...] = ()


Operand = Union[StringLit, Integer, BoolLit, Reference, StatusCall]


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison(Node):
    op: str  # one of COMPARISONS
    left: "Condition"
    right: "Condition"


@dataclass(frozen=True, slots=True, kw_only=True)
class Not(Node):
    operand: "Condition"


@dataclass(frozen=True, slots=True, kw_only=True)
class BoolOp(Node):
    op: str  # "and" or "or"
    operands: tuple["Condition", ...]  # two or more


Condition = Union[BoolOp, Not, Comparison, StringLit, Integer, BoolLit, Reference, StatusCall]


@dataclass(frozen=True, slots=True, kw_only=True)
class When(Node):
    """``when <condition>``: on a phase (``Phase.when``), or a task's option (``WhenOption``).

    The span covers the keyword and the condition. ``text`` is the condition as written, each
    line break (with its indentation and any comment) read as one space: what a reason such
    as ``when <text>: false`` quotes.
    """

    condition: Condition
    text: str


MAX_DEPTH = 32  # levels of nesting a condition may have (deeper is a syntax error)


def parts(condition: Condition) -> tuple[Condition, ...]:
    """The conditions a condition is made of, left to right (none for an operand)."""
    if isinstance(condition, BoolOp):
        return condition.operands
    if isinstance(condition, Not):
        return (condition.operand,)
    if isinstance(condition, Comparison):
        return (condition.left, condition.right)
    return ()


def walk(condition: Condition):
    """Every node of a condition, the condition first, then its parts from left to right."""
    stack = [condition]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(parts(node)))


def depth(condition: Condition) -> int:
    """Levels of nesting: 1 for an operand, 2 for ``a == b`` or ``not a``, ..."""
    deepest, stack = 0, [(condition, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((part, level + 1) for part in parts(node))
    return deepest


def references(condition: Condition) -> tuple[Reference, ...]:
    return tuple(n for n in walk(condition) if isinstance(n, Reference))


def status_calls(condition: Condition) -> tuple[StatusCall, ...]:
    return tuple(n for n in walk(condition) if isinstance(n, StatusCall))
