"""Conditions (language 1.1): what a ``when`` names, its types, and conditions that never
change. Outputs a condition reads are E118's (rules/outputs.py)."""

from __future__ import annotations

from orchdsl.check.condition_types import constant_value, names_nothing, type_problems
from orchdsl.check.rules import Finding, rule
from orchdsl.check.scope import Problem, Reader, Scope, conditions
from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Severity, did_you_mean


@rule("E119", "condition-error")
def condition_error(ctx):
    """A ``when`` condition names a task, phase or param that does not exist, or a task or
    phase that does not run before it, or has a type error known before any run.

    A task's condition may name tasks (``tasks.crm.state``, ``failed(crm)``) and phases
    (``failed("Extract")``) of earlier phases only, as ``needs`` does; a phase's condition
    likewise, phases before it. A matrix task is named whole in ``succeeded(load)`` and
    ``failed(load)``, and one instance in ``tasks.load.eu.state``. Types: a condition is true
    or false, so a string alone (``when tasks.crm.outputs.rows``) is no condition; ``true``
    and ``false`` compare only with ``==`` and ``!=``; an integer compares with a string
    literal only when the literal is a decimal integer; ``tasks.<task>.state`` is one of
    ``"succeeded"``, ``"failed"``, ``"skipped"``, ``"disabled"``, ``"cancelled"``.
    ``params.x < 3`` is fine (a param may hold digits), and ``env.NAME`` is never an error
    (it may be set when the job runs).

    Bad:
        phase "Load" {
            task load writer run "./load.sh" when tasks.extract.state == "succeded"
        }
        phase "Alert" when failed("Lod") {
            task page application run "./page.sh"
        }

    Good:
        phase "Load" {
            task load writer run "./load.sh" when tasks.extract.state == "succeeded"
        }
        phase "Alert" when failed("Load") {
            task page application run "./page.sh"
        }
    """
    scope = ctx.scope
    params = [p.name.text for p in ctx.orchestration.params]
    secrets = {s.name.text for s in ctx.orchestration.secrets}
    for reader, when in conditions(ctx.orchestration):
        found = list(_names(scope, reader, when, params, secrets))
        found.extend(Finding(p.span, f"{reader.condition}: {p.message}", p.help)
                     for p in type_problems(when))
        found.sort(key=lambda f: f.span.start)
        yield from found


def _names(scope: Scope, reader: Reader, when: ast.When, params: list[str],
           secrets: set[str]):
    says = f"{reader.condition} names"
    for reference in ast.references(when.condition):
        if reference.param is not None and reference.param not in params:
            yield Finding(reference.span, *_param_problem(reader, reference.param, params,
                                                          secrets))
        elif reference.is_state:
            whole = (f"tasks.{reference.task}.<instance>.state reads one instance; "
                     f"succeeded({reference.task}) and failed({reference.task}) read them all")
            yield from _finding(reference.span,
                                scope.task_problem(reference.task, reader, says, whole=whole))
    for call in ast.status_calls(when.condition):
        for arg in call.args:
            if isinstance(arg, ast.Word):
                yield from _finding(arg.span, scope.task_problem(arg.text, reader, says))
            else:
                yield from _finding(arg.span, scope.phase_problem(arg.value, reader, says))


def _param_problem(reader: Reader, name: str, params: list[str], secrets: set[str]):
    if name in secrets:
        return (f'{reader.condition} reads "{name}", which is a secret, not a param',
                "conditions read params, never secrets: let the task read the secret itself")
    return (f'{reader.condition} reads params.{name}, but the file declares no param "{name}"',
            did_you_mean(name, params) or f'declare it: param {name} = "..."')


def _finding(span, problem: Problem | None):
    if problem is not None:
        yield Finding(span, problem.message, problem.help, problem.notes)


@rule("W211", "constant-condition", Severity.WARNING)
def constant_condition(ctx):
    """A ``when`` condition is always true or always false: it names no task, param or
    variable (``when true``, ``when 1 == 1``, ``when not false``), so it decides nothing. An
    always-true condition on a task does nothing; on a phase it still means ``succeeded()``.
    An always-false one never runs the task or phase. ``when always()`` is the idiom for "run
    whatever happened before" and is not reported.

    Bad:
        phase "Cleanup" when true {
            task tidy application run "rm -f landing/*.tmp"
        }

    Good:
        phase "Cleanup" when always() {
            task tidy application run "rm -f landing/*.tmp"
        }
    """
    for reader, when in conditions(ctx.orchestration):
        condition = when.condition
        if isinstance(condition, ast.StatusCall) or not names_nothing(condition):
            continue
        value = constant_value(condition)
        if isinstance(value, bool):
            yield Finding(condition.span, f'{reader.condition} is always {str(value).lower()}: '
                                          "it names no task, param or variable", _help(value))


def _help(value: bool) -> str:
    if value:
        return "remove the when; for a phase that runs whatever happened before: when always()"
    return "remove the task or phase, or mark its tasks disabled"

