"""A ``when`` condition as the formatter's pieces (``words.Piece``), so that comments written
between its words stay between the same words (docs/language.md, "fmt").

The canonical form: one space around ``and``, ``or``, ``not`` and the comparisons; a call as
``failed(crm, "Extract")``; parentheses where they were written (a parenthesized condition's
span covers its parentheses, ``orchdsl.lang.conditions``), and where the tree needs them.
"""

from __future__ import annotations

from dataclasses import replace

from orchdsl.lang import ast
from orchdsl.formatting.pieces import Piece, Source, listed, node_piece

# How tightly each node binds: an operand that binds less tightly than its place needs
# parentheses (a tree made by a rewrite may lack the ones a parse would have had).
_BINDING = {"or": 1, "and": 2}
_NOT, _COMPARISON, _OPERAND = 3, 4, 5


def condition(node: ast.Condition, source: Source, depth: int, outer: int = 0) -> list[Piece]:
    """The pieces of ``node``; ``outer`` is how tightly the place it stands in binds."""
    pieces = _bare(node, source, depth)
    if _written_in_parentheses(node, source) or _binding(node) <= outer:
        span = node.span
        close_at = span.end - 1 if source.text[span.end - 1:span.end] == ")" else span.end
        pieces = [Piece("(", span.start, span.line, span.line, depth),
                  replace(pieces[0], joined=""), *pieces[1:],
                  Piece(")", close_at, span.end_line, span.end_line, depth, joined="")]
    return pieces


def inline(node: ast.Condition, source: Source) -> str:
    """The condition on one line, as ``phase "P" when <this> {`` shows it."""
    return " ".join(_joined(condition(node, source, 0)))


def _joined(pieces: list[Piece]) -> list[str]:
    words: list[str] = []
    for piece in pieces:
        text = piece.text("")
        if words and piece.joined == "":
            words[-1] += text
        else:
            words.append(text)
    return words


def _bare(node, source: Source, depth: int) -> list[Piece]:
    if isinstance(node, ast.BoolOp):
        level = _BINDING[node.op]
        pieces = condition(node.operands[0], source, depth, level)
        for previous, operand in zip(node.operands, node.operands[1:]):
            pieces.append(source.symbol(node.op, previous.span.end, operand, depth))
            pieces.extend(condition(operand, source, depth, level))
        return pieces
    if isinstance(node, ast.Not):
        keyword = source.symbol("not", node.span.start, node, depth, skip="(")
        return [keyword, *condition(node.operand, source, depth, _NOT - 1)]
    if isinstance(node, ast.Comparison):
        left = condition(node.left, source, depth, _COMPARISON)
        op = source.symbol(node.op, node.left.span.end, node.right, depth)
        return [*left, op, *condition(node.right, source, depth, _COMPARISON)]
    return _operand(node, source, depth)


def _operand(node, source: Source, depth: int) -> list[Piece]:
    if isinstance(node, ast.StatusCall):
        return _call(node, source, depth)
    if isinstance(node, ast.StringLit):
        return [node_piece(node, node, depth)]
    if isinstance(node, ast.Integer):
        return [node_piece(node, str(node.value), depth)]
    if isinstance(node, ast.BoolLit):
        return [node_piece(node, "true" if node.value else "false", depth)]
    return [node_piece(node, node.text, depth)]  # a reference


def _call(node: ast.StatusCall, source: Source, depth: int) -> list[Piece]:
    name = source.symbol(node.name, node.span.start, node, depth, skip="(")
    if not node.args:
        return [replace(name, body=node.name + "()")]
    args = listed(node.args, depth, lambda a: a if isinstance(a, ast.StringLit) else a.text)
    close = replace(source.symbol(")", node.args[-1].span.end, node, depth), joined="")
    return [replace(name, body=node.name + "("), replace(args[0], joined=""), *args[1:], close]


def _written_in_parentheses(node, source: Source) -> bool:
    span = node.span
    text = source.text
    return text[span.start:span.start + 1] == "(" and text[span.end - 1:span.end] == ")"


def _binding(node) -> int:
    if isinstance(node, ast.BoolOp):
        return _BINDING[node.op]
    if isinstance(node, ast.Not):
        return _NOT
    if isinstance(node, ast.Comparison):
        return _COMPARISON
    return _OPERAND
