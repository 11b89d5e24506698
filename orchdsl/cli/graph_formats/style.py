"""How kinds look, shared by the drawn formats: one shape and one fill colour per kind."""

from __future__ import annotations

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
