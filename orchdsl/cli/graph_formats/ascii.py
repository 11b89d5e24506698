"""A plain-text drawing for a terminal: the name and description, then phases top to bottom,
one task a line, needs named."""

from __future__ import annotations

from orchdsl.cli.graph_formats.style import task_caption


def render(compiled) -> str:
    graph = compiled.graph
    orchestration = compiled.orchestration
    phases = orchestration.phases
    out = [f"{orchestration.name.value} ({compiled.path})"]
    # The description under the name, indented as the plan shows it (run --dry-run).
    out.extend(f"  {line}" for line in (orchestration.description or "").splitlines())
    out.append("")
    width = max((len(t.name.text) for t in orchestration.tasks), default=0)
    phase_of = {t.name.text: p.name.value for p in phases for t in p.tasks}
    for index, phase in enumerate(phases):
        last = index == len(phases) - 1
        rail = " " if last else "|"
        out.append(f"[{index + 1}] {phase.name.value}")
        if not phase.tasks:
            out.append(f" {rail}   (no task)")
        for task in phase.tasks:
            data = graph.nodes[task.name.text]
            line = f" {rail}   {task.name.text.ljust(width)}  {task_caption(data)}"
            if data["disabled"]:
                line += "  (disabled)"
            if data["needs"]:
                needs = ", ".join(f"{n} ({phase_of[n]})" for n in data["needs"])
                line += f"  <- needs {needs}"
            out.append(line)
        if not last:
            out.append(" v")
    if not phases:
        out.append("(no phase)")
    return "\n".join(out) + "\n"
