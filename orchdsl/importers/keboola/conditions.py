"""A conditional flow's ``next`` conditions as ``when`` conditions (docs/reference.md, "Conditions").

Keboola evaluates a phase's transitions once its tasks have finished and takes the first whose
condition holds; one without a condition is taken when the phase succeeded. orchdsl runs the
phases in one order instead, each with a ``when``: a phase runs when some transition leading
to it was taken. Which Keboola conditions have an orchdsl equivalent is in
docs/import-keboola.md ("Conditional flows").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from orchdsl.importers.keboola.expr import ALWAYS, Call, Compare, Expr, Group, Not, both, either
from orchdsl.importers.keboola.json_source import compact
from orchdsl.importers.keboola.model import Condition
from orchdsl.importers.keboola.names import quote

STATUS_FIELDS = frozenset({"status", "job.status"})
FAILED_STATUSES = frozenset({"error"})
SPLIT_FAILURES = frozenset({"user_error", "application_error"})  # together: "error"
COMPARISONS = {"EQUALS": "==", "NOT_EQUALS": "!=", "GREATER_THAN": ">", "LESS_THAN": "<"}
WORDS = {"AND": "and", "OR": "or", "INCLUDES": "includes", "CONTAINS": "contains"}


class Unsupported(Exception):
    """A condition with no orchdsl equivalent; the message says which part."""


@dataclass(frozen=True, slots=True)
class Scope:
    """What conditions can name: converted tasks by Keboola id, the enabled tasks of each
    phase, and the params that Keboola's fixed variables became."""

    task_names: Mapping[str, str]
    phase_tasks: Mapping[str, tuple[str, ...]]
    params: Mapping[str, str]

    def task(self, task_id: str) -> str:
        if task_id not in self.task_names:
            raise Unsupported(f"task {task_id} is no converted, enabled task")
        return self.task_names[task_id]

    def phase(self, phase_id: str) -> tuple[str, ...]:
        if not self.phase_tasks.get(phase_id):
            raise Unsupported(f"phase {phase_id} has no converted, enabled task")
        return self.phase_tasks[phase_id]


def translate(condition: Condition, scope: Scope) -> Expr:
    """The orchdsl condition meaning what ``condition`` means; Unsupported otherwise."""
    if condition.type != "operator":
        raise Unsupported(describe(condition))
    operator = condition.operator.upper()
    if operator in ("AND", "OR") and condition.operands:
        operands = [translate(o, scope) for o in _merged_failures(condition.operands)]
        return both(*operands) if operator == "AND" else either(operands)
    if operator in COMPARISONS:
        return _comparison(condition, operator, scope)
    if operator in ("ALL_TASKS_IN_PHASE", "ANY_TASKS_IN_PHASE", "ANY_TASKS_IN_ANY_PHASE"):
        return _aggregate(condition, operator, scope)
    if operator == "CONTINUE_ON_FAILURE":
        tolerated = {scope.task_names.get(task_id) for task_id in condition.tasks}
        rest = tuple(name for name in scope.phase(condition.phase) if name not in tolerated)
        return Call("succeeded", rest) if rest else ALWAYS
    raise Unsupported(describe(condition))


def _comparison(condition: Condition, operator: str, scope: Scope) -> Expr:
    subject, value = _subject_and_constant(condition)
    if subject.type in ("task", "phase") and subject.value in STATUS_FIELDS:
        if operator not in ("EQUALS", "NOT_EQUALS"):
            raise Unsupported(describe(condition))
        refs = (scope.task(subject.task),) if subject.type == "task" else scope.phase(
            subject.phase)
        call = _status_call(str(value), refs)
        return Not(call) if operator == "NOT_EQUALS" else call
    if subject.type == "variable" and str(subject.value) in scope.params:
        return Compare(f"params.{scope.params[str(subject.value)]}", COMPARISONS[operator],
                       _literal(value, condition))
    raise Unsupported(describe(condition))


def _subject_and_constant(condition: Condition) -> tuple[Condition, object]:
    if len(condition.operands) != 2:
        raise Unsupported(describe(condition))
    first, second = condition.operands
    if second.type in ("const", "constant"):
        return first, second.value
    if first.type in ("const", "constant"):
        return second, first.value
    raise Unsupported(describe(condition))


