"""Graphviz dot: the name and description as the graph's label, phases as
``subgraph cluster_*`` with their tasks top to bottom in file order, kinds as shapes and
colours, disabled tasks dimmed and dashed, ``needs`` edges dashed and coloured, barriers as
points."""

from __future__ import annotations

from orchdsl.compiler import end_of, start_of
from orchdsl.cli.graph_formats.style import (DISABLED_FILL, DISABLED_FONT, KIND_STYLE, NEEDS_COLOR,
                                         NESTED_SHAPE, task_caption)


def quote(text: str) -> str:
    """A dot ID or label in double quotes (dot understands only \\" and \\\\ in them)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render(compiled) -> str:
    graph = compiled.graph
    orchestration = compiled.orchestration
    out = [f"digraph {quote(orchestration.name.value)} {{",
           "    rankdir=LR;",
           "    compound=true;",
           '    node [fontname="Helvetica", fontsize=11, style=filled];',
           '    edge [color="#6c757d"];',
           f"    label={quote(_title(orchestration))};",
           "    labelloc=t;"]
    for index, phase in enumerate(orchestration.phases):
        name = phase.name.value
        out.append(f"    subgraph cluster_{index} {{")
        out.append(f"        label={quote(f'{index + 1}. {name}')};")
        out.append('        style="rounded,dashed"; color="#adb5bd";')
        for barrier in (start_of(name), end_of(name)):
            out.append(f"        {quote(barrier)} [shape=point, width=0.08, label=\"\"];")
        for task in phase.tasks:
            out.append("        " + _task_node(task.name.text, graph.nodes[task.name.text]))
        out.extend("        " + line for line in _file_order([t.name.text for t in phase.tasks]))
        out.append("    }")
    for source, target, data in graph.edges(data=True):
        # A needs edge does not place nodes (constraint=false): Graphviz would otherwise order
        # a phase's tasks by the tasks they need, not as the file lists them.
        attributes = (f' [style=dashed, color="{NEEDS_COLOR}", label="needs", fontsize=9, '
                      f'fontcolor="{NEEDS_COLOR}", constraint=false]'
                      if data["type"] == "needs" else "")
        out.append(f"    {quote(source)} -> {quote(target)}{attributes};")
    out.append("}")
    return "\n".join(out) + "\n"


def _file_order(names: list[str]) -> list[str]:
    """A phase's tasks top to bottom as in the file: one rank, and invisible edges between
    them. With rankdir=LR, Graphviz puts the tail of such an edge below its head, so the chain
    runs from the last task to the first."""
    if len(names) < 2:
        return []
    quoted = [quote(n) for n in names]
    return [f"{{rank=same; {'; '.join(quoted)}}}",
            " -> ".join(reversed(quoted)) + " [style=invis];  // file order, top to bottom"]


def _title(orchestration) -> str:
    """The graph's label: the name, and the description under it (docs/language.md, "The
    compiled graph")."""
    description = orchestration.description
    return orchestration.name.value + (f"\n{description}" if description else "")


def _task_node(name: str, data: dict) -> str:
    shape, fill = KIND_STYLE.get(data["kind"], KIND_STYLE[None])
    if data["action"] == "orchestration":
        shape = NESTED_SHAPE
    attributes = [f"label={quote(name + chr(10) + task_caption(data))}", f"shape={shape}"]
    if data["disabled"]:
        attributes += [f'fillcolor="{DISABLED_FILL}"', 'style="filled,dashed"',
                       f'fontcolor="{DISABLED_FONT}"', f"tooltip={quote(name + ' (disabled)')}"]
    else:
        attributes.append(f'fillcolor="{fill}"')
    return f"{quote(name)} [{', '.join(attributes)}];"
