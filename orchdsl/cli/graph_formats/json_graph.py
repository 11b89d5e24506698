"""``--format json``: networkx node-link data with ``"version": 1`` (docs/reference.md,
"Conventions of every command").

The graph's attributes are ``name``, ``file`` and ``description`` (null when the file has
none). Each node has ``id``, ``type`` (``task`` or ``barrier``) and ``phase``; tasks also ``kind``,
``action``, ``disabled`` and their options; each edge ``source``, ``target`` and ``type``
(``phase`` or ``needs``). Nested orchestrations' graphs are under ``children``, keyed by the
``nested_file`` of their task node: a path relative to the folder of the file naming it.
"""

from __future__ import annotations

import os

from orchdsl.json_output import dumps

VERSION = 1


def graph_data(compiled) -> dict:
    """The shape of ``networkx.node_link_data(graph, edges="edges")``, built directly: copying
    the graph to drop the AST nodes cost more than the rest of the command."""
    graph = compiled.graph
    data = {
        "directed": True, "multigraph": False,
        "graph": {"name": compiled.orchestration.name.value, "file": compiled.path,
                  "description": compiled.orchestration.description},
        # "node" is the AST node: for the runner, not for output
        "nodes": [{"id": node, **{k: v for k, v in attributes.items() if k != "node"}}
                  for node, attributes in graph.nodes(data=True)],
        "edges": [{"source": source, "target": target, **attributes}
                  for source, target, attributes in graph.edges(data=True)],
    }
    children = {os.path.relpath(path, compiled.folder): graph_data(child)
                for path, child in compiled.children.items()}
    if children:
        data["children"] = children
    return data


def render(compiled) -> str:
    return dumps({"version": VERSION, **graph_data(compiled)})
