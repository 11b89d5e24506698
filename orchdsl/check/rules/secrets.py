"""Secrets: where a secret's value would be readable by others although orchdsl masks it."""

from __future__ import annotations

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Severity
from orchdsl.check.rules import Finding, rule


@rule("W212", "secret-on-command-line", Severity.WARNING)
def secret_on_command_line(ctx):
    """A secret is interpolated into a task's command line or argv (``--token ${CRM_TOKEN}``),
    where every user of the machine can read it.

    A process's arguments are readable by every user (``ps``, ``/proc/PID/cmdline``), so the
    value is exposed there although orchdsl prints it as ``***`` everywhere else. The task's
    environment already holds every secret under its own name: let the program read it there. ``--token "$CRM_TOKEN"`` in a shell command is no
    fix: the shell expands it into the program's arguments all the same. ``${env.NAME}`` of a
    secret's name is that secret and is reported too; ``env`` and ``cwd`` values are not (a
    process's environment is readable by its own user only).

    Bad:
        secret CRM_TOKEN
        ...
        task crm extractor run "python3 crm.py --token ${CRM_TOKEN}"

    Good:
        secret CRM_TOKEN
        ...
        task crm extractor run "python3 crm.py"  # crm.py reads os.environ["CRM_TOKEN"]
    """
    secrets = {s.name.text for s in ctx.orchestration.secrets}
    if not secrets:
        return
    for task in ctx.orchestration.tasks:
        for string in _command_line(task.action):
            for interp in string.interpolations:
                name = interp.env_var if interp.env_var is not None else interp.name
                if interp.well_formed and name in secrets:
                    yield Finding(interp.span, f'secret "{name}" is passed on the command line '
                                               f'of task "{task.name.text}", where any user of '
                                               "the machine can read it", _help(name))


def _command_line(action: ast.Action) -> tuple[ast.StringLit, ...]:
    if isinstance(action, ast.RunShell):
        return (action.command,)
    if isinstance(action, ast.RunArgv):
        return action.argv
    return ()


def _help(name: str) -> str:
    return (f"the task's environment already holds it: let the program read ${name} itself "
            f'("${name}" in a shell command would still put the value in its arguments)')
