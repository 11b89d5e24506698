"""Values: durations and counts that cannot work."""

from __future__ import annotations

from orchdsl.lang import ast
from orchdsl.lang.lexical import DurationError, parse_duration
from orchdsl.check.rules import Finding, rule


def _durations(orchestration: ast.Orchestration):
    for clause in orchestration.clauses:
        if isinstance(clause, ast.JobTimeout):
            yield "timeout", clause.duration
        elif isinstance(clause, ast.Notify) and clause.after is not None:
            yield "after", clause.after
    for task in orchestration.tasks:
        for option in task.options:
            if isinstance(option, ast.TimeoutOption):
                yield "timeout", option.duration
            elif isinstance(option, ast.RetriesOption) and option.backoff is not None:
                yield "backoff", option.backoff


@rule("E106", "invalid-duration")
def invalid_duration(ctx):
    """A duration is not one or more ``<int><unit>`` parts with units ``ms s m h d`` from the
    largest to the smallest, each once; or it is zero (a zero ``timeout`` would cancel every
    run, a zero ``after`` would fire at once).

    Bad:
        timeout 90x
        timeout 30m1h
        timeout 15
        timeout 1.5h
        timeout 0s

    Good:
        timeout 1h30m
    """
    for keyword, duration in _durations(ctx.orchestration):
        if duration.milliseconds is None:
            try:
                parse_duration(duration.text)
            except DurationError as exc:
                yield Finding(duration.span, str(exc), exc.help)
        elif duration.milliseconds == 0:
            yield Finding(duration.span, f'"{keyword}" must be longer than zero',
                          "give a positive duration like 30s")


@rule("E115", "invalid-concurrency")
def invalid_concurrency(ctx):
    """``concurrency`` is zero: no task could ever start. Leave the clause out for no limit
    beyond the phase.

    Bad:
        concurrency 0

    Good:
        concurrency 4
    """
    for clause in ctx.orchestration.of_type(ast.Concurrency):
        if clause.value.value < 1:
            yield Finding(clause.value.span, "concurrency must be at least 1",
                          "leave the clause out for no limit")
