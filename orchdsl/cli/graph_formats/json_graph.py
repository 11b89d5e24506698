"""``--format json``: networkx node-link data with ``"version": 1`` (docs/reference.md,
"Conventions of every command").

The graph's attributes are ``name``, ``file`` and ``description`` (null when the file has
none). Each node has ``id``, ``type`` (``task`` or ``barrier``), ``phase`` and ``when`` (the
condition of the task, or of a barrier's phase, as written; null without one); tasks also
``kind``, ``action``, ``disabled`` and their options, a matrix instance ``instance_of`` and
``matrix`` (name -> value), a task with a dynamic matrix ``"matrix": "dynamic"`` and
``matrix_clauses`` (docs/language.md, "Version 1.1 checks and drawings"); each edge
``source``, ``target`` and ``type`` (``phase`` or ``needs``). Nested orchestrations' graphs are under ``children``, keyed by the
``nested_file`` of their task node: a path relative to the folder of the file naming it.
"""

from __future__ import annotations

import os

from orchdsl.json_output import dumps

VERSION = 1


def graph_data(compiled) -> dict:
    """The shape of ``networkx.node_link_data(graph, edges="edges")``, built directly (it is
    the same document, without networkx's copy of every attribute)."""
    graph = compiled.graph
    data = {
        "directed": True, "multigraph": False,
        "graph": {"name": compiled.orchestration.name.value, "file": compiled.path,
                  "description": compiled.orchestration.description},
        "nodes": [{"id": node, **attributes} for node, attributes in graph.nodes(data=True)],
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