def _status_call(status: str, refs: tuple[str, ...]) -> Call:
    if status == "success":
        return Call("succeeded", refs)
    if status in FAILED_STATUSES:
        return Call("failed", refs)
    if status in SPLIT_FAILURES:
        raise Unsupported(f'status "{status}" alone (orchdsl knows one failure, "error")')
    raise Unsupported(f'status "{status}"')


def _literal(value: object, condition: Condition) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return str(int(value))
    if isinstance(value, str):
        return quote(value)
    raise Unsupported(describe(condition))


def _aggregate(condition: Condition, operator: str, scope: Scope) -> Expr:
    if len(condition.operands) != 1 or condition.operands[0].operator.upper() != "EQUALS":
        raise Unsupported(describe(condition))
    subject, status = _subject_and_constant(condition.operands[0])
    if subject.value not in STATUS_FIELDS:
        raise Unsupported(describe(condition))
    if operator == "ANY_TASKS_IN_ANY_PHASE" and status in FAILED_STATUSES:
        return Call("failed")
    if operator == "ALL_TASKS_IN_PHASE" and status == "success":
        return Call("succeeded", scope.phase(condition.phase))
    if operator == "ANY_TASKS_IN_PHASE" and status in FAILED_STATUSES:
        return Call("failed", scope.phase(condition.phase))
    raise Unsupported(describe(condition))


def _merged_failures(operands: tuple[Condition, ...]) -> list[Condition]:
    """In an OR, ``status == "user_error"`` and ``status == "application_error"`` of one
    task or phase together mean ``status == "error"``."""
    statuses: dict[tuple, set] = {}
    for operand in operands:
        key = _failure_key(operand)
        if key is not None:
            statuses.setdefault(key[0], set()).add(key[1])
    merged, done = [], set()
    for operand in operands:
        key = _failure_key(operand)
        if key is None or not statuses[key[0]] >= SPLIT_FAILURES:
            merged.append(operand)
        elif key[0] not in done:
            done.add(key[0])
            merged.append(_as_error(operand))
    return merged


def _failure_key(condition: Condition) -> tuple | None:
    """((subject type, task, phase), status) for ``status == "user_error"``-like nodes."""
    if condition.operator.upper() != "EQUALS":
        return None
    try:
        subject, value = _subject_and_constant(condition)
    except Unsupported:
        return None
    if value not in SPLIT_FAILURES or subject.value not in STATUS_FIELDS:
        return None
    return (subject.type, subject.task, subject.phase), value


def _as_error(condition: Condition) -> Condition:
    subject, _ = _subject_and_constant(condition)
    return replace(condition, operands=(subject, Condition("const", '"error"', value="error")))


def describe(condition: Condition, inner: bool = False) -> str:
    """A condition as a reader would say it: ``DATE("l") == "Monday"``, ``phase extract
    status == "warning"``; unknown nodes as their JSON."""
    operator = condition.operator.upper()
    parts = [describe(o, True) for o in condition.operands]
    word = COMPARISONS.get(operator) or WORDS.get(operator)
    if condition.type == "operator" and word and (len(parts) == 2 or operator in WORDS and parts):
        joined = f" {word} ".join(parts)
        return f"({joined})" if inner else joined
    if condition.type in ("operator", "function"):
        subject = [f"phase {condition.phase}"] if condition.phase else []
        return f"{condition.operator}({', '.join(subject + parts)})"
    if condition.type in ("const", "constant"):
        return compact(condition.value)
    if condition.type in ("task", "phase"):
        return f"{condition.type} {condition.task or condition.phase} {condition.value}"
    if condition.type == "variable":
        return f"variable {condition.value}"
    return condition.raw


def implies_ran(expr: Expr, own: tuple[str, ...]) -> bool:
    """Whether ``expr`` can only hold once the phase whose tasks are ``own`` has run."""
    if isinstance(expr, Call):
        return bool(expr.refs) and set(expr.refs) <= set(own)
    if isinstance(expr, Group) and expr.operator == "and":
        return any(implies_ran(o, own) for o in expr.operands)
    if isinstance(expr, Group):
        return all(implies_ran(o, own) for o in expr.operands)
    return False


def refs_of(expr: Expr) -> set[str]:
    if isinstance(expr, Call):
        return set(expr.refs)
    if isinstance(expr, Not):
        return refs_of(expr.operand)
    if isinstance(expr, Group):
        return set().union(*(refs_of(o) for o in expr.operands))
    return set()
