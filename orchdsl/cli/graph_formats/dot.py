"""Graphviz dot: phases as ``subgraph cluster_*``, kinds as shapes and colours, disabled tasks
dimmed and dashed, ``needs`` edges dashed and coloured, barriers as points."""

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
           f"    label={quote(orchestration.name.value)};",
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
        out.append("    }")
    for source, target, data in graph.edges(data=True):
        if _implied(graph, source, target):
            continue
        attributes = (f' [style=dashed, color="{NEEDS_COLOR}", label="needs", fontsize=9, '
                      f'fontcolor="{NEEDS_COLOR}"]' if data["type"] == "needs" else "")
        out.append(f"    {quote(source)} -> {quote(target)}{attributes};")
    out.append("}")
    return "\n".join(out) + "\n"


def _implied(graph, source: str, target: str) -> bool:
    """A phase's own start -> end edge, drawn only when no task already links the two: it keeps
    the phases in order when every task of a phase starts early through ``needs``."""
    data = graph.nodes[source]
    return (data["type"] == "barrier" and data["barrier"] == "start"
            and target == end_of(data["phase"])
            and any(graph.nodes[t]["type"] == "task" for t in graph.successors(source)))


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
