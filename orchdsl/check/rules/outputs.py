"""Outputs (language 1.1): references to other tasks' outputs, and the params a task hands to
the nested orchestration it runs."""

from __future__ import annotations

from orchdsl.check.rules import Finding, rule
from orchdsl.check.scope import Reader, conditions, task_readers
from orchdsl.lang import ast
from orchdsl.lang.diagnostics import did_you_mean
from orchdsl.lang.loader import Loader
from orchdsl.lang.source import SourceError


@rule("E118", "bad-output-reference")
def bad_output_reference(ctx):
    """A reference to an output (``${tasks.crm.outputs.rows}`` in a task's strings,
    ``tasks.crm.outputs.rows`` in a condition) names a task that does not exist or does not
    run before the reader: only tasks of earlier phases have ended, and so have outputs, when a
    task starts or a condition is decided. An output of a matrix task is read from one of its
    instances (``tasks.load.eu.outputs.rows``).

    Also: a task ``param`` option (``param day = "..."``) on a task that runs no nested
    orchestration, or one that the nested file does not declare as a param.

    Bad:
        phase "Extract" {
            task crm  extractor run "./crm.sh"
            task load writer run "./load.sh --rows ${tasks.crm.outputs.rows}"
        }

    Good:
        phase "Extract" {
            task crm extractor run "./crm.sh"
        }
        phase "Load" {
            task load writer run "./load.sh --rows ${tasks.crm.outputs.rows}"
        }
    """
    scope = ctx.scope
    for reader, task in task_readers(ctx.orchestration):
        says = f"{reader.subject} reads an output of"
        for string in task.strings():
            for interpolation in string.interpolations:
                written = interpolation.output_ref
                if written is not None:
                    yield from _problem(scope, reader, says, written, interpolation.span)
    for reader, when in conditions(ctx.orchestration):
        says = f"{reader.condition} reads an output of"
        for reference in ast.references(when.condition):
            if reference.output is not None:
                yield from _problem(scope, reader, says, (reference.task, reference.output),
                                    reference.span)
    yield from _nested_params(ctx)


def _problem(scope, reader: Reader, says: str, written: tuple[str, str], span):
    task, output = written
    whole = f"tasks.{task}.<instance>.outputs.{output}"
    problem = scope.task_problem(task, reader, says, whole=f"read one instance's: {whole}")
    if problem is not None:
        yield Finding(span, problem.message, problem.help, problem.notes)


def _nested_params(ctx):
    for task in ctx.orchestration.tasks:
        if not task.params:
            continue
        if not isinstance(task.action, ast.Nested):
            for param in task.params:
                yield Finding(param.name.span, f'task "{task.name.text}" passes param '
                                               f'"{param.name.text}", but it runs no nested '
                                               "orchestration",
                              "a task param goes to the file an orchestration task runs; "
                              'declare a param of this file with param <name> = "..." at the '
                              "top, or set an environment variable with env")
            continue
        child = _child(ctx.loader, ctx.document, task.action)
        if child is None:
            continue  # E108 reports a nested file that is missing or does not parse
        yield from _undeclared(task, child)


def _child(loader: Loader, document: ast.Document, action: ast.Nested) -> ast.Orchestration | None:
    try:
        return loader.load(loader.nested_path(document, action)).document.orchestration
    except (SourceError, OSError):
        return None


def _undeclared(task: ast.Task, child: ast.Orchestration):
    declared = [p.name.text for p in child.params]
    secrets = {s.name.text for s in child.secrets}
    shown = task.action.path.value
    for param in task.params:
        name = param.name.text
        if name in declared:
            continue
        if name in secrets:
            message = (f'"{name}" is a secret of "{shown}", not a param: a nested '
                       "orchestration reads its secrets from the environment")
            help = f"remove the param: the environment variable {name} reaches the child"
        else:
            message = f'"{shown}" declares no param "{name}"'
            help = (did_you_mean(name, declared)
                    or (f"its params: {', '.join(declared)}" if declared else
                        f'it declares none: add param {name} = "..." to it'))
        yield Finding(param.name.span, message, help)
