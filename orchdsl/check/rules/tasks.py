"""Tasks: needs, call targets, disabled tasks."""

from __future__ import annotations


from orchdsl.lang import ast
from orchdsl.check.call_targets import CALL_TARGET
from orchdsl.lang.diagnostics import Note, Severity, suggest
from orchdsl.check.rules import Finding, rule



@rule("E110", "bad-needs")
def bad_needs(ctx):
    """``needs`` names a task that does not exist, the task itself, or a task of the same or a
    later phase. ``needs`` lets a task start before the barrier of the phase before its own,
    as soon as the tasks it names succeeded; it can only point backwards, to earlier phases.
    To order tasks of one phase, put them in two phases.

    Bad:
        phase "Extract"   { task crm extractor run "python crm.py" needs sheet
                            task sheet extractor run "python sheet.py" }

    Good:
        phase "Extract"   { task crm extractor run "python crm.py"
                            task sheet extractor run "python sheet.py" }
        phase "Transform" { task prep transformation run "python prep.py" needs crm }
    """
    phase_of = ctx.phase_of_task
    phases = ctx.orchestration.phases
    for index, phase in enumerate(phases):
        earlier = [name for name, at in phase_of.items() if at < index]
        for task in phase.tasks:
            named: set[str] = set()
            for word in task.needs:
                name = word.text
                if name in named:
                    yield Finding(word.span, f'task "{task.name.text}" needs "{name}" twice',
                                  "name it once")
                elif name == task.name.text:
                    yield Finding(word.span, f'task "{name}" cannot need itself')
                elif name not in phase_of:
                    help, fix = suggest(name, earlier, word.span)
                    yield Finding(word.span, f'needs unknown task "{name}"', help, fix=fix)
                elif phase_of[name] >= index:
                    other = phases[phase_of[name]].name.value
                    where = "the same phase" if phase_of[name] == index else f'the later phase "{other}"'
                    yield Finding(word.span, f'task "{task.name.text}" needs "{name}" of {where}',
                                  "needs may only name tasks of earlier phases; move one of the "
                                  "tasks to another phase",
                                  (Note(f'"{name}" is defined here', _task_span(phases, name)),))
                named.add(name)


def _task_span(phases, name: str):
    return next(t.name.span for p in phases for t in p.tasks if t.name.text == name)


@rule("E111", "bad-call-target")
def bad_call_target(ctx):
    """A ``call`` target is not of the form ``package.module:function``: a dotted module path
    (looked up in the .orch file's folder first, then on ``sys.path``), a colon, and the name of
    a function of that module.

    Also reported when the module lies next to the .orch file but does not parse, or defines
    no such function (read with Python's ``ast`` module, never imported; see E121 for what is
    left alone).

    Bad:
        task summary transformation call "metrics.compute.summarize"

    Good:
        task summary transformation call "metrics.compute:summarize"
    """
    from orchdsl.check.rules.calls import check_call_target_source

    yield from check_call_target_source(ctx)
    for task in ctx.orchestration.tasks:
        if isinstance(task.action, ast.Call):
            target = task.action.target.value
            if not CALL_TARGET.match(target):
                hint = "write it as package.module:function"
                if ":" not in target and "." in target:
                    module, _, function = target.rpartition(".")
                    hint = f'did you mean "{module}:{function}"?'
                yield Finding(task.action.target.span, f'call target "{target}" is not of the '
                                                       "form module.path:function", hint)


@rule("W205", "disabled-task", Severity.WARNING)
def disabled_task(ctx):
    """A task is ``disabled``: it stays in the file and the graph but never runs. Fine for a
    while; a task disabled for good should be deleted. Reported at the task's name, so a
    trailing ``# orchdsl: ignore[W205]`` on the ``task`` line keeps one on purpose.

    Bad:
        task gooddata writer run "python write.py gooddata" disabled

    Good:
        task gooddata writer run "python write.py gooddata" disabled  # orchdsl: ignore[W205] until GoodData is back
    """
    for task in ctx.orchestration.tasks:
        if task.disabled:
            yield Finding(task.name.span, f'task "{task.name.text}" is disabled',
                          "delete it if it is not coming back")


@rule("E116", "empty-command")
def empty_command(ctx):
    """A ``run`` command is empty or blank, or the program of a ``run [...]`` list is: there is
    nothing to start.

    Bad:
        task crm extractor run ""
        task crm extractor run ["", "crm.py"]

    Good:
        task crm extractor run "python3 crm.py"
        task crm extractor run ["python3", "crm.py"]
    """
    for task in ctx.orchestration.tasks:
        action = task.action
        if isinstance(action, ast.RunShell) and not action.command.value.strip():
            yield Finding(action.command.span, f'task "{task.name.text}" has an empty command')
        elif isinstance(action, ast.RunArgv) and not action.argv[0].value.strip():
            yield Finding(action.argv[0].span, f'task "{task.name.text}" names no program to run',
                          'the first item is the program: run ["python3", "crm.py"]')
