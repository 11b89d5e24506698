"""JSON for people and programs at once: nested structure indented, each flat record (a task,
a node, an edge: scalars and lists or maps of scalars) on one line.

One line per record keeps 20,000-task documents diffable and greppable, and lets the C
encoder write each record: ``json.dumps(indent=2)`` falls back to the pure-Python encoder
and took 1.9 s of a 3.7 s dry run at 20,000 tasks.
"""

from __future__ import annotations

import json

_SCALARS = (str, int, float, bool, type(None))


def dumps(value) -> str:
    return _dump(value, 0) + "\n"


def _dump(value, depth: int) -> str:
    if _flat(value, 2):
        return json.dumps(value, ensure_ascii=False)
    inner = "  " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_dump(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}" if items else "{}"
    items = [inner + _dump(v, depth + 1) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + "  " * depth + "]" if items else "[]"


def _flat(value, levels: int) -> bool:
    """A scalar, or a list or map holding only flat values, ``levels`` deep at most."""
    if isinstance(value, _SCALARS):
        return True
    if levels == 0 or not isinstance(value, (list, dict)):
        return False
    values = value.values() if isinstance(value, dict) else value
    return all(_flat(v, levels - 1) for v in values)
