"""E112: clauses and options that may appear once."""

from __future__ import annotations

from orchdsl import ast
from orchdsl.diagnostics import Note
from orchdsl.rules import Finding, rule

ONCE_PER_ORCHESTRATION = (ast.Description, ast.Concurrency, ast.JobTimeout, ast.FailFast)


def _repeats(nodes, key):
    seen: dict[object, object] = {}
    for node in nodes:
        k = key(node)
        if k is None:
            continue
        if k in seen:
            yield node, seen[k]
        else:
            seen[k] = node


def _option_key(option):
    if isinstance(option, ast.EnvOption):
        return ("env", option.name.text)  # env repeats, once per variable
    return type(option)


@rule("E112", "repeated-clause")
def repeated_clause(ctx):
    """A clause or option that may appear once appears again: ``description``,
    ``concurrency``, ``timeout`` and ``fail_fast`` of the orchestration; each option of a task
    (``env`` once per variable); ``timezone``, ``overlap`` and ``catchup`` of a schedule.
    ``schedule``, ``notify``, ``param``, ``secret`` and ``phase`` may repeat.

    Bad:
        task crm extractor run "python crm.py" timeout 10m timeout 20m

    Good:
        task crm extractor run "python crm.py" timeout 20m
    """
    orchestration = ctx.orchestration
    clause_key = lambda c: type(c) if isinstance(c, ONCE_PER_ORCHESTRATION) else None
    for clause, first in _repeats(orchestration.clauses, clause_key):
        yield _finding(clause, first, f'"{ast.CLAUSE_KEYWORDS[type(clause)]}" may appear once '
                                      "per orchestration")
    for schedule in orchestration.schedules:
        for option, first in _repeats(schedule.options, lambda o: o.keyword):
            yield _finding(option, first, f'"{option.keyword}" may appear once per schedule')
    for task in orchestration.tasks:
        for option, first in _repeats(task.options, _option_key):
            if isinstance(option, ast.EnvOption):
                message = f'env {option.name.text} is set twice in task "{task.name.text}"'
            else:
                keyword = ast.OPTION_KEYWORDS[type(option)]
                message = f'"{keyword}" may appear once per task (task "{task.name.text}")'
            yield _finding(option, first, message)


def _finding(node, first, message: str) -> Finding:
    return Finding(node.span, message, "remove one of them",
                   (Note("first given here", first.span),))
