"""A Pipeline as .orch text. The layout here is plain; ``fmt``'s formatter gives it the
canonical one afterwards (convert.py)."""

from __future__ import annotations

from orchdsl.importers.keboola.names import one_line, quote
from orchdsl.importers.keboola.pipeline import Comments, PhaseOut, Pipeline, TaskOut


def render(pipeline: Pipeline) -> str:
    lines = [*_comments(pipeline.header, 0), f"orchestration {quote(pipeline.name)} {{"]
    if pipeline.description:
        lines.append(f"    description {quote(pipeline.description)}")
    lines += _comments(pipeline.notes, 1)
    lines += [f"    {clause}" for clause in pipeline.clauses]
    for phase in pipeline.phases:
        lines += _phase(phase)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _phase(phase: PhaseOut) -> list[str]:
    when = f" when {phase.when}" if phase.when else ""
    lines = [*_comments(phase.comments, 1), f"    phase {quote(phase.name)}{when} {{"]
    for item in phase.items:
        lines += _comments(item.lines, 2) if isinstance(item, Comments) else _task(item)
    lines.append("    }")
    return lines


def _task(task: TaskOut) -> list[str]:
    kind = f" {task.kind}" if task.kind else ""
    head = f"        task {task.name}{kind} run {quote(task.command)}"
    return [*_comments(task.comments, 2), " ".join([head, *task.options])]


def _comments(lines, depth: int) -> list[str]:
    return [f"{'    ' * depth}# {one_line(line)}".rstrip() for line in lines]
