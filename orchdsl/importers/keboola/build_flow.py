"""A flow's phases and tasks as orchdsl phases: in the order they run, with unique names,
and for a conditional flow the ``when`` of each phase. docs/import-keboola.md, "Phases"."""

from __future__ import annotations

from dataclasses import dataclass

from orchdsl.importers.keboola.build_tasks import task_out
from orchdsl.importers.keboola.command import Template
from orchdsl.importers.keboola.conditions import Scope
from orchdsl.importers.keboola.expr import text
from orchdsl.importers.keboola.findings import Finding, ImportFailure
from orchdsl.importers.keboola.model import Flow, FlowKind, Phase, Task, TaskType
from orchdsl.importers.keboola.names import Names, PhaseNames, name_of, quote
from orchdsl.importers.keboola.order import Cycle, topological
from orchdsl.importers.keboola.pipeline import PhaseOut
from orchdsl.importers.keboola.routes import Flowing, routes


@dataclass(frozen=True, slots=True)
class Built:
    phases: tuple[PhaseOut, ...]
    params: tuple[str, ...]  # param clauses for the fixed variables of a conditional flow
    notes: tuple[str, ...]  # comments at the orchestration's level
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class Named:
    """The flow in run order, with the name each task and phase gets."""

    kind: FlowKind
    phases: tuple[Phase, ...]
    tasks: dict[str, list[Task]]  # phase id -> its tasks, in file order
    task_names: dict[int, str]  # id(task) -> its orchdsl name
    phase_names: dict[str, str]
    params: dict[str, str]  # Keboola variable -> param name
    orphans: tuple[Task, ...]  # tasks of no known phase


def build_phases(flow: Flow, template: Template) -> Built:
    named = _named(flow)
    when, unreached, notes = _conditions(flow, named)
    for finding in _unknown_dependencies(named):
        notes.setdefault(finding.subject, []).append(finding)
    phases, findings = [], []
    for phase in named.phases:
        out, found = _phase(phase, named, template, when.get(phase.id), phase.id in unreached,
                            notes.get(phase.label, ()))
        phases.append(out)
        findings += found
    orphans = [Finding(t.where, t.label, f'its phase {t.phase} is no phase of the flow: '
                       "left out") for t in named.orphans]
    params = tuple(f"param {param} = {quote(_variable_value(flow, variable))}"
                   for variable, param in named.params.items())
    return Built(tuple(phases), params, tuple(f"{f.subject}: {f.comment}" for f in orphans),
                 tuple(findings + orphans))


def _unknown_dependencies(named: Named) -> list[Finding]:
    """``dependsOn`` and ``next`` naming no phase (ignored, as keboola-as-code does)."""
    depends = [Finding(phase.where, phase.label, f'"dependsOn" {dependency}: no such phase')
               for phase in named.phases for dependency in phase.depends_on
               if dependency not in named.phase_names]
    goes = [Finding(t.where, phase.label, f'a transition to {t.goto}: no such phase')
            for phase in named.phases for t in phase.next
            if t.goto is not None and t.goto not in named.phase_names]
    return depends + goes


def _variable_value(flow: Flow, variable: str) -> str:
    return next(t.variable[1] for t in flow.tasks if t.variable and t.variable[0] == variable)


def _named(flow: Flow) -> Named:
    phases = ordered_phases(flow)
    known = {phase.id for phase in phases}
    tasks: dict[str, list[Task]] = {phase.id: [] for phase in phases}
    for task in flow.tasks:
        if task.phase in known:
            tasks[task.phase].append(task)
    names, taker = Names(), PhaseNames()
    phase_names: dict[str, str] = {}
    task_names: dict[int, str] = {}
    params: dict[str, str] = {}
    for number, phase in enumerate(phases, 1):
        phase_names[phase.id] = taker.take(phase.name, number)
        for task in tasks[phase.id]:
            task_names[id(task)] = names.take(name_of(_wanted(task), f"task {task.id}"))
            if task.variable and task.variable[0] not in params:
                params[task.variable[0]] = task_names[id(task)]
    orphans = tuple(t for t in flow.tasks if t.phase not in known)
    return Named(flow.kind, tuple(phases), tasks, task_names, phase_names, params, orphans)


def _wanted(task: Task) -> str:
    if task.variable:
        return task.variable[0]
    if task.name and task.job and task.name != task.job.component:
        return task.name
    return task.job.component.split(".", 1)[-1] if task.job else task.name


