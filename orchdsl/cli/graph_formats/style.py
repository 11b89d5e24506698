"""What the drawn formats share: one shape and one fill colour per kind, the captions of a
task node (its kind and action, matrix values, condition), and the nodes of each task."""

from __future__ import annotations

import json

from orchdsl.lang.matrix import is_plain_value

# kind -> (Graphviz shape, fill colour)
KIND_STYLE = {
    "extractor": ("cylinder", "#cfe2ff"),
    "transformation": ("box", "#fff3cd"),
    "writer": ("folder", "#d1e7dd"),
    "application": ("component", "#e2d9f3"),
    None: ("box", "#f8f9fa"),
}
NESTED_SHAPE = "box3d"
DISABLED_FILL = "#eeeeee"
DISABLED_FONT = "#888888"
NEEDS_COLOR = "#d63384"


def task_caption(data: dict) -> str:
    """The second line under a task's name: its kind and what it runs."""
    kind = data["kind"] or "task"
    if data["action"] == "orchestration":
        return f"{kind}: {data['file']}"
    if data["action"] == "call":
        return f"{kind}: call {data['target']}"
    return kind


def task_nodes(graph) -> dict[str, list[str]]:
    """Task -> its node, or the nodes of its matrix instances, in file order."""
    found: dict[str, list[str]] = {}
    for node, data in graph.nodes(data=True):
        if data["type"] == "task":
            found.setdefault(data.get("instance_of") or node, []).append(node)
    return found


def matrix_caption(data: dict) -> str | None:
    """An instance's values (``region=eu, tier=gold``), or what a dynamic matrix reads
    (``matrix: dynamic, file from tasks.ls.outputs.files``); None for a task without one."""
    if isinstance(data.get("matrix"), dict):
        return ", ".join(f"{name}={_value(value)}" for name, value in data["matrix"].items())
    if data.get("matrix") == "empty":
        return "matrix: empty, no instance runs"
    if data.get("matrix") == "dynamic":
        clauses = [f"{c['name']} from {c['from']}" if "from" in c
                   else f"{c['name']} = {', '.join(_value(v) for v in c['values'])}"
                   for c in data["matrix_clauses"]]
        return "matrix: dynamic, " + "; ".join(clauses)
    return None


def _value(value: str) -> str:
    return value if is_plain_value(value) else json.dumps(value, ensure_ascii=False)


def when_caption(data: dict) -> str | None:
    """``when <condition>`` of a task or a phase's barrier, as written."""
    return f"when {data['when']}" if data.get("when") else None
