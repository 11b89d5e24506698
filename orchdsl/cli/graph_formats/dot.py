"""Graphviz dot: the name and description as the graph's label, phases as
``subgraph cluster_*`` (their conditions under their names) with their task nodes top to
bottom in file order (a static matrix's instances each with its values, a dynamic one marked),
conditions under the task, kinds as shapes and colours, disabled tasks dimmed and dashed,
``needs`` edges dashed and coloured, barriers as points."""

from __future__ import annotations

from orchdsl.compiler import end_of, start_of
from orchdsl.cli.graph_formats.style import (DISABLED_FILL, DISABLED_FONT, KIND_STYLE, NEEDS_COLOR,
                                             NESTED_SHAPE, matrix_caption, task_caption,
                                             task_nodes, when_caption)


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
    nodes = task_nodes(graph)
    joins = _joins(graph)
    for index, phase in enumerate(orchestration.phases):
        name = phase.name.value
        condition = when_caption(graph.nodes[start_of(name)])
        title = f"{index + 1}. {name}" + (f"\n{condition}" if condition else "")
        out.append(f"    subgraph cluster_{index} {{")
        out.append(f"        label={quote(title)};")
        out.append('        style="rounded,dashed"; color="#adb5bd";')
        for barrier in (start_of(name), end_of(name), *joins.get(index, ())):
            out.append(f"        {quote(barrier)} [shape=point, width=0.08, label=\"\"];")
        names = [n for t in phase.tasks for n in nodes[t.name.text]]
        for node in names:
            out.append("        " + _task_node(node, graph.nodes[node]))
        out.extend("        " + line for line in _file_order(names))
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


def _joins(graph) -> dict[int, list[str]]:
    """Phase index -> the join nodes of ``needs`` between matrix tasks of that phase."""
    found: dict[int, list[str]] = {}
    for node, data in graph.nodes(data=True):
        if data.get("barrier") == "instances":
            found.setdefault(data["phase_index"], []).append(node)
    return found


def _task_node(name: str, data: dict) -> str:
    shape, fill = KIND_STYLE.get(data["kind"], KIND_STYLE[None])
    if data["action"] == "orchestration":
        shape = NESTED_SHAPE
    lines = [name, task_caption(data), matrix_caption(data), when_caption(data)]
    attributes = [f"label={quote(chr(10).join(line for line in lines if line))}",
                  f"shape={shape}"]
    if data["disabled"]:
        attributes += [f'fillcolor="{DISABLED_FILL}"', 'style="filled,dashed"',
                       f'fontcolor="{DISABLED_FONT}"', f"tooltip={quote(name + ' (disabled)')}"]
    else:
        attributes.append(f'fillcolor="{fill}"')
    return f"{quote(name)} [{', '.join(attributes)}];"
