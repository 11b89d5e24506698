"""The outputs of a ``call`` task, where its function's source says them plainly: the string
keys of the dict literals it returns (``return {"rows": n}``, or ``summary = {...}`` then
``return summary``), read with Python's ``ast`` and never imported, from the module next to
the .orch file that lint checks the signature of (``orchdsl.check.call_targets``)."""

from __future__ import annotations

import ast
import os
from functools import lru_cache

from orchdsl.check.call_targets import module_file


def returned_keys(folder: str, target: str) -> frozenset[str]:
    module, _, function = target.partition(":")
    path = module_file(folder or ".", module) if module and function else None
    if path is None:
        return frozenset()
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return frozenset()
    return _keys(path, stamp, function)


@lru_cache(maxsize=256)
def _keys(path: str, stamp: int, function: str) -> frozenset[str]:
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read(), filename=path)
    except (OSError, SyntaxError, ValueError, RecursionError):
        return frozenset()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            return frozenset(_returned(node))
    return frozenset()


def _returned(function: ast.FunctionDef | ast.AsyncFunctionDef):
    dicts = {}  # a name assigned a dict literal in the function's own body
    for statement in function.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Dict):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    dicts[target.id] = statement.value
    for node in _own_nodes(function):
        if isinstance(node, ast.Return) and node.value is not None:
            value = dicts.get(node.value.id) if isinstance(node.value, ast.Name) else node.value
            if isinstance(value, ast.Dict):
                yield from (k.value for k in value.keys
                            if isinstance(k, ast.Constant) and isinstance(k.value, str))


def _own_nodes(function):
    """The nodes of a function's body, not those of functions or classes defined in it."""
    stack = list(function.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
