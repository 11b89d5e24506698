"""``call`` tasks: options that do not apply to them, and targets that cannot work, judged from
the module's source next to the .orch file (orchdsl.check.call_targets; never imported)."""

from __future__ import annotations

import os

from orchdsl.check.call_targets import (CALL_TARGET, Missing, Signature, Unparsable, look_up,
                                        module_file)
from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Note, Severity
from orchdsl.lang.source import STDIN, Span
from orchdsl.check.rules import Finding, rule


@rule("W213", "call-ignores-cwd-env", Severity.WARNING)
def call_ignores_cwd_env(ctx):
    """A ``call`` task has a ``cwd`` or an ``env`` option, which orchdsl does not apply: a
    call runs in the runner's own process, whose folder and environment every task shares.

    The option has no effect. Remove it; in the function, build paths from the
    module's own folder (``Path(__file__).parent``) and take values as params (they reach the
    function as keyword arguments); or make the task a ``run`` task, where both apply.

    Bad:
        task summary transformation call "metrics.compute:summarize" cwd "out" env MODE = "full"

    Good:
        param mode = "full"
        ...
        task summary transformation call "metrics.compute:summarize"  # takes mode="full"
    """
    for task in ctx.orchestration.tasks:
        if not isinstance(task.action, ast.Call):
            continue
        for option in task.options:
            if isinstance(option, ast.CwdOption):
                yield Finding(option.span, f'cwd does not apply to call task "{task.name.text}": '
                                           "a call runs in the runner's process and folder",
                              "remove it, and build paths from Path(__file__).parent in the "
                              'module; or run it as run ["python3", "-m", "MODULE"] with cwd')
            elif isinstance(option, ast.EnvOption):
                yield Finding(option.span, f"env {option.name.text} does not apply to call task "
                                           f'"{task.name.text}": a call runs in the runner\'s '
                                           "process, whose environment is shared",
                              "remove it, and pass the value as a param (params reach the "
                              'function as keyword arguments); or run it as run ["python3", '
                              '"-m", "MODULE"] with env')


@rule("E121", "call-signature")
def call_signature(ctx):
    """A ``call`` task's function cannot be called with what orchdsl gives it: the params of
    the file that its signature accepts, as keyword arguments.

    A parameter without a default that no param names (or a positional-only one) would fail
    every run with a TypeError.

    Lint reads the module's source next to the .orch file with Python's ``ast`` module and
    never imports it. A module that is not there is left alone (it may be on the runner's
    ``sys.path``), and so is a function whose signature the source does not settle: defined
    under an ``if`` or ``try``, decorated, bound twice, a class, an assignment, or a module
    that could make the name at run time (``from x import *``, ``__getattr__``,
    ``globals()``). A module that does not parse, or that has no such function, is E111.

    Bad:
        param day = "today"
        ...
        task summary transformation call "metrics.compute:summarize"  # def summarize(day, region)

    Good:
        param day = "today"
        param region = "eu"
        ...
        task summary transformation call "metrics.compute:summarize"  # def summarize(day, region)
    """
    params = {p.name.text for p in ctx.orchestration.params}
    for task, path, function, found in _targets(ctx):
        if not isinstance(found, Signature):
            continue
        # A call instance gets its matrix values as keyword arguments too (docs/language.md)
        given = params | {m.name.text for m in task.matrices}
        missing = [name for name in found.required if name not in given]
        where = Note(f"{function} is defined here", _span(path, found.line, found.column))
        if found.positional_only:
            names, one = _names(found.positional_only), len(found.positional_only) == 1
            yield Finding(task.action.target.span,
                          f"{function}() takes {names} positionally, which a call never gives: "
                          "orchdsl passes params as keyword arguments",
                          "give it a default, or make it an ordinary parameter (no /)" if one
                          else "give them defaults, or make them ordinary parameters (no /)",
                          (where,))
        elif missing:
            yield Finding(task.action.target.span,
                          f"{function}() needs {_names(missing)}, which no param of the file "
                          "gives", f'declare {"them" if len(missing) > 1 else "it"}: '
                          + ", ".join(f'param {m} = "..."' for m in missing)
                          + "; or give the function's parameter a default", (where,))


def check_call_target_source(ctx):
    """E111's findings from the module's source: it does not parse, or has no such function
    (called by tasks.bad_call_target)."""
    for task, path, function, found in _targets(ctx):
        span, path = task.action.target.span, os.path.normpath(path)
        if isinstance(found, Unparsable):
            yield Finding(span, f"module {_module(task)} does not parse: {path}:{found.line}:"
                                f"{found.column}: {found.message}",
                          "fix the module: every run of the task would fail to load it")
        elif isinstance(found, Missing):
            yield Finding(span, f"module {_module(task)} ({path}) has no function {function}",
                          "define it at the top level of the module, or fix the name")


def _targets(ctx):
    """(task, module file, function name, what its source says) for each call task whose
    module lies next to the .orch file."""
    folder = _folder(ctx.document.path)
    for task in ctx.orchestration.tasks:
        action = task.action
        if not isinstance(action, ast.Call) or not CALL_TARGET.match(action.target.value):
            continue
        module, _, function = action.target.value.partition(":")
        path = module_file(folder, module)
        if path is not None:
            yield task, path, function, look_up(path, function)


def _folder(path: str) -> str:
    # As the runner and nested files: the .orch file's folder; stdin's is the current one.
    return os.getcwd() if path == STDIN else (os.path.dirname(path) or ".")


def _module(task) -> str:
    return task.action.target.value.partition(":")[0]


def _names(names) -> str:
    quoted = [f'"{n}"' for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _span(path: str, line: int, column: int) -> Span:
    return Span(os.path.normpath(path), line, column, line, column + 1, 0, 0)
