"""Nested orchestrations: the file must exist, and no chain of them may loop."""

from __future__ import annotations

import os

from orchdsl.lang.loader import Loader, nested_tasks
from orchdsl.check.rules import Finding, rule
from orchdsl.lang.source import SourceError


@rule("E108", "nested-file-missing")
def nested_file_missing(ctx):
    """An ``orchestration "<path>"`` task names a file that does not exist, cannot be read, or
    has errors of its own (it could not run). The path is relative to the folder of the file
    that names it.

    Bad:
        task archive orchestration "archiev.orch"

    Good:
        task archive orchestration "archive.orch"
    """
    for task in nested_tasks(ctx.document):
        path = ctx.loader.nested_path(ctx.document, task.action)
        where = task.action.path
        if not os.path.exists(path):
            help, fix = _sibling_hint(path, where)
            yield Finding(where.span, f'nested orchestration "{where.value}" not found '
                                      f"(looked for {path})", help, fix=fix)
            continue
        if os.path.isdir(path):
            yield Finding(where.span, f'nested orchestration "{where.value}" is a folder, '
                                      "not a .orch file")
            continue
        if find_cycle(ctx.loader, [ctx.loader.key(ctx.document.path)], path):
            continue  # E109 reports it, with the chain
        try:
            errors = errors_of(ctx.loader, path)
        except SourceError as exc:
            yield Finding(where.span, f"nested orchestration cannot be read: {exc}")
            continue
        if errors:
            first = errors[0]
            yield Finding(where.span, f'nested orchestration "{where.value}" has '
                                      f"{len(errors)} error{'s' if len(errors) > 1 else ''}: "
                                      f"{first.span}: {first.message}",
                          f"orchdsl lint {path}")


def errors_of(loader: Loader, path: str) -> list:
    """The errors of a nested file (its own nested files included), computed once per file.
    A file already being checked counts as clean here: a cycle is E109's to report."""
    from orchdsl.check.linter import lint_result

    cache = loader.nested_errors
    key = loader.key(path)
    if key not in cache:
        cache[key] = []  # in progress
        cache[key] = [d for d in lint_result(loader.load(path), loader) if d.is_error]
    return cache[key]


def _sibling_hint(path: str, written):
    """``did you mean "archive.orch"?`` and its fix, which keeps the folder as written."""
    from orchdsl.lang.diagnostics import suggest

    folder = os.path.dirname(path) or "."
    try:
        names = [n for n in os.listdir(folder) if n.endswith(".orch")]
    except OSError:
        return None, None
    prefix = written.value[:len(written.value) - len(os.path.basename(written.value))]
    help, fix = suggest(os.path.basename(path), names, written.span,
                        lambda name: f'"{prefix}{name}"')
    plain = "\\" not in written.raw and '"' not in prefix and not written.interpolations
    return help, fix if plain else None


@rule("E109", "nested-cycle")
def nested_cycle(ctx):
    """Nested orchestrations form a cycle: running the file would start itself again, without
    end. Reported at the ``orchestration "..."`` task of the file being checked, with the whole
    chain of files.

    Bad:
        # a.orch
        task b orchestration "b.orch"
        # b.orch
        task a orchestration "a.orch"

    Good: break the chain; move what both need into a third file that names neither.
    """
    root = ctx.loader.key(ctx.document.path)
    for task in nested_tasks(ctx.document):
        child = ctx.loader.nested_path(ctx.document, task.action)
        chain = find_cycle(ctx.loader, [root], child)
        if chain:
            shown = " -> ".join(_shown(p) for p in chain)
            yield Finding(task.action.path.span, f"nested orchestrations form a cycle: {shown}",
                          "an orchestration may not run itself, directly or through others")


def find_cycle(loader: Loader, stack: list[str], path: str, done: set | None = None) -> list[str] | None:
    """The chain ``stack + [path, ...]`` back to a file already on it, or None (depth first;
    ``done`` holds files known to lead to no cycle)."""
    done = set() if done is None else done
    key = loader.key(path)
    if key in stack:
        return stack + [key]
    if key in done:
        return None
    try:
        document = loader.load(path).document
    except SourceError:
        return None  # reported by E108
    for task in nested_tasks(document):
        chain = find_cycle(loader, stack + [key], loader.nested_path(document, task.action), done)
        if chain:
            return chain
    done.add(key)
    return None


def _shown(path: str) -> str:
    if path == "-":
        return "<stdin>"
    relative = os.path.relpath(path)
    return path if relative.startswith("../../") else relative
