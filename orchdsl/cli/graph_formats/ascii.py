"""A plain-text drawing for a terminal: the name and description, then phases top to bottom
(with their conditions), one task node a line (each matrix instance with its values), needs
and conditions named."""

from __future__ import annotations

from orchdsl.cli.graph_formats.style import matrix_caption, task_caption, task_nodes, when_caption
from orchdsl.compiler import start_of


def render(compiled) -> str:
    graph = compiled.graph
    orchestration = compiled.orchestration
    phases = orchestration.phases
    out = [f"{orchestration.name.value} ({compiled.path})"]
    # The description under the name, indented as the plan shows it (run --dry-run).
    out.extend(f"  {line}" for line in (orchestration.description or "").splitlines())
    out.append("")
    nodes = task_nodes(graph)
    width = max((len(n) for names in nodes.values() for n in names), default=0)
    phase_of = {t.name.text: p.name.value for p in phases for t in p.tasks}
    for index, phase in enumerate(phases):
        last = index == len(phases) - 1
        rail = " " if last else "|"
        condition = when_caption(graph.nodes[start_of(phase.name.value)])
        out.append(f"[{index + 1}] {phase.name.value}" + (f"  {condition}" if condition else ""))
        if not phase.tasks:
            out.append(f" {rail}   (no task)")
        for task in phase.tasks:
            for node in nodes[task.name.text]:
                out.append(f" {rail}   {node.ljust(width)}  "
                           + _details(graph.nodes[node], phase_of))
        if not last:
            out.append(" v")
    if not phases:
        out.append("(no phase)")
    return "\n".join(out) + "\n"


def _details(data: dict, phase_of: dict[str, str]) -> str:
    parts = [task_caption(data)]
    values = matrix_caption(data)
    if values:
        parts.append(values if data.get("instance_of") is None else f"[{values}]")
    if data["disabled"]:
        parts.append("(disabled)")
    if data["needs"]:
        parts.append("<- needs " + ", ".join(f"{n} ({phase_of[n]})" for n in data["needs"]))
    condition = when_caption(data)
    if condition:
        parts.append(condition)
    return "  ".join(parts)
