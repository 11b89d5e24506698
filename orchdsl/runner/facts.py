"""What a job knows at a moment, for the conditions, outputs and matrices of its tasks
(docs/reference.md, "Outputs", "Conditions", "Matrix"): the params, the environment, the job's
own values, and the states and outputs of the tasks that ended."""

from __future__ import annotations

from typing import Mapping

from orchdsl.model import JobResult, TaskState
from orchdsl.planning.spec import RefKind, TaskSpec
from orchdsl.runner.conditions import ConditionError


class JobFacts:
    def __init__(self, job: JobResult, values: Mapping[str, str], params: Mapping[str, str],
                 environ: Mapping[str, str]):
        self.job, self.values, self.params, self.environ = job, values, params, environ
        self.outputs: dict[str, dict[str, str]] = {}  # task -> its outputs, as it set them
        self.expanded: dict[str, list[str]] = {}  # a dynamic matrix task -> its instances
        self.bad = 0  # tasks that failed or were cancelled so far
        self._plain: dict[str, bool] = {}  # task -> reads no output (its values: the job's)

    # -- what conditions ask (runner.conditions.Facts) ------------------------------------

    def value(self, name: str) -> str:
        root, _, rest = name.partition(".")
        if root == "params":
            return self.params.get(rest, "")
        if root == "env":
            return self.environ.get(rest, "")
        if root == "job":
            return self.values.get(name, "")
        task, _, what = rest.rpartition(".outputs.")
        if task:
            return self.output(task, what)
        return self._state(rest[:-len(".state")])

    def states(self, tasks: tuple[str, ...]) -> list[str]:
        return [self._state(n) for name in tasks for n in self.expanded.get(name, [name])]

    def any_failed_before(self) -> bool:
        return self.bad > 0

    def _state(self, task: str) -> str:
        result = self.job.tasks.get(task)
        return result.state.value if result is not None else TaskState.PENDING.value

    def output(self, task: str, name: str) -> str:
        """An output of a task that ran before; ConditionError saying why it is not set."""
        outputs = self.outputs.get(task)
        if outputs is not None and name in outputs:
            return outputs[name]
        result = self.job.tasks.get(task)
        why = "has not run" if result is None else {
            TaskState.FAILED: f"{task} failed", TaskState.SKIPPED: f"{task} was skipped",
            TaskState.DISABLED: f"{task} is disabled", TaskState.CANCELLED: f"{task} was cancelled",
            TaskState.SUCCEEDED: f"{task} succeeded without setting {name}",
        }.get(result.state, f"{task} has not run")
        raise ConditionError(f"tasks.{task}.outputs.{name} is not set: {why}")

    # -- what a task starts with -----------------------------------------------------------

    def task_values(self, spec: TaskSpec) -> Mapping[str, str]:
        """The values a task's templates read: the job's, its matrix values, and the outputs
        it refers to (ConditionError when one is not set)."""
        if not spec.matrix_values:
            plain = self._plain.get(spec.name)
            if plain is None:
                plain = self._plain[spec.name] = not _reads_outputs(spec)
            if plain:
                return self.values
        found = {**self.values, **dict(spec.matrix_values)}
        for ref in spec.refs:
            if ref.kind is RefKind.OUTPUT:
                found[ref.name] = self.output(*ref.output)
        return found

    def instances(self, spec: TaskSpec):
        """The instances of a task whose matrix reads an output; raises ConditionError (the
        output is not set) or TooManyInstances."""
        from orchdsl.lang.matrix import instances, lines  # a dynamic matrix: rare

        clauses = []
        for clause in spec.matrix.clauses:
            if clause.source is None:
                clauses.append((clause.name, list(clause.values or ())))
                continue
            task, _, name = clause.source[len("tasks."):].rpartition(".outputs.")
            clauses.append((clause.name, lines(self.output(task, name))))
        return instances(spec.name, clauses)


def _reads_outputs(spec: TaskSpec) -> bool:
    return any(r.kind is RefKind.OUTPUT for r in spec.refs)


__all__ = ["JobFacts"]
