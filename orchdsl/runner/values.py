"""The values of one job, bound when it starts, and each attempt's ``Work`` made from its
task's spec with them (docs/language.md, "Params, secrets and the environment").

The plan holds references; here they get values: params, secrets (read from the runner's
environment), ``${env.NAME}``, ``${job.id}`` and friends, and when a task starts the outputs of
the tasks before it. This is the one place that decides a missing secret or variable.
"""

from __future__ import annotations

from datetime import datetime, timezone
from types import MappingProxyType
from typing import Mapping

from orchdsl.masking import Masker
from orchdsl.process_groups import JOB_TOKEN_VARIABLE
from orchdsl.planning.spec import (ArgvAction, CallAction, NestedAction, Plan, RefKind,
                                   ShellAction, TaskSpec)
from orchdsl.runner.executors.base import CallWork, NestedWork, ProcessWork, Work



class JobValues:
    def __init__(self, plan: Plan, environ: Mapping[str, str], *, mask_also=(),
                 token: str = ""):
        self.plan = plan
        self.environ = environ
        self.secrets = {name: environ.get(name, "") for name in plan.secrets}
        self.mask_also = tuple(mask_also)
        self.masker = Masker([*self.secrets.values(), *mask_also])
        self.token = token
        self.values: dict[str, str] = {**dict(plan.params), **self.secrets}
        for name in plan.env_vars:
            if name in environ:
                self.values[f"env.{name}"] = environ[name]
        # Every secret under its own name in each command's environment (and the attempt's
        # token: runner/guard.py).
        self._process_env = dict(self.secrets)
        self._params = MappingProxyType(dict(plan.params))  # every call's, shared (W3)

    def missing(self) -> str | None:
        """Secrets and ``${env.NAME}`` that are not set: the job fails before any task."""
        missing = [name for name in self.plan.secrets if name not in self.environ]
        if missing:
            return f"secret {', '.join(missing)} is not set in the environment"
        for task in self.plan.tasks:
            if not task.runs:
                continue
            for ref in task.refs:
                if ref.kind is RefKind.ENV and ref.env_var not in self.environ:
                    return (f"environment variable {ref.env_var} is not set "
                            f"(task {task.name})")
        return None

    def bind_job(self, job_id: int, started: datetime, fire_time: datetime | None) -> None:
        """``${job.id}``, ``${job.fire_time}``, ``${job.fire_date}``: the fire a scheduled or
        backfilled job serves (in its schedule's zone), else the start of a manual one (UTC)."""
        moment = fire_time or started.astimezone(timezone.utc)
        self.values["job.id"] = str(job_id)
        self.values["job.fire_time"] = moment.isoformat()
        self.values["job.fire_date"] = moment.date().isoformat()

    def work(self, task: TaskSpec, *, job_id: int, attempt: int, grace_s: float,
             values: Mapping[str, str] | None = None) -> Work:
        """The attempt's work. ``values``: the job's values with what the task adds
        (outputs of earlier tasks, its matrix values); raises KeyError for a reference with
        no value (see ``unbound``)."""
        values = self.values if values is None else values
        action = task.action
        if isinstance(action, CallAction):
            # A call's keyword arguments: the params, and an instance's matrix values.
            kwargs = {**self._params, **dict(task.matrix_values)} if task.matrix_values \
                else self._params
            what = CallWork(action.module, action.function, action.folder, kwargs)
        elif isinstance(action, NestedAction):
            what = NestedWork(self.plan.children[action.child],
                              {name: t.render(values) for name, t in action.params})
        else:
            what = self._process(task, action, values, attempt)
        return Work(job_id, task.name, attempt, what, task.timeout_s, grace_s,
                    label=task.label,
                    stops_job=not task.continue_on_failure and attempt > task.retries)

    def _process(self, task: TaskSpec, action, values, attempt: int) -> ProcessWork:
        env = {**self._process_env, **{name: t.render(values) for name, t in task.env}}
        if self.token:
            env[JOB_TOKEN_VARIABLE] = f"{self.token}/{task.name}:{attempt}"
        if isinstance(action, ShellAction):
            if action.argv is not None:
                argv = action.argv
            else:
                from orchdsl.planning.shell import command_for  # a command with values

                command = command_for(action.command, values)
                argv = tuple(command.argv)
                env.update(command.env)
        else:
            assert isinstance(action, ArgvAction)
            argv = tuple(t.render(values) for t in action.argv)
        return ProcessWork(argv, _cwd(task, values), env)

    def unbound(self, task: TaskSpec, values: Mapping[str, str]) -> list[str]:
        """The references of the task that have no value (outputs not set)."""
        return [r.name for r in task.refs if r.name not in values]


def _cwd(task: TaskSpec, values: Mapping[str, str]) -> str:
    if task.cwd_template is None:
        return task.cwd
    import os

    return os.path.normpath(os.path.join(task.cwd, task.cwd_template.render(values)))

