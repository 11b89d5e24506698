"""Attach comments to the nodes they precede or follow, so a formatter can print them back.

The rules, applied within each block (the orchestration's clauses, a phase's tasks, a task's
action and options):
- a comment on the line where a node ends, after it, is that node's ``trailing`` comment,
  unless the next node has started before it on that line (``} phase # c`` is inside the
  second phase, after its keyword);
- a comment on the line of a block's ``{``, before its first child, is the block's
  ``opening_comment``;
- any other comment leads the next node of its block, or, when none follows, is one of the
  block's ``closing_comments`` (before its ``}``);
- a comment inside a node goes one level down. Clauses with no inner nodes (a ``notify`` split
  over lines) take such comments as leading ones.
"""

from __future__ import annotations

from dataclasses import replace

from orchdsl.lang import ast


def attach_comments(orchestration: ast.Orchestration,
                    comments: list[ast.Comment]) -> tuple[ast.Orchestration, tuple[ast.Comment, ...]]:
    """Returns the orchestration with its comments, and the comments after its last line."""
    span = orchestration.span
    before = [c for c in comments if c.span.start < span.start]
    inside = [c for c in comments if span.start < c.span.start < span.end]
    after = [c for c in comments if c.span.start >= span.end]
    trailing = after.pop(0) if after and after[0].span.line == span.end_line else None
    if inside:
        orchestration = _attach_inner(orchestration, inside)
    if before or trailing:
        orchestration = replace(orchestration, comments=ast.Comments(tuple(before), trailing))
    return orchestration, tuple(after)


def _attach_inner(node, comments: list[ast.Comment]):
    if isinstance(node, ast.Orchestration):
        return _attach_block(node, comments, "clauses")
    if isinstance(node, ast.Phase):
        return _attach_block(node, comments, "tasks")
    if isinstance(node, ast.Task):
        parts, _ = _distribute([node.action, *node.options], comments)
        return replace(node, action=parts[0], options=tuple(parts[1:]))
    leading = node.comments.leading + tuple(comments)
    return replace(node, comments=ast.Comments(leading, node.comments.trailing))


def _attach_block(node, comments: list[ast.Comment], field: str):
    children = list(getattr(node, field))
    opening = None
    first = comments[0]
    if first.span.line == node.span.line and (not children or first.span.start < children[0].span.start):
        opening, comments = first, comments[1:]
    children, closing = _distribute(children, comments)
    return replace(node, **{field: tuple(children)}, opening_comment=opening,
                   closing_comments=tuple(closing))


def _distribute(children: list, comments: list[ast.Comment]):
    """Give each comment to the child it trails, leads or lies in; the rest close the block."""
    leading: dict[int, list] = {}
    inner: dict[int, list] = {}
    trailing: dict[int, ast.Comment] = {}
    closing: list[ast.Comment] = []
    index = 0
    for comment in comments:
        while index < len(children) and children[index].span.end <= comment.span.start:
            index += 1
        previous = children[index - 1].span if index else None
        started = index < len(children) and children[index].span.start < comment.span.start
        if (previous and previous.end_line == comment.span.line and index - 1 not in trailing
                and not started):
            trailing[index - 1] = comment
        elif index == len(children):
            closing.append(comment)
        elif started:
            inner.setdefault(index, []).append(comment)
        else:
            leading.setdefault(index, []).append(comment)
    for i in set(leading) | set(inner) | set(trailing):
        child = children[i]
        if i in inner:
            child = _attach_inner(child, inner[i])
        if i in leading or i in trailing:
            comments_of = ast.Comments(child.comments.leading + tuple(leading.get(i, ())),
                                       trailing.get(i))
            child = replace(child, comments=comments_of)
        children[i] = child
    return children, closing
