"""``when`` conditions as the plan holds them (docs/reference.md, "Conditions"): a small typed
expression with every name resolved that planning can resolve (a phase's tasks, a static
matrix's instances), evaluated by the runner (runner/conditions.py) when the task or phase is
reached."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Union

if TYPE_CHECKING:  # a cached plan is run without loading the syntax tree's module
    from orchdsl.lang import ast


@dataclass(frozen=True, slots=True)
class Lit:
    value: Union[str, int, bool]


@dataclass(frozen=True, slots=True)
class Value:
    """A value read when the condition is evaluated: ``params.day``, ``env.HOME``,
    ``job.fire_date``, ``tasks.crm.outputs.rows``, ``tasks.crm.state``."""

    name: str


@dataclass(frozen=True, slots=True)
class Status:
    """``succeeded(...)``/``failed(...)``/``always()``: ``tasks`` the names it asks about
    (phases and static matrices already spelled out; a dynamic matrix task by its own name),
    None for "every task before"."""

    name: str
    tasks: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class Negation:
    operand: "Expr"


@dataclass(frozen=True, slots=True)
class Combined:
    op: str  # "and" or "or"
    operands: tuple["Expr", ...]


Expr = Union[Lit, Value, Status, Compare, Negation, Combined]


@dataclass(frozen=True, slots=True)
class Condition:
    """A task's or phase's ``when``: ``text`` as written (reasons quote it)."""

    expr: Expr
    text: str

    @property
    def skip_reason(self) -> str:
        return f"when {self.text}: false"


def condition_of(when: ast.When, tasks_of: Callable[[ast.Word | ast.StringLit], tuple[str, ...]],
                 *, phase: bool) -> Condition:
    """The plan's form of a ``when``. ``tasks_of(arg)`` spells out a status call's argument.
    A phase condition that asks about no task's status is read as ``succeeded() and (...)``,
    as in GitHub Actions, so a plain test never runs a phase after a failure."""
    from orchdsl.lang import ast

    expr = _expr(when.condition, tasks_of)
    if phase and not ast.status_calls(when.condition):
        expr = Combined("and", (Status("succeeded", None), expr))
    return Condition(expr, when.text)


def _expr(node, tasks_of) -> Expr:
    from orchdsl.lang import ast

    if isinstance(node, ast.BoolOp):
        return Combined(node.op, tuple(_expr(n, tasks_of) for n in node.operands))
    if isinstance(node, ast.Not):
        return Negation(_expr(node.operand, tasks_of))
    if isinstance(node, ast.Comparison):
        return Compare(node.op, _expr(node.left, tasks_of), _expr(node.right, tasks_of))
    if isinstance(node, ast.Reference):
        return Value(node.text)
    if isinstance(node, ast.StatusCall):
        if node.name == "always" or not node.args:
            return Status(node.name, None)
        return Status(node.name, tuple(n for arg in node.args for n in tasks_of(arg)))
    if isinstance(node, ast.BoolLit):
        return Lit(node.value)
    if isinstance(node, ast.Integer):
        return Lit(node.value)
    return Lit(node.value)  # a string literal


def values_read(expr: Expr) -> list[str]:
    """The names of the values a condition reads (to bind them before it is evaluated)."""
    stack, found = [expr], []
    while stack:
        node = stack.pop()
        if isinstance(node, Value):
            found.append(node.name)
        elif isinstance(node, Compare):
            stack += [node.left, node.right]
        elif isinstance(node, Negation):
            stack.append(node.operand)
        elif isinstance(node, Combined):
            stack.extend(node.operands)
    return found
