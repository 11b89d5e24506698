"""``--format json``: networkx node-link data with ``"version": 1`` (LANGUAGE.md 7).

Each node has ``id``, ``type`` (``task`` or ``barrier``) and ``phase``; tasks also ``kind``,
``action``, ``disabled`` and their options; each edge ``source``, ``target`` and ``type``
(``phase`` or ``needs``). Nested orchestrations' graphs are under ``children``, keyed by the
``nested_file`` of their task node.
"""

from __future__ import annotations

import json
import os

import networkx as nx

VERSION = 1


def graph_data(compiled) -> dict:
    graph = compiled.graph.copy()
    for _, data in graph.nodes(data=True):
        data.pop("node", None)  # the AST node: for the runner, not for output
    data = nx.node_link_data(graph, edges="edges")
    data["graph"] = {"name": compiled.orchestration.name.value, "file": compiled.path}
    children = {os.path.relpath(path): graph_data(child)
                for path, child in compiled.children.items()}
    if children:
        data["children"] = children
    return data


def render(compiled) -> str:
    return json.dumps({"version": VERSION, **graph_data(compiled)}, indent=2,
                      ensure_ascii=False) + "\n"
