"""What becomes of each node of the walk once it is reached (docs/language.md, "Running";
docs/reference.md, "Conditions", "Matrix"). Decisions only: the coordinator acts on them.

- A phase's start barrier passes when the phase before ended well. A phase with a ``when``
  is reached even after a failure: its condition (read as ``succeeded() and (...)`` when it
  asks about no task) decides whether its tasks run, are skipped (``when <text>: false``,
  which counts as met) or, when it cannot be evaluated, fail with the reason.
- A task is queued when its phase's start passed (or, with ``needs``, each task it needs
  succeeded), its own ``when`` holds, and no failure stopped the job (tasks of a phase that
  runs after a failure excepted). A task whose matrix reads an output becomes its instances.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from orchdsl.model import JobResult, TaskResult, TaskState
from orchdsl.planning.spec import Plan, TaskSpec
from orchdsl.runner.conditions import ConditionError, holds
from orchdsl.runner.facts import JobFacts
from orchdsl.runner.walk import Walk


@dataclass(slots=True)
class Queue:
    pass


QUEUE = Queue()  # the decision of most tasks: made once


@dataclass(slots=True)
class Met:
    """Not to run (disabled, not selected): counts as met for what comes after."""


@dataclass(slots=True)
class Skip:
    reason: str
    met: bool  # a condition that is false, an empty matrix: met; not reached: not


@dataclass(slots=True)
class Fail:
    reason: str  # before it runs: a condition or an output that cannot be had


@dataclass(slots=True)
class Expand:
    specs: tuple[TaskSpec, ...]


class Decider:
    def __init__(self, plan: Plan, job: JobResult, walk: Walk, facts: JobFacts):
        self.plan, self.job, self.walk, self.facts = plan, job, walk, facts
        self.succeeded: dict[str, bool] = {}
        self.passed: dict[str, bool] = {}
        self.stopping: str | None = None  # why nothing new may start
        self._after_failure: set[str] = set()  # phases that run although a task failed
        self._phases_skipped: dict[str, str] = {}  # phase -> its false condition's reason
        self._phases_failed: dict[str, str] = {}  # phase -> why its condition failed
        self._specs = {t.name: t for t in plan.tasks}  # with the dynamic matrices' instances

    def spec(self, name: str) -> TaskSpec:
        return self._specs[name]

    def exempt(self, name: str) -> bool:
        """Whether a queued task may start although a failure stopped the job."""
        return self.spec(name).phase in self._after_failure

    # -- barriers ----------------------------------------------------------------------------

    def barrier(self, node: str) -> None:
        phase = self.walk.starts.get(node)
        if phase is None or phase.when is None:
            self.passed[node] = all(self.passed[p] for p in self.walk.before(node))
            return
        self.passed[node] = True  # reached in file order, failure or not
        try:
            runs = holds(phase.when, self.facts)
        except ConditionError as exc:
            self._phases_failed[phase.name] = str(exc)
            return
        if not runs:
            self._phases_skipped[phase.name] = phase.when.skip_reason
        elif self.stopping:
            self._after_failure.add(phase.name)

    # -- tasks ---------------------------------------------------------------------------------

    def task(self, name: str, result: TaskResult):
        if result.state is not TaskState.PENDING:
            return Met()
        spec = self.spec(name)
        phase = spec.phase
        if phase in self._phases_skipped:
            return Skip(self._phases_skipped[phase], met=True)
        if phase in self._phases_failed:
            return Fail(self._phases_failed[phase])
        blocked = self._blocked(name, phase)
        if blocked:
            return Skip(blocked, met=False)
        if spec.when is not None:
            try:
                if not holds(spec.when, self.facts):
                    return Skip(spec.when.skip_reason, met=True)
            except ConditionError as exc:
                return Fail(str(exc))
        return QUEUE if spec.matrix is None else self._expand(spec)

    def _blocked(self, name: str, phase: str) -> str | None:
        if self.stopping and phase not in self._after_failure:
            return f"not started: {self.stopping}"
        for before, kind in self.walk.edges_into(name):
            if kind == "needs" and not self.succeeded[before]:
                return f"needs {before}, which did not succeed"
            if kind == "phase" and not self.passed[before]:
                return "not started: an earlier phase failed"
        return None

    def _expand(self, spec: TaskSpec):
        from orchdsl.lang.matrix import TooManyInstances

        try:
            found = self.facts.instances(spec)
        except (ConditionError, TooManyInstances) as exc:
            return Fail(str(exc))
        if not found:
            return Skip("empty matrix", met=True)
        specs = tuple(dataclasses.replace(spec, name=i.name, instance_of=spec.name,
                                          matrix_values=i.values, matrix=None, when=None)
                      for i in found)
        for instance in specs:
            self._specs[instance.name] = instance
        self.facts.expanded[spec.name] = [s.name for s in specs]
        return Expand(specs)

    # -- what a task's end means -----------------------------------------------------------

    def met(self, name: str) -> None:
        self.passed[name] = self.succeeded[name] = True

    def not_met(self, name: str) -> None:
        self.passed[name] = self.succeeded[name] = False

    def ended(self, result: TaskResult) -> bool:
        """Record how a task ended; True when it stops the job (a failure without
        ``continue_on_failure``)."""
        name = result.name
        self.succeeded[name] = result.state is TaskState.SUCCEEDED
        self.passed[name] = self.succeeded[name] or (
            result.state is TaskState.FAILED and result.continue_on_failure)
        if result.state in (TaskState.FAILED, TaskState.CANCELLED):
            self.facts.bad += 1
        stops = result.state is TaskState.FAILED and not result.continue_on_failure
        if stops and self.stopping is None:  # the first failure is the one to tell
            self.stopping = f"task {name} failed"
        return stops
