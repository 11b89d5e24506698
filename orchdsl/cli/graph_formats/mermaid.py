"""Mermaid flowchart: the name and description as its title, phases as ``subgraph`` blocks
linked in order (a phase's condition in its title), task nodes with their matrix values and
conditions, kinds as shapes and classes, disabled tasks dimmed, ``needs`` as dotted labelled
links. Renders on GitHub."""

from __future__ import annotations

from orchdsl.cli.graph_formats.style import (DISABLED_FILL, DISABLED_FONT, KIND_STYLE,
                                             matrix_caption, task_caption, task_nodes,
                                             when_caption)
from orchdsl.compiler import start_of

# kind -> (opening, closing) of the node's shape
SHAPES = {
    "extractor": ("[(", ")]"),       # cylinder: a data source
    "transformation": ("(", ")"),    # rounded box
    "writer": ("[/", "/]"),          # parallelogram: output
    "application": ("[[", "]]"),     # subroutine
    None: ("[", "]"),
}


def escape(text: str) -> str:
    """User text inside a quoted Mermaid label: quotes and markup characters as entity codes."""
    for char, code in (("#", "#35;"), ("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text


def label(markup: str) -> str:
    return f'"{markup}"'


def _front_matter(orchestration) -> list[str]:
    """A title above the chart, the name and the description on one line (Mermaid's front
    matter is YAML; a JSON string is a valid YAML double-quoted scalar)."""
    import json

    if not orchestration.description:
        return []
    title = f"{orchestration.name.value}: {' '.join(orchestration.description.split())}"
    return ["---", f"title: {json.dumps(title, ensure_ascii=False)}", "---"]


def render(compiled) -> str:
    graph = compiled.graph
    phases = compiled.orchestration.phases
    nodes = task_nodes(graph)
    order = [n for p in phases for t in p.tasks for n in nodes[t.name.text]]
    ids = {name: f"t{i}" for i, name in enumerate(order)}
    joins = [n for n, data in graph.nodes(data=True) if data.get("barrier") == "instances"]
    ids.update({name: f"j{i}" for i, name in enumerate(joins)})
    out = _front_matter(compiled.orchestration) + ["flowchart LR"]
    for index, phase in enumerate(phases):
        own = [n for t in phase.tasks for n in nodes[t.name.text]]
        starting = [j for j in joins if graph.nodes[j]["phase_index"] == index]
        out.extend(_subgraph(graph, index, phase, own, starting, ids))
    for index in range(1, len(phases)):
        out.append(f"    p{index - 1} --> p{index}")
    for source, target, data in graph.edges(data=True):
        if data["type"] == "needs":
            out.append(f"    {ids[source]} -. needs .-> {ids[target]}")
    for kind, (_, fill) in KIND_STYLE.items():
        out.append(f"    classDef {kind or 'plain'} fill:{fill},stroke:#495057")
    out.append(f"    classDef disabled fill:{DISABLED_FILL},color:{DISABLED_FONT},"
               "stroke-dasharray:4 3")
    for name in order:
        data = graph.nodes[name]
        out.append(f"    class {ids[name]} {'disabled' if data['disabled'] else data['kind'] or 'plain'}")
    return "\n".join(out) + "\n"


def _subgraph(graph, index: int, phase, nodes: list[str], joins: list[str],
              ids: dict[str, str]) -> list[str]:
    """A phase: its title (with its condition), its task nodes, and the join nodes of
    ``needs`` between matrix tasks whose needed task is in it."""
    condition = when_caption(graph.nodes[start_of(phase.name.value)])
    title = f"{index + 1}. {phase.name.value}" + (f" ({condition})" if condition else "")
    out = [f"    subgraph p{index}[{label(escape(title))}]", "        direction TB"]
    if not nodes:
        out.append(f"        p{index}_empty[{label('(no task)')}]")
    out.extend(f"        {ids[n]}{_shape(n, graph.nodes[n])}" for n in nodes)
    for join in joins:
        every = escape(f"{join.rsplit(':', 1)[0]}: every instance")
        out.append(f"        {ids[join]}(({label(every)}))")
    out.append("    end")
    return out


def _shape(name: str, data: dict) -> str:
    opening, closing = SHAPES.get(data["kind"], SHAPES[None])
    lines = [task_caption(data), matrix_caption(data), when_caption(data)]
    small = "<br/>".join(escape(line) for line in lines if line)
    return f"{opening}{label(f'{escape(name)}<br/><small>{small}</small>')}{closing}"
