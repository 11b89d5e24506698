"""Types of a ``when`` condition known before any run (docs/reference.md, "Conditions").

Every operand has a type: ``true``, ``false``, comparisons, ``not``/``and``/``or`` and the
status calls are booleans; an integer literal is an integer; a string literal and every
reference (params, env, outputs, states, job values) are strings. A string may hold a decimal
integer at run time, so ``params.x < 3`` is fine; a string *literal* is known now, so
``3 < "abc"`` is not. Lint (E119) reports what could never work; W211 what never changes.
"""

from __future__ import annotations

import enum
import operator
import re
from dataclasses import dataclass

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import did_you_mean
from orchdsl.lang.source import Span

# The states a task before this one can be in when a condition reads it (docs/reference.md).
STATES = ("succeeded", "failed", "skipped", "disabled", "cancelled")
ORDERING = ("<", "<=", ">", ">=")
# Lenient on purpose: lint reports only a literal that no reading could take for a number.
_DECIMAL = re.compile(r"\s*[+-]?[0-9]+\s*\Z")
_OPERATORS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
              ">": operator.gt, ">=": operator.ge}


class Type(enum.Enum):
    BOOL = "true or false"
    INT = "an integer"
    STR = "a string"


@dataclass(frozen=True, slots=True)
class TypeProblem:
    span: Span
    message: str
    help: str | None = None


def type_of(node: ast.Condition) -> Type:
    if isinstance(node, ast.Integer):
        return Type.INT
    if isinstance(node, (ast.StringLit, ast.Reference)):
        return Type.STR
    return Type.BOOL


def is_decimal(text: str) -> bool:
    return _DECIMAL.match(text) is not None


def type_problems(when: ast.When) -> list[TypeProblem]:
    """Everything in the condition whose types cannot work, in source order."""
    condition = when.condition
    found: list[TypeProblem] = []
    if type_of(condition) is not Type.BOOL:
        found.append(TypeProblem(condition.span, f"{type_of(condition).value} alone is not "
                                                 "true or false", _compare_help(condition)))
    for node in ast.walk(condition):
        if isinstance(node, ast.Not):
            found.extend(_needs_bool('"not"', (node.operand,)))
        elif isinstance(node, ast.BoolOp):
            found.extend(_needs_bool(f'"{node.op}"', node.operands))
        elif isinstance(node, ast.Comparison):
            problem = comparison_problem(node)
            if problem is not None:
                found.append(problem)
    return found


def _needs_bool(operator: str, operands) -> list[TypeProblem]:
    return [TypeProblem(o.span, f"{operator} needs true or false, and this is "
                                f"{type_of(o).value}", _compare_help(o))
            for o in operands if type_of(o) is not Type.BOOL]


def _compare_help(node: ast.Condition) -> str:
    if isinstance(node, ast.Reference):
        return f'compare it: {node.text} != "" or {node.text} > 0'
    return "compare a value: tasks.<task>.outputs.<name> > 0, params.<name> == \"yes\""


def comparison_problem(node: ast.Comparison) -> TypeProblem | None:
    left, right = node.left, node.right
    types = {type_of(left), type_of(right)}
    if Type.BOOL in types and node.op in ORDERING:
        return TypeProblem(node.span, f'"{node.op}" cannot compare true or false',
                           "true and false compare only with == and !=")
    if types == {Type.BOOL, Type.INT}:
        return TypeProblem(node.span, "true or false is compared with an integer: they are "
                                      "never equal", "compare true or false with == true or "
                                                     "== false")
    for one, other in ((left, right), (right, left)):
        problem = _state_problem(one, other) or _decimal_problem(one, other)
        if problem is not None:
            return problem
    return None


def _decimal_problem(one, other) -> TypeProblem | None:
    if isinstance(one, ast.Integer) and isinstance(other, ast.StringLit) \
            and not is_decimal(other.value):
        return TypeProblem(other.span, f'"{other.value}" is not a decimal integer, so comparing '
                                       f"it with {one.value} fails when the condition is "
                                       "evaluated", f'write the number itself: {one.value}, or '
                                                    f'a string: "{one.value}"')
    return None


def _state_problem(one, other) -> TypeProblem | None:
    if not (isinstance(one, ast.Reference) and one.is_state):
        return None
    if isinstance(other, ast.Integer):
        return TypeProblem(other.span, f"{one.text} is a state such as \"failed\", never an "
                                       "integer", "a task's state is one of: " + ", ".join(STATES))
    if isinstance(other, ast.StringLit) and other.value not in STATES:
        return TypeProblem(other.span, f'"{other.value}" is no task state',
                           did_you_mean(other.value, STATES)
                           or "a task's state is one of: " + ", ".join(STATES))
    return None


# --- constants (W211) ---------------------------------------------------------------------

def names_nothing(condition: ast.Condition) -> bool:
    """No reference, and no status call but ``always()``: the value never changes."""
    for node in ast.walk(condition):
        if isinstance(node, ast.Reference):
            return False
        if isinstance(node, ast.StatusCall) and node.name != "always":
            return False
    return True


def constant_value(node: ast.Condition) -> bool | int | str | None:
    """The value of a condition that names nothing, or None where it has no value (a type
    error, which E119 reports) or names something."""
    if isinstance(node, ast.BoolLit):
        return node.value
    if isinstance(node, (ast.Integer, ast.StringLit)):
        return node.value
    if isinstance(node, ast.StatusCall):
        return True if node.name == "always" else None
    if isinstance(node, ast.Not):
        value = constant_value(node.operand)
        return (not value) if isinstance(value, bool) else None
    if isinstance(node, ast.BoolOp):
        values = [constant_value(o) for o in node.operands]
        if not all(isinstance(v, bool) for v in values):
            return None
        return all(values) if node.op == "and" else any(values)
    if isinstance(node, ast.Comparison):
        return _compare(node.op, constant_value(node.left), constant_value(node.right))
    return None


def _compare(op: str, left, right) -> bool | None:
    if left is None or right is None:
        return None
    if isinstance(left, bool) or isinstance(right, bool):  # before int: True is an int
        if not (isinstance(left, bool) and isinstance(right, bool)) or op in ORDERING:
            return None
    elif isinstance(left, int) != isinstance(right, int):
        text = right if isinstance(left, int) else left
        if not is_decimal(text):
            return None
        left, right = (left, int(text)) if isinstance(left, int) else (int(text), right)
    return _OPERATORS[op](left, right)
