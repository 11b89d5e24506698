"""Every place a file names a task, a param, a matrix value, a phase or a nested file, with
the span of the name itself: what go to definition, find references, rename and hover look up.

A task is named by its ``task`` line (the definition), in ``needs``, in conditions
(``tasks.crm.state``, ``succeeded(crm)``), by a dynamic matrix's source and by
``${tasks.crm.outputs.rows}``; a matrix instance (``tasks.load.eu.outputs.x``) names its task
``load``. A param or secret by its declaration, ``${day}`` and ``params.day``; a matrix name
(``${region}``) belongs to its task's ``matrix`` clause.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from orchdsl.lang import ast
from orchdsl.lang.loader import Loader
from orchdsl.lang.source import Span

TASK, PARAM, MATRIX, PHASE, NESTED, CHILD_PARAM = ("task", "param", "matrix", "phase", "nested",
                                                   "child param")


@dataclass(frozen=True, slots=True)
class Occurrence:
    kind: str  # one of the kinds above
    name: str  # a task, param or phase name; a nested file's path (as resolved)
    span: Span  # the name as written (a phase's and a nested file's: the string, quotes too)
    definition: bool = False
    scope: str = ""  # a matrix name's task; a child param's nested file


class Occurrences:
    def __init__(self, found: list[Occurrence]):
        self.all = sorted(found, key=lambda o: o.span.start)
        self._starts = [o.span.start for o in self.all]

    def at(self, offset: int) -> Occurrence | None:
        """The occurrence whose name covers the offset (or ends right at it)."""
        index = bisect.bisect_right(self._starts, offset) - 1
        for candidate in self.all[max(index - 1, 0):index + 1][::-1]:
            if candidate.span.start <= offset <= candidate.span.end:
                return candidate
        return None

    def of(self, kind: str, name: str, scope: str = "") -> list[Occurrence]:
        return [o for o in self.all if (o.kind, o.name, o.scope) == (kind, name, scope)]

    def definition(self, found: Occurrence) -> Occurrence | None:
        """Where what ``found`` names is defined in this file (None: elsewhere, or nowhere)."""
        return next((o for o in self.of(found.kind, found.name, found.scope) if o.definition),
                    None)


def occurrences(document: ast.Document, path: str) -> Occurrences:
    found: list[Occurrence] = []
    orchestration = document.orchestration
    if orchestration is not None:
        text = document.text
        for clause in orchestration.clauses:
            if isinstance(clause, (ast.Param, ast.Secret)):
                found.append(Occurrence(PARAM, clause.name.text, clause.name.span, True))
        for phase in orchestration.phases:
            found.append(Occurrence(PHASE, phase.name.value, phase.name.span, True))
            if phase.when is not None:
                found.extend(_in_condition(phase.when.condition, text))
            for task in phase.tasks:
                found.extend(_in_task(task, document, text))
    return Occurrences(found)


def _in_task(task: ast.Task, document: ast.Document, text: str):
    name = task.name.text
    yield Occurrence(TASK, name, task.name.span, True)
    matrices = {m.name.text for m in task.matrices}
    for option in task.options:
        if isinstance(option, ast.NeedsOption):
            for word in option.names:
                yield from _named(TASK, word.text.split(".")[0], word.span, 0, text)
        elif isinstance(option, ast.WhenOption):
            yield from _in_condition(option.condition, text)
        elif isinstance(option, ast.MatrixOption):
            yield Occurrence(MATRIX, option.name.text, option.name.span, True, name)
            if option.source is not None:
                yield from _in_reference(option.source, text)
    for string in task.strings():
        for part in string.interpolations:
            yield from _in_interpolation(part, name, matrices, text)
    if isinstance(task.action, ast.Nested):
        nested = Loader.nested_path(document, task.action)
        yield Occurrence(NESTED, nested, task.action.path.span)
        for option in task.params:
            yield Occurrence(CHILD_PARAM, option.name.text, option.name.span, scope=nested)


def _in_interpolation(part: ast.Interpolation, task: str, matrices: set[str], text: str):
    plain, output = part.plain_name, part.output_ref
    if plain is not None:
        kind, scope = (MATRIX, task) if plain in matrices else (PARAM, "")
        yield from _named(kind, plain, part.span, 2, text, scope)
    elif output is not None:
        yield from _named(TASK, output[0].split(".")[0], part.span, len("${tasks."), text)


def _in_condition(condition: ast.Condition, text: str):
    for node in ast.walk(condition):
        if isinstance(node, ast.Reference):
            yield from _in_reference(node, text)
        elif isinstance(node, ast.StatusCall):
            for arg in node.args:
                if isinstance(arg, ast.StringLit):
                    yield Occurrence(PHASE, arg.value, arg.span)
                else:
                    yield from _named(TASK, arg.text.split(".")[0], arg.span, 0, text)


def _in_reference(reference: ast.Reference, text: str):
    if reference.task_name is not None:
        yield from _named(TASK, reference.task_name, reference.span, len("tasks."), text)
    elif reference.param is not None:
        yield from _named(PARAM, reference.param, reference.span, len("params."), text)


def _named(kind: str, name: str, span: Span, offset: int, text: str, scope: str = ""):
    """The occurrence of ``name`` written ``offset`` characters into ``span``, when the text
    there is the name (a span on one line, as every reference is)."""
    start = span.start + offset
    if text[start:start + len(name)] == name and span.line == span.end_line:
        yield Occurrence(kind, name, Span(span.path, span.line, span.column + offset, span.line,
                                          span.column + offset + len(name), start,
                                          start + len(name)), scope=scope)
