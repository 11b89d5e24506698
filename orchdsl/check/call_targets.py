"""What lint can know about a ``call`` target without running user code: the module's source,
found next to the .orch file as the runner finds it (docs/language.md, "call targets are
read, never run"), read with Python's ``ast`` module and never imported.

A module that is not next to the file is left alone: it may be on the runner's ``sys.path``.
So is a function whose signature the source does not settle: one defined under an ``if`` or
``try``, decorated, bound twice, assigned (``f = partial(...)``), a class, or a module that
could make the name at run time (``from x import *``, a module ``__getattr__``, ``globals()``,
``setattr``, ``exec``).
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from orchdsl.lang.modules import module_file  # noqa: F401 - re-exported (rules, the LSP)
from orchdsl.lang.source import SourceError, read_bytes

# ``package.module:function`` (docs/reference.md, "Tasks").
CALL_TARGET = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*\Z")

# Names that let a module define attributes that no statement of it binds.
DYNAMIC_CALLS = frozenset({"globals", "setattr", "exec", "vars", "__import__"})
COMPOUND = (ast.If, ast.Try, ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While,
            ast.Match) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())


@dataclass(frozen=True)
class Signature:
    """A plain top-level ``def`` or ``async def``: the parameters it needs given."""

    line: int
    column: int
    required: tuple[str, ...]  # keyword-passable parameters without a default
    positional_only: tuple[str, ...]  # positional-only parameters without a default


@dataclass(frozen=True)
class Missing:
    """The module binds no such name, and nothing in it could make one at run time."""


@dataclass(frozen=True)
class Unparsable:
    line: int
    column: int
    message: str


Found = Signature | Missing | Unparsable | None  # None: nothing lint can tell


def look_up(path: str, function: str) -> Found:
    """What the source at ``path`` says about its top-level ``function``."""
    try:
        data = read_bytes(path)
    except SourceError:
        return None
    # Keyed by the text itself: a module edited between two lints of one process (a
    # scheduler compiles files again) is read afresh, even within one mtime tick.
    return _look_up(data, os.path.normpath(path), function)


@lru_cache(maxsize=128)
def _look_up(data: bytes, path: str, function: str) -> Found:
    tree = _parse(data, path)
    if tree is None or isinstance(tree, Unparsable):
        return tree
    if _is_dynamic(tree, function):
        return None
    bindings = list(_bindings(tree.body, function, top=True))
    if not bindings:
        return Missing()
    if len(bindings) == 1 and isinstance(bindings[0], (ast.FunctionDef, ast.AsyncFunctionDef)) \
            and not bindings[0].decorator_list:
        return _signature(bindings[0])
    return None


@lru_cache(maxsize=32)
def _parse(data: bytes, path: str) -> ast.Module | Unparsable | None:
    try:
        return ast.parse(data, filename=path)
    except SyntaxError as exc:
        return Unparsable(exc.lineno or 1, exc.offset or 1, exc.msg)
    except (ValueError, RecursionError, MemoryError):
        return None


def _is_dynamic(tree: ast.Module, function: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return True
        if isinstance(node, ast.Global) and function in node.names:
            return True  # a function may bind it when it runs
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in DYNAMIC_CALLS:
            return True
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "__getattr__"
               for n in tree.body)


def _bindings(statements, name: str, top: bool):
    """The module-level statements that bind ``name``; a binding inside an ``if``, ``try``,
    ``with`` or loop is yielded as that compound statement (its effect is not known)."""
    for statement in statements:
        if isinstance(statement, COMPOUND):
            if any(True for _ in _bindings(_children(statement), name, top=False)) \
                    or name in _stored_names(statement, shallow=True):
                yield statement
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if statement.name == name:
                yield statement
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name.split(".")[0]) == name for a in statement.names):
                yield statement
        elif name in _stored_names(statement, shallow=False):
            yield statement


def _children(statement) -> list:
    found = []
    for field in ("body", "orelse", "finalbody"):
        found.extend(getattr(statement, field, []) or [])
    for handler in getattr(statement, "handlers", []) or []:
        found.extend(handler.body)
    for case in getattr(statement, "cases", []) or []:
        found.extend(case.body)
    return found


def _stored_names(node, shallow: bool) -> set[str]:
    """Names assigned by ``node`` (targets, walrus, ``as``, ``del``); ``shallow`` looks only at
    the compound statement's own head (a ``for`` target, a ``with ... as``, an ``except ...
    as``, a ``match`` capture), not its body."""
    heads = [node]
    if shallow:
        heads = [getattr(node, "target", None), *[i.optional_vars for i in
                                                  getattr(node, "items", [])],
                 getattr(node, "test", None), getattr(node, "subject", None)]
        heads += [h for h in getattr(node, "handlers", []) or []]
        heads += [c.pattern for c in getattr(node, "cases", []) or []]
    names: set[str] = set()
    for head in (h for h in heads if h is not None):
        for sub in ast.walk(head):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                names.add(sub.id)
            elif isinstance(sub, ast.ExceptHandler) and sub.name:
                names.add(sub.name)
            elif isinstance(sub, (ast.MatchAs, ast.MatchStar)) and sub.name:
                names.add(sub.name)
            elif isinstance(sub, ast.MatchMapping) and sub.rest:
                names.add(sub.rest)
    return names


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Signature:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    required = [a.arg for i, a in enumerate(positional) if i >= len(args.posonlyargs)
                and i < first_default]
    positional_only = [a.arg for i, a in enumerate(args.posonlyargs) if i < first_default]
    required += [a.arg for a, default in zip(args.kwonlyargs, args.kw_defaults)
                 if default is None]
    return Signature(node.lineno, node.col_offset + 1, tuple(required), tuple(positional_only))
