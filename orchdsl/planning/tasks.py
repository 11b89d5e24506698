"""Each task of a file as the plan holds it (orchdsl.planning.spec.TaskSpec): its action,
strings as templates, options, ``when`` condition and matrix (docs/reference.md, "Tasks",
"Conditions", "Matrix").

A task whose matrices are all lists is planned as its instances (``load.eu``, ``load.us``),
each with its values; one whose matrix reads an output stays one task, made into instances
when it is reached. ``needs load`` and ``failed(load)`` name every instance of ``load``.
"""

from __future__ import annotations

import os

from orchdsl.lang import ast
from orchdsl.lang.matrix import static_instances
from orchdsl.planning.conditions import Condition, condition_of
from orchdsl.planning.shell import plain_argv
from orchdsl.planning.spec import (Action, ArgvAction, CallAction, MatrixClause, MatrixSpec,
                                   NestedAction, PhaseSpec, Ref, RefKind, Selected, ShellAction,
                                   TaskSpec, Template)


class _Names:
    """Which ``${name}`` is what, in one orchestration (and one task's matrices)."""

    def __init__(self, secrets: frozenset[str], matrices: frozenset[str] = frozenset()):
        self.secrets, self.matrices = secrets, matrices

    def ref(self, interpolation: ast.Interpolation) -> Ref:
        name = interpolation.name
        if name.startswith("env."):
            return Ref(name, RefKind.ENV)
        if name.startswith("job."):
            return Ref(name, RefKind.JOB)
        if name.startswith("tasks."):
            return Ref(name, RefKind.OUTPUT)
        if name in self.matrices:
            return Ref(name, RefKind.MATRIX)
        return Ref(name, RefKind.SECRET if name in self.secrets else RefKind.PARAM)

    def template(self, string: ast.StringLit) -> Template:
        return Template(tuple(p if isinstance(p, str) else self.ref(p) for p in string.parts))

    def of_task(self, task: ast.Task) -> "_Names":
        if not task.matrices:
            return self
        return _Names(self.secrets, frozenset(m.name.text for m in task.matrices))


def template_of(string: ast.StringLit, secrets: frozenset[str] = frozenset()) -> Template:
    """A string of the file as the plan holds it (references kept, bound when a job runs)."""
    return _Names(secrets).template(string)


class TaskPlanner:
    """Plans the tasks and phases of one compiled file (``plan_file`` plans nested files)."""

    def __init__(self, compiled, children: dict, plan_file):
        self.compiled, self.children, self.plan_file = compiled, children, plan_file
        self.orchestration = compiled.orchestration
        self.names = _Names(frozenset(s.name.text for s in self.orchestration.secrets))
        self.folder = os.path.dirname(os.path.abspath(compiled.path))
        # A static matrix task -> its instances' names (what ``needs`` and status calls mean).
        self.instances = {t.name.text: [i.name for i in static_instances(t) or ()]
                          for t in self.orchestration.tasks if _is_static_matrix(t)}

    def phases(self) -> tuple[PhaseSpec, ...]:
        return tuple(PhaseSpec(p.name.value, tuple(n for t in p.tasks for n in self.named(t)),
                               self._condition(p.when, phase=True))
                     for p in self.orchestration.phases)

    def tasks(self) -> tuple[TaskSpec, ...]:
        return tuple(spec for index, phase in enumerate(self.orchestration.phases)
                     for task in phase.tasks for spec in self._specs(task, phase, index))

    def named(self, task: ast.Task) -> list[str]:
        return self.instances.get(task.name.text) or [task.name.text]

    def _specs(self, task: ast.Task, phase: ast.Phase, index: int) -> list[TaskSpec]:
        spec = self._spec(task, phase.name.value, index)
        instances = static_instances(task) if _is_static_matrix(task) else None
        if instances is None:
            return [spec]
        from dataclasses import replace

        return [replace(spec, name=i.name, instance_of=spec.name, matrix_values=i.values)
                for i in instances]

    def _spec(self, task: ast.Task, phase: str, index: int) -> TaskSpec:
        names = self.names.of_task(task)
        cwd = names.template(task.cwd.path) if task.cwd else None
        literal_cwd = cwd.literal if cwd is not None else "."
        return TaskSpec(
            name=task.name.text, phase=phase, phase_index=index,
            kind=task.kind.value if task.kind else None, action=self._action(task, names),
            cwd=os.path.normpath(os.path.join(self.folder, literal_cwd or ".")),
            cwd_template=cwd if cwd is not None and literal_cwd is None else None,
            env=tuple((e.name.text, names.template(e.value)) for e in task.env),
            timeout_s=task.timeout_s, retries=task.retry_count, backoff_s=task.backoff_s,
            continue_on_failure=task.continue_on_failure,
            needs=tuple(n for w in task.needs for n in self.instances.get(w.text) or [w.text]),
            line=task.span.line, label=task.on.label.value if task.on else None,
            state=Selected.DISABLED if task.disabled else Selected.SELECTED,
            reason="disabled in the file" if task.disabled else None,
            when=self._condition(task.when, phase=False), matrix=_dynamic_matrix(task))

    def _condition(self, when: ast.When | None, *, phase: bool) -> Condition | None:
        return None if when is None else condition_of(when, self._tasks_of, phase=phase)

    def _tasks_of(self, arg) -> tuple[str, ...]:
        """A status call's argument: a task (a static matrix: every instance), or a phase in
        quotes (all of its tasks)."""
        if isinstance(arg, ast.StringLit):
            phase = next((p for p in self.orchestration.phases if p.name.value == arg.value),
                         None)
            return tuple(n for t in phase.tasks for n in self.named(t)) if phase else ()
        return tuple(self.instances.get(arg.text) or [arg.text])

    def _action(self, task: ast.Task, names: _Names) -> Action:
        action = task.action
        if isinstance(action, ast.RunShell):
            command = names.template(action.command)
            literal = command.literal
            argv = plain_argv(literal) if literal is not None else None
            return ShellAction(command, tuple(argv) if argv is not None else None)
        if isinstance(action, ast.RunArgv):
            return ArgvAction(tuple(names.template(a) for a in action.argv))
        if isinstance(action, ast.Call):
            target = action.target.value
            module, _, function = target.partition(":")
            return CallAction(target, module, function, self.folder)
        return self._nested(action, task, names)

    def _nested(self, action: ast.Nested, task: ast.Task, names: _Names) -> NestedAction:
        key = os.path.realpath(os.path.join(self.compiled.folder, action.path.value))
        if key not in self.children:
            self.children[key] = None  # a cycle is reported by lint before planning
            self.children[key] = self.plan_file(self.compiled.children[key], self.children)
        params = tuple((p.name.text, names.template(p.value)) for p in task.params)
        return NestedAction(action.path.value, key, params)


def _is_static_matrix(task: ast.Task) -> bool:
    return bool(task.matrices) and not any(m.is_dynamic for m in task.matrices)


def _dynamic_matrix(task: ast.Task) -> MatrixSpec | None:
    if not any(m.is_dynamic for m in task.matrices):
        return None
    return MatrixSpec(tuple(
        MatrixClause(m.name.text, tuple(v.value for v in m.values) if m.values is not None
                     else None, m.source.text if m.source is not None else None)
        for m in task.matrices))
