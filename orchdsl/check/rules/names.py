"""Names: duplicates, interpolations that name nothing, params nobody uses."""

from __future__ import annotations

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Note, Severity, suggest
from orchdsl.check.rules import Finding, repeats, rule
from orchdsl.check.rules.matrices import matrix_name_clashes


@rule("E101", "duplicate-task")
def duplicate_task(ctx):
    """Two tasks have the same name. Task names are unique in a file, across phases: ``needs``,
    ``--only`` and the job history refer to tasks by name.

    Reported at the second definition, with a note pointing at the first.

    Bad:
        phase "Extract" { task crm extractor run "python crm.py" }
        phase "Write"   { task crm writer run "python write.py" }

    Good:
        phase "Extract" { task crm       extractor run "python crm.py" }
        phase "Write"   { task crm_write writer    run "python write.py" }
    """
    for task, first in repeats(ctx.orchestration.tasks, lambda t: t.name.text):
        yield Finding(task.name.span, f'duplicate task "{task.name.text}"',
                      "task names must be unique in the file",
                      (Note("first defined here", first.name.span),))


@rule("E102", "duplicate-phase")
def duplicate_phase(ctx):
    """Two phases have the same name. Phase names are shown in plans, graphs and job history,
    and ``--phase``/``--from-phase`` select by them, so they must be unique.

    Bad:
        phase "Load" { ... }
        phase "Load" { ... }

    Good:
        phase "Load" { ... }
        phase "Load more" { ... }
    """
    for phase, first in repeats(ctx.orchestration.phases, lambda p: p.name.value):
        yield Finding(phase.name.span, f'duplicate phase "{phase.name.value}"',
                      "phase names must be unique in the file",
                      (Note("first defined here", first.name.span),))


@rule("E114", "duplicate-declaration")
def duplicate_declaration(ctx):
    """A name is declared twice as a ``param`` or ``secret`` (or once as each), or a task's
    ``matrix`` has the name of one, so ``${name}`` would be ambiguous.

    Bad:
        param  token = "abc"
        secret token

    Good:
        param  day = "today"
        secret token
    """
    declared = (c for c in ctx.orchestration.clauses if isinstance(c, (ast.Param, ast.Secret)))
    for clause, first in repeats(declared, lambda c: c.name.text):
        what = "param" if isinstance(first, ast.Param) else "secret"
        yield Finding(clause.name.span, f'"{clause.name.text}" is already declared as a {what}',
                      "give each param and secret its own name",
                      (Note("first declared here", first.name.span),))
    yield from matrix_name_clashes(ctx)


@rule("E107", "unknown-interpolation")
def unknown_interpolation(ctx):
    """``${name}`` in a task's command, argv, ``cwd``, ``env`` or ``param`` value names no
    ``param`` and no ``secret`` of the file and no ``matrix`` of the task. ``${env.NAME}``
    reads the runner's environment and is always allowed, as are ``${job.id}``,
    ``${job.fire_time}`` and ``${job.fire_date}`` (outputs, ``${tasks...}``, are E118's);
    ``\\${`` writes a literal ``${``.

    Bad:
        param day = "today"
        ...
        task crm extractor run "python crm.py --day ${date}"

    Good:
        task crm extractor run "python crm.py --day ${day}"
    """
    for task in ctx.orchestration.tasks:
        declared = set(ctx.declared) | {m.name.text for m in task.matrices}
        for string in task.strings():
            for interp in string.interpolations:
                name = interp.plain_name  # None: ${env.X}, an output, a job value, malformed
                if name is not None and name not in declared:
                    shell = isinstance(task.action, ast.RunShell) and string is task.action.command
                    help, fix = suggest(name, sorted(declared), interp.span,
                                        lambda meant: "${" + meant + "}")
                    yield Finding(interp.span, f'"${{{name}}}" is not a param or secret',
                                  help or _undeclared_help(name, shell), fix=fix)


def _undeclared_help(name: str, shell: bool) -> str:
    declare = f'declare it with param {name} = "..." or secret {name}'
    if shell:  # ${HOME} in a shell command most often meant the shell's own variable
        return (f"the shell reads its variable as ${name} (or \\${{{name}}}), orchdsl reads the "
                f"environment as ${{env.{name}}}; or {declare}")
    return f"{declare}, or read the environment with ${{env.{name}}}"


@rule("W206", "unused-param", Severity.WARNING)
def unused_param(ctx):
    """A ``param`` is never used as ``${name}`` in any task. Params also reach ``call`` tasks as
    keyword arguments, so a file with a ``call`` task never gets this warning.

    Bad:
        param day = "today"
        phase "Extract" { task crm extractor run "python crm.py" }

    Good:
        param day = "today"
        phase "Extract" { task crm extractor run "python crm.py --day ${day}" }
    """
    tasks = ctx.orchestration.tasks
    if any(isinstance(t.action, ast.Call) for t in tasks):
        return
    used = {i.name for t in tasks for s in t.strings() for i in s.interpolations}
    conditions = [t.when for t in tasks] + [p.when for p in ctx.orchestration.phases]
    used |= {r.param for w in conditions if w for r in ast.references(w.condition) if r.param}
    reported: set[str] = set()
    for param in ctx.orchestration.params:
        if param.name.text not in used and param.name.text not in reported:
            reported.add(param.name.text)
            yield Finding(param.name.span, f'param "{param.name.text}" is never used',
                          f"use it as ${{{param.name.text}}} in a task, or remove it")
