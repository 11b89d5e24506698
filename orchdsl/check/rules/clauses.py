"""E112: clauses and options that may appear once."""

from __future__ import annotations

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Note
from orchdsl.check.rules import Finding, repeats, rule

ONCE_PER_ORCHESTRATION = (ast.Description, ast.Concurrency, ast.JobTimeout, ast.FailFast)


def _option_key(option):
    if isinstance(option, (ast.EnvOption, ast.ParamOption)):  # once per variable, per param
        return (type(option), option.name.text)
    if isinstance(option, ast.MatrixOption):
        return None  # matrix repeats; a name used twice is E120's
    return type(option)


@rule("E112", "repeated-clause")
def repeated_clause(ctx):
    """A clause or option that may appear once appears again: ``description``,
    ``concurrency``, ``timeout`` and ``fail_fast`` of the orchestration; each option of a task
    (``env`` once per variable, a task's ``param`` once per name, ``matrix`` repeats);
    ``timezone``, ``overlap`` and ``catchup`` of a schedule. ``schedule``, ``notify``,
    ``param``, ``secret`` and ``phase`` may repeat.

    Bad:
        task crm extractor run "python crm.py" timeout 10m timeout 20m

    Good:
        task crm extractor run "python crm.py" timeout 20m
    """
    orchestration = ctx.orchestration
    clause_key = lambda c: type(c) if isinstance(c, ONCE_PER_ORCHESTRATION) else None
    for clause, first in repeats(orchestration.clauses, clause_key):
        yield _finding(clause, first, f'"{ast.CLAUSE_KEYWORDS[type(clause)]}" may appear once '
                                      "per orchestration")
    for schedule in orchestration.schedules:
        for option, first in repeats(schedule.options, lambda o: o.keyword):
            yield _finding(option, first, f'"{option.keyword}" may appear once per schedule')
    for notify in orchestration.notifications:
        for event, first in repeats(notify.events, lambda e: e.text):
            yield _finding(event, first, f'event "{event.text}" is listed twice')
    for task in orchestration.tasks:
        for option, first in repeats(task.options, _option_key):
            if isinstance(option, (ast.EnvOption, ast.ParamOption)):
                keyword = ast.OPTION_KEYWORDS[type(option)]
                message = (f'{keyword} {option.name.text} is set twice in task '
                           f'"{task.name.text}"')
            else:
                keyword = ast.OPTION_KEYWORDS[type(option)]
                message = f'"{keyword}" may appear once per task (task "{task.name.text}")'
            help = None
            if isinstance(option, ast.NeedsOption):  # needs a needs b: one list says it
                help = "list them in one: needs " + ", ".join(w.text for w in task.needs)
            yield _finding(option, first, message, help)


def _finding(node, first, message: str, help: str | None = None) -> Finding:
    return Finding(node.span, message, help or "remove one of them",
                   (Note("first given here", first.span),))
