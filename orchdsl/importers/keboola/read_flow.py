"""Flows (``keboola.orchestrator``) and conditional flows (``keboola.flow``): phases and tasks
from a configuration's content. The formats, with their sources: docs/import-keboola.md."""

from __future__ import annotations

from dataclasses import replace

from orchdsl.importers.keboola.fields import ObjectReader
from orchdsl.importers.keboola.findings import Finding
from orchdsl.importers.keboola.json_source import Document, compact
from orchdsl.importers.keboola.model import Condition, Flow, FlowKind, Phase, Task, Transition
from orchdsl.importers.keboola.read_task import read_retry, read_task_body


def read_flow(document: Document, content: ObjectReader, kind: FlowKind, flow: Flow) -> Flow:
    """``flow`` (name, id, description already read) with the phases and tasks of ``content``."""
    phases, dropped = _unique_phases([read_phase(document, node)
                                      for node in content.items("phases")])
    tasks = tuple(read_task(document, node, index)
                  for index, node in enumerate(content.items("tasks"), 1))
    if kind is FlowKind.CONDITIONAL:
        tasks = tuple(_with_phase_retry(task, phases) for task in tasks)
    return replace(flow, phases=phases, tasks=tasks,
                   findings=flow.findings + content.findings() + dropped)


def read_phase(document: Document, node: object) -> Phase:
    reader = ObjectReader(document, node, "phase")
    phase_id = reader.identifier("id") or ""
    name = reader.text("name")
    reader.subject = f'phase {phase_id} ("{name}")'
    depends_on = tuple(_ids(reader, "dependsOn"))
    transitions = tuple(read_transition(document, item) for item in reader.items("next"))
    retry, retry_findings = read_retry(document, reader.raw("retry"), reader.subject,
                                       reader.where)
    description = reader.text("description")
    return Phase(phase_id, name, reader.where, description, depends_on, transitions, retry,
                 reader.findings() + retry_findings)


def _ids(reader: ObjectReader, key: str) -> list[str]:
    found = []
    for item in reader.items(key):
        if isinstance(item, (dict, list, bool)) or item is None:
            reader.note(f'"{key}": {compact(item)} is not a phase id')
        else:
            found.append(str(int(item)) if isinstance(item, float) and item.is_integer()
                         else str(item))
    return found


def _unique_phases(phases: list[Phase]) -> tuple[tuple[Phase, ...], tuple[Finding, ...]]:
    """Phases by id; a phase repeating an id is left out (Keboola refuses such a flow)."""
    kept: dict[str, Phase] = {}
    dropped = []
    for phase in phases:
        if phase.id in kept:
            dropped.append(Finding(phase.where, phase.label,
                                   f'the id {phase.id} is already the id of phase '
                                   f'"{kept[phase.id].name}": this phase is left out and its '
                                   "tasks go to that one"))
            continue
        kept[phase.id] = phase
    return tuple(kept.values()), tuple(dropped)


def read_transition(document: Document, node: object) -> Transition:
    reader = ObjectReader(document, node, "transition")
    reader.skip("id")
    name = reader.text("name")
    goto = reader.identifier("goto")
    condition = reader.raw("condition")
    return Transition(goto, reader.where, None if condition is None else
                      read_condition(condition), name)


def read_condition(node: object) -> Condition:
    """The condition tree as written; what it means is worked out by ``conditions.py``."""
    if not isinstance(node, dict):
        return Condition("const", compact(node), value=node)
    operands = node.get("operands")
    return Condition(
        type=str(node.get("type", "")), raw=compact(node),
        operator=str(node.get("operator") or node.get("function") or ""),
        operands=tuple(read_condition(item) for item in operands)
        if isinstance(operands, list) else (),
        value=node.get("value"), task=_text(node.get("task")), phase=_text(node.get("phase")),
        tasks=tuple(_text(item) for item in node.get("tasks") or () if item is not None))


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def read_task(document: Document, node: object, index: int) -> Task:
    reader = ObjectReader(document, node, f"task #{index}")
    task_id = reader.identifier("id") or str(index)
    name = reader.text("name")
    reader.subject = f'task {task_id} ("{name}")' if name else f"task {task_id}"
    phase = reader.identifier("phase")
    enabled = reader.boolean("enabled", True)
    continue_on_failure = reader.boolean("continueOnFailure", False)
    body = read_task_body(document, reader.raw("task"), reader.subject, reader.where)
    return replace(body, id=task_id, name=name, phase=phase, where=reader.where,
                   enabled=enabled, continue_on_failure=continue_on_failure,
                   findings=reader.findings() + body.findings)


def _with_phase_retry(task: Task, phases: tuple[Phase, ...]) -> Task:
    """A phase's retry applies to its job tasks that have none of their own."""
    if task.retry is not None:
        return task
    retry = next((p.retry for p in phases if p.id == task.phase), None)
    return replace(task, retry=retry) if retry is not None else task
