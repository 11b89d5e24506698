"""Evaluating ``when`` conditions when a task or phase is reached (docs/reference.md,
"Conditions").

Comparisons: two integers compare as numbers; an integer and a string convert the string as a
decimal integer (a string that is not one fails the condition); two strings compare by code
points; ``true``/``false`` only with ``==``/``!=``. A value that cannot be had (an output that
is not set) fails the condition too: ``ConditionError`` says why, and the task (or every task
of the phase) fails with that reason.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:  # loaded with the first condition evaluated: most jobs have none
    from orchdsl.planning.conditions import Combined, Condition, Expr, Status

OPERATORS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
             ">": operator.gt, ">=": operator.ge}


class ConditionError(Exception):
    """The condition cannot be evaluated; the message is the task's reason."""


class Facts(Protocol):
    """What a condition may ask about the job at the moment it is evaluated."""

    def value(self, name: str) -> str:
        """``params.x``, ``env.X``, ``job.x``, ``tasks.T.outputs.N``, ``tasks.T.state``;
        raises ConditionError when it has none (an output that is not set)."""

    def states(self, tasks: tuple[str, ...]) -> list[str]:
        """The states of the named tasks (a matrix task's name stands for its instances)."""

    def any_failed_before(self) -> bool:
        """Whether a task that ended so far failed or was cancelled."""


def holds(condition: Condition, facts: Facts) -> bool:
    """Whether the condition is true; raises ConditionError."""
    result = _evaluate(condition.expr, facts)
    if not isinstance(result, bool):
        raise ConditionError(f"when {condition.text}: not true or false")
    return result


def _evaluate(expr: Expr, facts: Facts):
    from orchdsl.planning import conditions as c

    if isinstance(expr, c.Lit):
        return expr.value
    if isinstance(expr, c.Value):
        return facts.value(expr.name)
    if isinstance(expr, c.Status):
        return _status(expr, facts)
    if isinstance(expr, c.Negation):
        return not _boolean(_evaluate(expr.operand, facts), "not")
    if isinstance(expr, c.Combined):
        return _combine(expr, facts)
    assert isinstance(expr, c.Compare)
    return _compare(expr.op, _evaluate(expr.left, facts), _evaluate(expr.right, facts))


def _combine(expr: Combined, facts: Facts) -> bool:
    """``and`` and ``or`` stop at the first operand that decides, as a reader expects
    (``tasks.a.state == "succeeded" and tasks.a.outputs.n > 0`` does not read an output
    of a task that failed)."""
    deciding = expr.op == "or"
    for operand in expr.operands:
        if _boolean(_evaluate(operand, facts), expr.op) is deciding:
            return deciding
    return not deciding


def _status(expr: Status, facts: Facts) -> bool:
    if expr.name == "always":
        return True
    if expr.tasks is None:
        failed = facts.any_failed_before()
        return not failed if expr.name == "succeeded" else failed
    states = facts.states(expr.tasks)
    if expr.name == "succeeded":
        return bool(states) and all(s == "succeeded" for s in states)
    return any(s == "failed" for s in states)


def _boolean(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConditionError(f"{where} needs true or false, not {_shown(value)}")
    return value


def _compare(op: str, left, right) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        if op not in ("==", "!=") or type(left) is not type(right):
            raise ConditionError(f"{_shown(left)} {op} {_shown(right)}: true and false "
                                 "compare only with == and != to true or false")
        return OPERATORS[op](left, right)
    if isinstance(left, int) != isinstance(right, int):
        left, right = _number(left), _number(right)
    return OPERATORS[op](left, right)


def _number(value) -> int:
    if isinstance(value, int):
        return value
    text = value.strip()
    if text.lstrip("+-").isdigit() and text.isascii():
        return int(text)
    raise ConditionError(f"{_shown(value)} is not a whole number, so it cannot be compared "
                         "with one")


def _shown(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + value[:40] + ('..."' if len(value) > 40 else '"')


Getter = Callable[[str], str]
