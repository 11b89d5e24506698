"""Matrices (language 1.1): lists that fan a task out, and the outputs a dynamic one reads."""

from __future__ import annotations

from orchdsl.check.rules import Finding, repeats, rule
from orchdsl.check.scope import task_readers
from orchdsl.lang import ast, matrix
from orchdsl.lang.diagnostics import Note


@rule("E120", "invalid-matrix")
def invalid_matrix(ctx):
    """A ``matrix`` cannot work: an empty list, a value listed twice, two ``matrix`` options of
    one task with the same name, more than 10,000 instances from a task's lists (the message
    says how many), or a dynamic matrix (``matrix file from tasks.<task>.outputs.<name>``)
    whose task does not exist or does not run before this one (only tasks of earlier phases
    have ended, and so have outputs, when a phase starts). A matrix with the name of a param
    or secret is E114.

    Bad:
        phase "Load" {
            task list_files extractor run "./list.sh"
            task load writer run "./load.sh ${file}"
                matrix file from tasks.list_files.outputs.files
            task regions writer run "./publish.sh ${region}" matrix region = ["eu", "us", "eu"]
        }

    Good:
        phase "List" {
            task list_files extractor run "./list.sh"
        }
        phase "Load" {
            task load writer run "./load.sh ${file}"
                matrix file from tasks.list_files.outputs.files
            task regions writer run "./publish.sh ${region}" matrix region = ["eu", "us"]
        }
    """
    for reader, task in task_readers(ctx.orchestration):
        for option in task.matrices:
            if option.source is not None:
                if option.source.task is not None:  # else malformed: E001 says how
                    yield from _source_problem(ctx.scope, reader, task, option)
            else:
                yield from _list_problems(task, option)
        for option, first in repeats(task.matrices, lambda m: m.name.text):
            yield Finding(option.name.span, f'task "{task.name.text}" has two matrices named '
                                            f'"{option.name.text}"',
                          "give each matrix of a task its own name",
                          (Note("first given here", first.name.span),))
        yield from _too_many(task)


def _list_problems(task: ast.Task, option: ast.MatrixOption):
    if not option.values:
        yield Finding(option.span, f'matrix "{option.name.text}" of task "{task.name.text}" '
                                   "has no value", 'list at least one: matrix '
                                                   f'{option.name.text} = ["a", "b"]')
        return
    for value, first in repeats(option.values, lambda v: v.value):
        yield Finding(value.span, f'matrix "{option.name.text}" lists "{value.value}" twice',
                      "list each value once", (Note("first listed here", first.span),))


def _source_problem(scope, reader, task: ast.Task, option: ast.MatrixOption):
    source = option.source
    says = f'matrix "{option.name.text}" of {reader.subject} takes its values from'
    whole = f"read one instance's output: tasks.{source.task}.<instance>.outputs.{source.output}"
    problem = scope.task_problem(source.task, reader, says, whole=whole)
    if problem is not None:
        yield Finding(source.span, problem.message, problem.help, problem.notes)


def _too_many(task: ast.Task):
    clauses = matrix.static_clauses(task)
    if not clauses:
        return
    total = matrix.count(clauses)
    if total > matrix.MAX_INSTANCES:
        sizes = " × ".join(f"{len(values):,}" for _, values in clauses)
        shown = f" ({sizes})" if len(clauses) > 1 else ""
        yield Finding(task.name.span, f'task "{task.name.text}" would run as {total:,} matrix '
                                      f"instances{shown}; at most {matrix.MAX_INSTANCES:,} are "
                                      "allowed", "split the lists over several tasks")


def matrix_name_clashes(ctx):
    """For E114: a matrix named like a param or secret of the file (``${name}`` would mean
    either)."""
    declared = ctx.declared
    for task in ctx.orchestration.tasks:
        for option in task.matrices:
            first = declared.get(option.name.text)
            if first is not None:
                what = "param" if isinstance(first, ast.Param) else "secret"
                yield Finding(option.name.span, f'matrix "{option.name.text}" of task '
                                                f'"{task.name.text}" has the name of a {what}',
                              "give the matrix its own name: ${" + option.name.text + "} "
                              "would mean either", (Note("declared here", first.name.span),))