def ordered_phases(flow: Flow) -> list[Phase]:
    """The phases in the order they run; ImportFailure for a cycle. A Flow's are in
    keboola-as-code's order; a conditional flow's start with its entry phase, the first
    phase that no transition leads to."""
    by_id = {phase.id: phase for phase in flow.phases}
    ids = [phase.id for phase in flow.phases]
    if flow.kind is FlowKind.LEGACY:
        return list(flow.phases)
    if flow.kind is FlowKind.FLOW:
        before = {phase.id: phase.depends_on for phase in flow.phases}
    else:
        before = {phase.id: [] for phase in flow.phases}
        for phase in flow.phases:
            for goto in (t.goto for t in phase.next if t.goto in by_id):
                before[goto].append(phase.id)
        entry = [i for i in ids if not before[i]][:1]
        ids = entry + [i for i in ids if i not in entry]
    try:
        return [by_id[node] for node in topological(ids, before)]
    except Cycle as cycle:
        raise _cycle_failure(flow, [by_id[node] for node in cycle.path]) from None


def _cycle_failure(flow: Flow, path: list[Phase]) -> ImportFailure:
    how = "dependsOn" if flow.kind is FlowKind.FLOW else "next"
    chain = " -> ".join(f'"{p.name}" ({p.id})' for p in (reversed(path) if how == "next"
                                                           else path))
    verb = "depends on" if how == "dependsOn" else "goes to"
    return ImportFailure(path[0].where, f'the phases\' "{how}" forms a cycle, so they have no '
                         f"order: {chain} (each {verb} the next)")


def _conditions(flow: Flow, named: Named):
    """(phase id -> when text, ids of phases never reached, phase label -> findings)."""
    if flow.kind is not FlowKind.CONDITIONAL or not named.phases:
        return {}, set(), {}
    found = routes(list(named.phases), _flowing(named))
    unreached = {pid for pid, expr in found.when.items() if expr is None}
    conditional = any(t.condition is not None for p in named.phases for t in p.next)
    entry = named.phases[0].id
    when = {pid: text(expr) for pid, expr in found.when.items()
            if expr is not None and conditional and pid != entry}
    never = [Finding(p.where, p.label, "no transition that orchdsl takes leads here: its "
                     "tasks are disabled") for p in named.phases if p.id in unreached]
    notes: dict[str, list[Finding]] = {}
    for finding in (*found.findings, *never):
        notes.setdefault(finding.subject, []).append(finding)
    return when, unreached, notes


def _flowing(named: Named) -> Flowing:
    runnable = {pid: [t for t in tasks if t.type is TaskType.JOB and t.job and t.enabled]
                for pid, tasks in named.tasks.items()}
    names = {pid: tuple(named.task_names[id(t)] for t in tasks) for pid, tasks in
             runnable.items()}
    guards = {pid: tuple(named.task_names[id(t)] for t in tasks if not t.continue_on_failure)
              for pid, tasks in runnable.items()}
    by_task_id = {t.id: named.task_names[id(t)] for tasks in runnable.values() for t in tasks}
    position = {named.task_names[id(t)]: index for index, phase in enumerate(named.phases)
                for t in runnable[phase.id]}
    scope = Scope(by_task_id, names, named.params)
    return Flowing(scope, guards, named.phase_names, position)


def _phase(phase: Phase, named: Named, template: Template, when: str | None,
           unreached: bool, notes) -> tuple[PhaseOut, list[Finding]]:
    items, findings = [], [*phase.findings, *notes]
    for task in named.tasks[phase.id]:
        item, found = task_out(task, named.task_names[id(task)], template, not unreached)
        items.append(item)
        findings += found
    comments = [*_phase_comments(phase, named), *[f.comment for f in (*phase.findings, *notes)]]
    return PhaseOut(named.phase_names[phase.id], tuple(items), when, tuple(comments)), findings


def _phase_comments(phase: Phase, named: Named) -> list[str]:
    """Where the phase came from; a legacy orchestration's phases have no id of their own."""
    if named.kind is FlowKind.LEGACY:
        return []
    name = named.phase_names[phase.id]
    renamed = f' "{phase.name}"' if phase.name != name else ""
    known = [named.phase_names[d] for d in phase.depends_on if d in named.phase_names]
    if known:
        after = ", after " + ", ".join(f'"{name}"' for name in known)
    elif named.kind is FlowKind.FLOW and phase is not named.phases[0]:
        after = ", depends on no phase"
    else:
        after = ""
    return [f"Keboola phase {phase.id}{renamed}{after}",
            *([phase.description] if phase.description else [])]
