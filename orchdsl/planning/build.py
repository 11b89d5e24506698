"""A ``Plan``: a compiled orchestration with its values resolved and its tasks selected, in the
order they would run. ``orchdsl run --dry-run`` prints it; the runner executes it.

Secrets appear as ``***`` in everything a plan holds: a plan is made to be shown.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping

import networkx as nx

from orchdsl.lang import ast
from orchdsl.compiler import Compiled
from orchdsl.lang.diagnostics import did_you_mean
from orchdsl.planning.interpolate import render
from orchdsl.planning.selection import Selection, unselected


EVERYTHING = Selection()


class ParamError(ValueError):
    """A ``--param`` that is malformed or names no declared param (a usage error, exit 2)."""


class TaskState(str, enum.Enum):
    """Whether a planned task runs (not the run's states: see orchdsl.model)."""

    SELECTED = "selected"
    DISABLED = "disabled"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class PlannedTask:
    name: str
    phase: str
    kind: str | None
    action: str  # run, call or orchestration
    command: str | None  # the shell command, values filled in and shell-quoted
    argv: tuple[str, ...] | None
    target: str | None  # of a call
    file: str | None  # of a nested orchestration
    cwd: str
    env: tuple[tuple[str, str], ...]
    timeout_s: float | None
    retries: int
    backoff_s: float
    continue_on_failure: bool
    needs: tuple[str, ...]
    state: str
    reason: str | None  # why it is skipped
    wave: int | None  # 1-based; None when it does not run
    line: int

    @property
    def runs(self) -> bool:
        return self.state == TaskState.SELECTED


@dataclass(frozen=True)
class PlannedPhase:
    name: str
    tasks: tuple[PlannedTask, ...]


@dataclass(frozen=True)
class PlannedSchedule:
    cron: str
    timezone: str
    overlap: str
    catchup: str
    next_fires: tuple[datetime, ...]


@dataclass(frozen=True)
class PlannedNotification:
    events: tuple[str, ...]
    after_s: float | None
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    compiled: Compiled
    name: str
    path: str
    description: str | None
    params: tuple[tuple[str, str], ...]
    secrets: tuple[str, ...]
    missing_secrets: tuple[str, ...]
    concurrency: int | None
    timeout_s: float | None
    fail_fast: bool
    phases: tuple[PlannedPhase, ...]
    waves: tuple[tuple[str, ...], ...]
    schedules: tuple[PlannedSchedule, ...]
    notifications: tuple[PlannedNotification, ...]
    warnings: tuple[str, ...]

    @property
    def tasks(self) -> tuple[PlannedTask, ...]:
        return tuple(t for p in self.phases for t in p.tasks)


def parse_params(pairs: list[str], orchestration: ast.Orchestration) -> dict[str, str]:
    """``--param name=value`` flags -> {name: value}; raises ParamError."""
    declared = [p.name.text for p in orchestration.params]
    values: dict[str, str] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParamError(f'--param "{pair}": expected name=value')
        if name not in declared:
            hint = did_you_mean(name, declared)
            known = f"declared: {', '.join(declared)}" if declared else "the file declares none"
            raise ParamError(f'--param {name}: no such param ({hint or known})')
        values[name] = value
    return values


def build_plan(compiled: Compiled, *, params: Mapping[str, str] | None = None,
               selection: Selection = EVERYTHING, environ: Mapping[str, str] | None = None,
               now: datetime | None = None, fires: int = 3,
               also_unselected: Mapping[str, str] | None = None) -> Plan:
    """``also_unselected``: task name -> why it does not run (the tasks a re-run skips)."""
    orchestration = compiled.orchestration
    environ = os.environ if environ is None else environ
    values = {p.name.text: p.default.value for p in orchestration.params}
    values.update(params or {})
    secrets = tuple(s.name.text for s in orchestration.secrets)
    missing = tuple(s for s in secrets if s not in environ)
    reasons = {**(also_unselected or {}), **unselected(orchestration, selection)}
    waves = _waves(compiled.graph, reasons)
    warnings: list[str] = [f"secret {s} is not set: a real run would fail before any task "
                           "starts" for s in missing]
    context = _Context(values, frozenset(secrets), os.path.dirname(compiled.path) or ".")
    phases = tuple(
        PlannedPhase(phase.name.value, tuple(
            _plan_task(task, phase.name.value, reasons, waves, context) for task in phase.tasks))
        for phase in orchestration.phases)
    warnings.extend(_unset_environment(orchestration, reasons, environ))
    if orchestration.tasks and not waves:
        warnings.append("the selection leaves no task to run")
    wave_list = _wave_list(phases)
    timeout = orchestration.of_type(ast.JobTimeout)
    concurrency = orchestration.of_type(ast.Concurrency)
    return Plan(
        compiled=compiled, name=orchestration.name.value, path=compiled.path,
        description=orchestration.description, params=tuple(values.items()), secrets=secrets,
        missing_secrets=missing,
        concurrency=concurrency[0].value.value if concurrency else None,
        timeout_s=timeout[0].duration.seconds if timeout else None,
        fail_fast=bool(orchestration.of_type(ast.FailFast)), phases=phases, waves=wave_list,
        schedules=tuple(_plan_schedule(s, now, fires) for s in orchestration.schedules),
        notifications=tuple(PlannedNotification(tuple(e.text for e in n.events),
                                                n.after.seconds if n.after else None, tuple(t.value for t in n.targets))
                            for n in orchestration.notifications),
        warnings=tuple(dict.fromkeys(warnings)))


@dataclass(frozen=True)
class _Context:
    """What filling a task's strings for showing needs. ``${env.NAME}`` stays as written: the
    environment may hold credentials that are no declared secret, and a plan is for showing."""

    values: Mapping[str, str]
    secrets: frozenset[str]
    folder: str

    def fill(self, string: ast.StringLit, *, shell: bool) -> str:
        return render(string, self.values, {}, shell=shell, masked=self.secrets,
                      keep_missing=True)


def _unset_environment(orchestration: ast.Orchestration, reasons: dict[str, str],
                       environ: Mapping[str, str]) -> list[str]:
    unset: dict[str, None] = {}
    for task in orchestration.tasks:
        if task.disabled or task.name.text in reasons:
            continue
        for string in task.strings():
            for part in string.interpolations:
                if part.env_var is not None and part.env_var not in environ:
                    unset[part.env_var] = None
    return [f"environment variable {name} is not set: a real run would fail before any task "
            "starts" for name in unset]


def _plan_task(task: ast.Task, phase: str, reasons: dict[str, str], waves: dict[str, int],
               context: _Context) -> PlannedTask:
    name = task.name.text
    if task.disabled:
        state, reason = TaskState.DISABLED, "disabled in the file"
    elif name in reasons:
        state, reason = TaskState.SKIPPED, reasons[name]
    else:
        state, reason = TaskState.SELECTED, None
    action = task.action
    cwd = context.fill(task.cwd.path, shell=False) if task.cwd else "."
    return PlannedTask(
        name=name, phase=phase, kind=task.kind.value if task.kind else None,
        action=("run" if isinstance(action, (ast.RunShell, ast.RunArgv))
                else "call" if isinstance(action, ast.Call) else "orchestration"),
        command=context.fill(action.command, shell=True) if isinstance(action, ast.RunShell) else None,
        argv=(tuple(context.fill(a, shell=False) for a in action.argv)
              if isinstance(action, ast.RunArgv) else None),
        target=action.target.value if isinstance(action, ast.Call) else None,
        file=action.path.value if isinstance(action, ast.Nested) else None,
        cwd=os.path.normpath(os.path.join(context.folder, cwd)),
        env=tuple((e.name.text, context.fill(e.value, shell=False)) for e in task.env),
        timeout_s=task.timeout_s, retries=task.retry_count, backoff_s=task.backoff_s,
        continue_on_failure=task.continue_on_failure,
        needs=tuple(w.text for w in task.needs), state=state, reason=reason,
        wave=waves.get(name), line=task.span.line)


def _waves(graph: nx.DiGraph, reasons: dict[str, str]) -> dict[str, int]:
    """Task -> the wave it runs in: 1 + the latest wave it waits for, through barriers and
    ``needs`` edges. Tasks that do not run take no wave and hold nobody back."""
    level: dict[str, int] = {}
    waves: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        base = max((level[p] for p in graph.predecessors(node)), default=0)
        data = graph.nodes[node]
        if data["type"] == "task" and not data["disabled"] and node not in reasons:
            waves[node] = level[node] = base + 1
        else:
            level[node] = base
    return waves


def _wave_list(phases: tuple[PlannedPhase, ...]) -> tuple[tuple[str, ...], ...]:
    grouped: dict[int, list[str]] = {}
    for task in (t for p in phases for t in p.tasks if t.wave is not None):
        grouped.setdefault(task.wave, []).append(task.name)
    return tuple(tuple(grouped[w]) for w in sorted(grouped))


def _plan_schedule(schedule: ast.Schedule, now: datetime | None, count: int) -> PlannedSchedule:
    from orchdsl.scheduling.cron import next_fires, zone

    overlap, catchup = schedule.option("overlap"), schedule.option("catchup")
    now = now or datetime.now(timezone.utc)
    return PlannedSchedule(
        cron=schedule.cron.value, timezone=schedule.timezone,
        overlap=overlap.value.text if overlap else "queue",
        catchup=catchup.value.text if catchup else "none",
        next_fires=tuple(next_fires(schedule.cron.value, zone(schedule.timezone), now, count)))

