"""Clauses and tasks as words (``orchdsl.formatting.pieces``): what each node of the tree
prints as, in order, with where each word stood in the source.
"""

from __future__ import annotations

from dataclasses import replace

from orchdsl.lang import ast
from orchdsl.formatting.condition_words import condition, inline
from orchdsl.formatting.pieces import (GAP, INDENT, Piece, Source, flow, keyword_piece, listed,
                                       node_piece, one_line)

__all__ = ["GAP", "INDENT", "Piece", "Source", "flow", "one_line", "block_head", "task_head",
           "action", "option", "clause", "plain_head"]


def block_head(node: ast.Orchestration | ast.Phase, source: Source) -> list[Piece] | None:
    """``orchestration NAME {``, ``phase NAME {`` or ``phase NAME when CONDITION {``; None when
    the ``{`` is not found after the name (a phase that a rewrite made)."""
    keyword = "phase" if isinstance(node, ast.Phase) else "orchestration"
    when = node.when if isinstance(node, ast.Phase) else None
    before_brace = when if when is not None else node.name
    brace = source.keyword("{", before_brace.span.end, before_brace)
    if brace.start == before_brace.span.start:
        return None
    pieces = [keyword_piece(keyword, node.span, 0), node_piece(node.name, node.name.raw)]
    if when is not None:
        pieces += [keyword_piece("when", when.span), *condition(when.condition, source, 1)]
    return [*pieces, brace]


def plain_head(node: ast.Orchestration | ast.Phase, source: Source) -> str:
    """The head without comments, on one line, without its ``{``."""
    if isinstance(node, ast.Orchestration):
        return f"orchestration {node.name.raw}"
    when = f" when {inline(node.when.condition, source)}" if node.when is not None else ""
    return f"phase {node.name.raw}{when}"


def task_head(task: ast.Task, name_width: int) -> list[Piece]:
    pieces = [keyword_piece("task", task.span, 0),
              node_piece(task.name, task.name.text.ljust(name_width))]
    if task.kind is not None:
        pieces.append(Piece(task.kind.value, task.kind_span.start, task.kind_span.line,
                            task.kind_span.end_line))
    return pieces


def action(node: ast.Action, source: Source) -> list[Piece]:
    """The action's words: a break before the first is one level under the task line, a break
    inside two levels."""
    if isinstance(node, ast.RunShell):
        return [keyword_piece("run", node.span), node_piece(node.command, node.command, 2)]
    if isinstance(node, ast.RunArgv):
        run = keyword_piece("run", node.span)
        argv = listed(node.argv, 2, lambda s: s)
        end = node.span
        close = Piece("]", end.end - 1, end.end_line, end.end_line, 2, joined="")
        return [run, source.keyword("[", run.start + len("run"), node.argv[0], 2),
                replace(argv[0], joined=""), *argv[1:], close]
    if isinstance(node, ast.Call):
        return [keyword_piece("call", node.span), node_piece(node.target, node.target, 2)]
    return [keyword_piece("orchestration", node.span), node_piece(node.path, node.path, 2)]


def option(node: ast.TaskOption, source: Source) -> list[Piece]:
    first = keyword_piece(ast.OPTION_KEYWORDS[type(node)], node.span, 1, option=True)
    if isinstance(node, ast.TimeoutOption):
        return [first, node_piece(node.duration, depth=2)]
    if isinstance(node, ast.RetriesOption):
        pieces = [first, node_piece(node.count, str(node.count.value), 2)]
        if node.backoff is not None:
            pieces += [source.keyword("backoff", node.count.span.end, node.backoff, 2),
                       node_piece(node.backoff, depth=2)]
        return pieces
    if isinstance(node, ast.CwdOption):
        return [first, node_piece(node.path, node.path, 2)]
    if isinstance(node, (ast.EnvOption, ast.ParamOption)):
        return [first, node_piece(node.name, depth=2, after=" ="),
                node_piece(node.value, node.value, 2)]
    if isinstance(node, ast.NeedsOption):
        return [first, *listed(node.names, 2)]
    if isinstance(node, ast.WhenOption):
        return [first, *condition(node.condition, source, 2)]
    if isinstance(node, ast.MatrixOption):
        return [first, *_matrix(node, source)]
    if isinstance(node, ast.OnOption):
        return [first, node_piece(node.label, node.label, 2)]
    return [first]  # continue_on_failure, disabled


def _matrix(node: ast.MatrixOption, source: Source) -> list[Piece]:
    """``NAME = ["a", "b"]`` (``[]`` when empty) or ``NAME from tasks.T.outputs.O``."""
    if node.source is not None:
        return [node_piece(node.name, depth=2),
                source.keyword("from", node.name.span.end, node.source, 2),
                node_piece(node.source, node.source.text, 2)]
    opening = source.keyword("[", node.name.span.end, node, 2)
    end = node.span
    close = Piece("]", end.end - 1, end.end_line, end.end_line, 2, joined="")
    values = listed(node.values, 2, lambda s: s)
    if values:
        values[0] = replace(values[0], joined="")
    return [node_piece(node.name, depth=2, after=" ="), opening, *values, close]


def clause(node: ast.Clause, source: Source) -> list[Piece]:
    """The words of an orchestration clause (not a phase)."""
    first = keyword_piece(ast.CLAUSE_KEYWORDS[type(node)], node.span, 0)
    if isinstance(node, ast.Description):
        return [first, node_piece(node.text, node.text)]
    if isinstance(node, ast.Schedule):
        pieces = [first, node_piece(node.cron, node.cron)]
        for choice in node.options:
            value = choice.value
            pieces += [keyword_piece(choice.keyword, choice.span, 1, option=True),
                       node_piece(value, value if isinstance(value, ast.StringLit) else None, 2)]
        return pieces
    if isinstance(node, ast.Notify):
        return [first, *_notify(node, source)]
    if isinstance(node, ast.Concurrency):
        return [first, node_piece(node.value, str(node.value.value))]
    if isinstance(node, ast.JobTimeout):
        return [first, node_piece(node.duration)]
    if isinstance(node, ast.Param):
        return [first, node_piece(node.name, after=" ="),
                node_piece(node.default, node.default)]
    if isinstance(node, ast.Secret):
        return [first, node_piece(node.name)]
    return [first]  # fail_fast


def _notify(node: ast.Notify, source: Source) -> list[Piece]:
    pieces = listed(node.events)
    last = node.events[-1]
    if node.after is not None:
        pieces += [source.keyword("after", last.span.end, node.after), node_piece(node.after)]
        last = node.after
    pieces.append(source.keyword("to", last.span.end, node.targets[0]))
    return pieces + listed(node.targets, body=lambda s: s)
