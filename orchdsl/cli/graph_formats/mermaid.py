"""Mermaid flowchart: the name and description as its title, phases as ``subgraph`` blocks
linked in order, kinds as shapes and classes, disabled tasks dimmed, ``needs`` as dotted
labelled links. Renders on GitHub."""

from __future__ import annotations

from orchdsl.cli.graph_formats.style import DISABLED_FILL, DISABLED_FONT, KIND_STYLE, task_caption

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
    ids = {name: f"t{i}" for i, name in enumerate(
        t.name.text for p in phases for t in p.tasks)}
    out = _front_matter(compiled.orchestration) + ["flowchart LR"]
    for index, phase in enumerate(phases):
        out.append(f"    subgraph p{index}[{label(escape(f'{index + 1}. {phase.name.value}'))}]")
        out.append("        direction TB")
        if not phase.tasks:
            out.append(f"        p{index}_empty[{label('(no task)')}]")
        for task in phase.tasks:
            data = graph.nodes[task.name.text]
            opening, closing = SHAPES.get(data["kind"], SHAPES[None])
            text = f"{escape(task.name.text)}<br/><small>{escape(task_caption(data))}</small>"
            out.append(f"        {ids[task.name.text]}{opening}{label(text)}{closing}")
        out.append("    end")
    for index in range(1, len(phases)):
        out.append(f"    p{index - 1} --> p{index}")
    for source, target, data in graph.edges(data=True):
        if data["type"] == "needs":
            out.append(f"    {ids[source]} -. needs .-> {ids[target]}")
    for kind, (_, fill) in KIND_STYLE.items():
        out.append(f"    classDef {kind or 'plain'} fill:{fill},stroke:#495057")
    out.append(f"    classDef disabled fill:{DISABLED_FILL},color:{DISABLED_FONT},"
               "stroke-dasharray:4 3")
    for name, node_id in ids.items():
        data = graph.nodes[name]
        out.append(f"    class {node_id} {'disabled' if data['disabled'] else data['kind'] or 'plain'}")
    return "\n".join(out) + "\n"
