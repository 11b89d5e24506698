"""Phases: empty ones, one task per phase, ETL order, none at all."""

from __future__ import annotations

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Note, Severity
from orchdsl.check.rules import Finding, rule

# Extract, then transform, then write. Applications may run anywhere.
ETL_RANK = {ast.Kind.EXTRACTOR: 0, ast.Kind.TRANSFORMATION: 1, ast.Kind.WRITER: 2}


@rule("W201", "phase-without-enabled-task", Severity.WARNING)
def phase_without_enabled_task(ctx):
    """A phase has no task, or every task of it is ``disabled``: it only adds a barrier.

    Bad:
        phase "Write" { task tableau writer run "python write.py" disabled }

    Good: delete the phase, or enable one of its tasks.
    """
    for phase in ctx.orchestration.phases:
        if all(task.disabled for task in phase.tasks):
            what = "has no task" if not phase.tasks else "has only disabled tasks"
            yield Finding(phase.name.span, f'phase "{phase.name.value}" {what}',
                          "delete it, or add or enable a task")


@rule("W202", "task-per-phase", Severity.WARNING)
def task_per_phase(ctx):
    """Every task sits in a phase of its own, and some of them share a kind: Keboola's "very
    defensive configuration". Tasks run strictly one after another though many could run in
    parallel. ``orchdsl fmt --group-by-kind`` regroups them into Extract, Transform, Write and
    Apps phases; ``needs`` keeps any order that really matters.

    Bad:
        phase "crm"   { task crm   extractor run "python crm.py" }
        phase "sheet" { task sheet extractor run "python sheet.py" }
        phase "load"  { task load  writer    run "python load.py" }

    Good:
        phase "Extract" { task crm   extractor run "python crm.py"
                          task sheet extractor run "python sheet.py" }
        phase "Write"   { task load  writer    run "python load.py" }
    """
    phases = ctx.orchestration.phases
    if len(phases) < 2 or any(len(phase.tasks) != 1 for phase in phases):
        return
    kinds = [phase.tasks[0].kind for phase in phases]
    if None not in kinds and len(set(kinds)) < len(kinds):
        yield Finding(ctx.orchestration.name.span,
                      f"each of the {len(phases)} phases holds a single task, so nothing runs "
                      "in parallel", "group tasks by kind: orchdsl fmt --group-by-kind")


@rule("W203", "etl-order", Severity.WARNING)
def etl_order(ctx):
    """Phases are out of ETL order: a phase runs tasks of a kind that belongs before the kind
    of an earlier phase (a writer phase before an extractor phase). The writer then sends data
    that the later extractor has not fetched yet.

    Bad:
        phase "Write"   { task tableau writer    run "python write.py" }
        phase "Extract" { task crm     extractor run "python crm.py" }

    Good:
        phase "Extract" { task crm     extractor run "python crm.py" }
        phase "Write"   { task tableau writer    run "python write.py" }
    """
    latest: tuple[int, ast.Phase, ast.Task] | None = None
    for phase in ctx.orchestration.phases:
        ranked = [(ETL_RANK[t.kind], t) for t in phase.tasks
                  if t.kind in ETL_RANK and not t.disabled]
        early = min(ranked, key=lambda r: r[0], default=None)
        if latest and early and early[0] < latest[0]:
            task, before = early[1], latest[2]
            yield Finding(task.kind_span,
                          f'{task.kind.value} task "{task.name.text}" runs after '
                          f'{before.kind.value} phase "{latest[1].name.value}"',
                          "order phases extract, transform, write; orchdsl fmt --group-by-kind "
                          "does it", (Note(f'{before.kind.value} "{before.name.text}" is here',
                                           before.kind_span),))
        late = max(ranked, key=lambda r: r[0], default=None)
        if late and (latest is None or late[0] > latest[0]):
            latest = (late[0], phase, late[1])


@rule("W209", "no-phase", Severity.WARNING)
def no_phase(ctx):
    """The orchestration has no phase, so running it does nothing.

    Bad:
        orchestration "Opportunities" { schedule "0 6 * * 1-5" }

    Good:
        orchestration "Opportunities" {
            phase "Extract" { task crm extractor run "python crm.py" }
        }
    """
    if not ctx.orchestration.phases:
        yield Finding(ctx.orchestration.name.span,
                      f'orchestration "{ctx.orchestration.name.value}" has no phase',
                      'add one: phase "Extract" { task ... }')
