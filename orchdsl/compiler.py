"""Compile a checked orchestration into a ``networkx.DiGraph`` (docs/language.md, "The
compiled graph").

One node per task (its name) and two barrier nodes per phase, ``<phase>:start`` and
``<phase>:end``: ``start -> task -> end`` for every task, ``end(k) -> start(k+1)`` between
phases, and ``needed -> task`` for ``needs`` (which replaces that task's ``start`` edge). A
phase gets a ``start -> end`` edge of its own only where no task links the two barriers: an
empty phase, or one whose every task starts by ``needs`` or is disabled. Edges stay O(tasks).
A task with a static matrix is one node per instance (orchdsl.lang.matrix), ``needs`` of it
an edge from every instance; one with a dynamic matrix stays one node, marked.
A nested orchestration stays one node; its own compiled graph is in ``Compiled.children``
under the node's ``file``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from orchdsl.lang import ast, matrix
from orchdsl._gc import gc_paused
from orchdsl.lang.diagnostics import Diagnostic, error
from orchdsl.lang.loader import Loader, nested_tasks

if TYPE_CHECKING:  # networkx is imported when a graph is asked for (``orchdsl run`` needs none)
    import networkx as nx


@dataclass(frozen=True)
class Compiled:
    """A file's orchestration and its graph, with the nested files it runs, compiled once each.

    The graph is built when first asked for (``graph``, lint's renderers, the API): a run
    plans from the syntax tree and never needs it, nor networkx. What could make building it
    fail is checked when the file is compiled (``_check_graph``)."""

    path: str
    document: ast.Document
    children: dict[str, Compiled] = field(default_factory=dict)  # real path -> compiled
    folder: str = "."  # the real folder of the file: nested paths are relative to it
    nested_files: dict[str, str] = field(default_factory=dict)  # task -> file, as the graph shows

    @cached_property
    def graph(self) -> nx.DiGraph:
        with gc_paused():
            return compile_orchestration(self.orchestration, self.nested_files)

    @property
    def orchestration(self) -> ast.Orchestration:
        assert self.document.orchestration is not None
        return self.document.orchestration


class CompileError(Exception):
    """The file (or a nested one) has errors; ``diagnostics`` says which, ``texts`` holds the
    text of each file they point into (path -> text) for showing the source line."""

    def __init__(self, diagnostics: list[Diagnostic], texts: dict[str, str]):
        # The message says what and where, as lint's one-line formats do.
        super().__init__("\n".join(f"{d.span}: {d.severity.value}[{d.code}]: "
                                   f"{d.message_with_notes()}" for d in diagnostics))
        self.diagnostics = diagnostics
        self.texts = texts


def start_of(phase: str) -> str:
    return f"{phase}:start"


def end_of(phase: str) -> str:
    return f"{phase}:end"


def compile_file(path: str, loader: Loader | None = None) -> Compiled:
    """Parse, check and compile a file and the nested files it names.

    Raises CompileError with the diagnostics when the file has errors (warnings do not stop
    it), SourceError when it cannot be read.
    """
    from orchdsl.check.linter import lint_result

    loader = loader or Loader()
    return _compile(path, loader, {}, lint_result)


def _compile(path: str, loader: Loader, done: dict[str, Compiled], lint_result) -> Compiled:
    key = loader.key(path)
    if key in done:
        return done[key]
    result = loader.load(path)
    errors = [d for d in lint_result(result, loader) if d.is_error]
    if errors:
        raise CompileError(errors, {result.document.path: result.document.text})
    document = result.document
    children: dict[str, Compiled] = {}
    for task in nested_tasks(document):
        child_path = loader.nested_path(document, task.action)
        children[loader.key(child_path)] = _compile(child_path, loader, done, lint_result)
    # Shown relative to this file's folder, so the graph is the same from any directory.
    folder = os.path.dirname(loader.key(path))
    nested_files = {t.name.text: os.path.relpath(loader.key(loader.nested_path(document, t.action)),
                                                 folder)
                    for t in nested_tasks(document)}
    try:
        _check_graph(document.orchestration)
    except CompileError as exc:
        raise CompileError(exc.diagnostics, {document.path: document.text}) from None
    done[key] = Compiled(path, document, children, folder, nested_files)
    return done[key]


def _check_graph(orchestration: ast.Orchestration) -> None:
    """Raise the CompileError that building the graph would: a static matrix past
    MAX_INSTANCES (E120, when an ignore comment silenced lint's own finding)."""
    for task in orchestration.tasks:
        _instances(task)


def _instances(task: ast.Task):
    try:
        return matrix.static_instances(task)
    except matrix.TooManyInstances as exc:
        raise CompileError([error("E120", str(exc), task.name.span)], {}) from None


def compile_orchestration(orchestration: ast.Orchestration,
                          nested_files: dict[str, str] | None = None) -> nx.DiGraph:
    """The graph of one orchestration (assumed checked: unique names, needs point backwards,
    matrices within bounds)."""
    import networkx as nx

    graph = nx.DiGraph(name=orchestration.name.value)
    nested_files = nested_files or {}
    nodes_of: dict[str, list[str]] = {}  # task -> its node, or the nodes of its instances
    previous_end = None
    for index, phase in enumerate(orchestration.phases):
        name = phase.name.value
        start, end = start_of(name), end_of(name)
        when = phase.when.text if phase.when else None
        graph.add_node(start, type="barrier", phase=name, phase_index=index, barrier="start",
                       when=when)
        graph.add_node(end, type="barrier", phase=name, phase_index=index, barrier="end",
                       when=when)
        if previous_end is not None:
            graph.add_edge(previous_end, start, type="phase")
        if not any(_starts_with_its_phase(task) for task in phase.tasks):
            graph.add_edge(start, end, type="phase")
        for task in phase.tasks:
            attributes = task_attributes(task, name, index, nested_files.get(task.name.text))
            nodes = nodes_of[task.name.text] = _add_task(graph, task, attributes)
            for node in nodes:
                if not task.needs:
                    graph.add_edge(start, node, type="phase")
                graph.add_edge(node, end, type="phase")
        previous_end = end
    for task in orchestration.tasks:
        for needed in task.needs:
            _add_needs(graph, needed.text, nodes_of, nodes_of[task.name.text])
    return graph


def _add_task(graph: nx.DiGraph, task: ast.Task, attributes: dict) -> list[str]:
    """The task's node, or one node per instance of its static matrix (docs/language.md,
    "The compiled graph"); a dynamic matrix stays one node, marked."""
    found = _instances(task)  # E120, unless an ignore comment silenced it
    if not found:  # no matrix, a dynamic one, or an empty list (E120, silenced)
        if task.matrices:
            attributes.update(matrix="dynamic" if found is None else "empty",
                              matrix_clauses=_clauses(task))
        graph.add_node(task.name.text, **attributes)
        return [task.name.text]
    for instance in found:
        graph.add_node(instance.name, **attributes, instance_of=task.name.text,
                       matrix=dict(instance.values))
    return [i.name for i in found]


def _clauses(task: ast.Task) -> list[dict]:
    return [{"name": m.name.text, "from": m.source.text} if m.source is not None
            else {"name": m.name.text, "values": [v.value for v in m.values or ()]}
            for m in task.matrices]


def _add_needs(graph: nx.DiGraph, needed: str, nodes_of: dict[str, list[str]],
               nodes: list[str]) -> None:
    """``needs`` from every node of the needed task (each of its instances) to every node of
    the needing one. Between two tasks of several instances each, the edges go through one
    join node, ``<needed>:instances``, so that edges stay O(tasks)."""
    sources = nodes_of[needed]
    if len(sources) > 1 and len(nodes) > 1:
        join = f"{needed}:instances"
        if join not in graph:
            data = graph.nodes[sources[0]]
            graph.add_node(join, type="barrier", phase=data["phase"],
                           phase_index=data["phase_index"], barrier="instances", when=None)
            for source in sources:
                graph.add_edge(source, join, type="needs")
        sources = [join]
    for source in sources:
        for node in nodes:
            graph.add_edge(source, node, type="needs")


def _starts_with_its_phase(task: ast.Task) -> bool:
    """A task that links its phase's start barrier to its end one: one that starts at the
    barrier (no ``needs``) and runs. Without such a task a phase gets its own ``start -> end``
    edge, else it could end before the phase before it (every task started early by
    ``needs``) or pass although the phase before did not (a task that does not run counts as
    met whatever came before it); see docs/language.md, "The compiled graph"."""
    return not task.needs and not task.disabled


def task_attributes(task: ast.Task, phase: str, phase_index: int, nested_file: str | None) -> dict:
    """What a task node carries: plain values, for the renderers and ``graph --format json``
    (the plan, not the graph, is what runs: nothing reads the syntax tree from here)."""
    action = task.action
    attributes = {
        "type": "task", "phase": phase, "phase_index": phase_index,
        "kind": task.kind.value if task.kind else None,
        "disabled": task.disabled, "continue_on_failure": task.continue_on_failure,
        "timeout_s": task.timeout_s, "retries": task.retry_count, "backoff_s": task.backoff_s,
        "needs": [w.text for w in task.needs],
        "cwd": task.cwd.path.value if task.cwd else None,
        "env": {e.name.text: e.value.value for e in task.env},
        "when": task.when.text if task.when else None,
        "on": task.on.label.value if task.on else None,
        "line": task.span.line, "column": task.span.column,
    }
    if isinstance(action, ast.RunShell):
        attributes.update(action="run", command=action.command.value)
    elif isinstance(action, ast.RunArgv):
        attributes.update(action="run", argv=[s.value for s in action.argv])
    elif isinstance(action, ast.Call):
        attributes.update(action="call", target=action.target.value)
    else:
        attributes.update(action="orchestration", file=action.path.value,
                          nested_file=nested_file,
                          params={p.name.text: p.value.value for p in task.params})
    return attributes


def tasks_of(graph: nx.DiGraph) -> list[str]:
    """Task nodes in file order."""
    return [n for n, data in graph.nodes(data=True) if data["type"] == "task"]
