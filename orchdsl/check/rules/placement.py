"""Placement (language 1.1): ``on "<label>"`` names what a worker must offer to run a task."""

from __future__ import annotations

from orchdsl.check.rules import Finding, rule
from orchdsl.lang import ast


@rule("E122", "empty-placement-label")
def empty_placement_label(ctx):
    """A task's ``on`` label is empty or blank. ``on "<label>"`` runs the task only on workers
    that offer that label (with a Dask executor, a worker resource of that name); no worker
    offers an empty one, so the task could never start there. The local executor ignores
    labels, so the mistake would show only on a cluster. ``on`` may appear once per task
    (E112).

    Bad:
        task fit transformation run "python3 fit.py" on ""

    Good:
        task fit transformation run "python3 fit.py" on "gpu"
    """
    for task in ctx.orchestration.tasks:
        for option in task.options:
            label = option.label if isinstance(option, ast.OnOption) else None
            if label is not None and not label.value.strip():
                yield Finding(label.span, f'task "{task.name.text}" has an empty placement '
                                          "label", 'name what its workers offer: on "gpu", or '
                                                   "remove the option")
