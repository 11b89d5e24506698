"""``orchdsl graph`` output formats: one module per format, each ``render(compiled) -> str``,
chosen by name. ``svg`` and ``png`` pipe the dot text through Graphviz."""

from __future__ import annotations

import importlib

FORMATS = {
    "dot": "orchdsl.cli.graph_formats.dot",
    "mermaid": "orchdsl.cli.graph_formats.mermaid",
    "ascii": "orchdsl.cli.graph_formats.ascii",
    "json": "orchdsl.cli.graph_formats.json_graph",
}


def render(name: str, compiled) -> str:
    return importlib.import_module(FORMATS[name]).render(compiled)
