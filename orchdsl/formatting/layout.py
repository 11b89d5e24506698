"""The canonical layout of a .orch file, printed from its AST (docs/language.md, "fmt").

- 4 spaces a level; the orchestration's clauses, then phases, each task on one line;
- within a phase the task names are padded so that the kinds (or, without one, the actions)
  start in one column;
- a task whose options do not fit in ``WIDTH`` columns, or with comments between its words,
  keeps its action on the task line and puts each option on its own line, one level deeper;
- a blank line between clause groups (the description; schedules and notifications; the
  settings: concurrency, timeout, fail_fast, params, secrets) and around every phase;
- every comment where it was: before its node, at the end of its line, after a ``{`` or
  before a ``}``, between the words of a clause or task (``words.flow``). Comment text is
  kept as written, trailing spaces removed.

Lines end in ``\\n``, or ``\\r\\n`` for a file whose first line does.
"""

from __future__ import annotations

from dataclasses import replace

from orchdsl.lang import ast
from orchdsl.formatting import words

INDENT = words.INDENT
WIDTH = 100  # columns a task line may take before its options move to their own lines
GAP = words.GAP

# Clauses of one group follow each other without a blank line; phases are each a group.
_GROUP = {ast.Description: "description", ast.Schedule: "when", ast.Notify: "when",
          ast.Concurrency: "settings", ast.JobTimeout: "settings", ast.FailFast: "settings",
          ast.Param: "settings", ast.Secret: "settings"}


def layout(document: ast.Document, newline: str = "\n") -> str:
    """The canonical text of a parsed file (its orchestration must not be None). ``newline``
    ends every line the layout makes; a ``\"\"\"`` string keeps its own line ends."""
    orchestration = document.orchestration
    out: list[str] = []
    _comment_lines(out, orchestration.comments.leading, "")
    _orchestration(out, orchestration, words.Source(document.text))
    if document.trailing_comments:
        out.append("")
        _comment_lines(out, document.trailing_comments, "")
    return newline.join(out) + newline


# -- blocks ---------------------------------------------------------------------------------


def _orchestration(out: list[str], node: ast.Orchestration, source: words.Source) -> None:
    head, node = _head(node, "clauses", "", source)
    children: list[str] = []
    previous = None
    for clause in node.clauses:
        if previous is not None and _separated(previous, clause):
            children.append("")
        if isinstance(clause, ast.Phase):
            _comment_lines(children, clause.comments.leading, INDENT)
            _phase(children, clause, INDENT, source)
        else:
            children.extend(clause_lines(clause, INDENT, source))
        previous = clause
    closing: list[str] = []
    if node.closing_comments and node.clauses:
        closing.append("")
    _comment_lines(closing, node.closing_comments, INDENT)
    _block(out, head, node, children + closing, "")


def _separated(previous, clause) -> bool:
    return (isinstance(previous, ast.Phase) or isinstance(clause, ast.Phase)
            or _GROUP[type(previous)] != _GROUP[type(clause)])


def _phase(out: list[str], phase: ast.Phase, indent: str, source: words.Source) -> None:
    head, phase = _head(phase, "tasks", indent, source)
    inner = indent + INDENT
    width = max((len(t.name.text) for t in phase.tasks), default=0)
    children: list[str] = []
    for task in phase.tasks:
        _comment_lines(children, task.comments.leading, inner)
        children.extend(task_lines(task, width, inner, source))
    _comment_lines(children, phase.closing_comments, inner)
    _block(out, head, phase, children, indent)


def _head(node, field: str, indent: str, source: words.Source):
    """The lines of ``KEYWORD NAME {``, the last one open (ending in ``{``) or not, and the
    node without the comments they hold: those between the words, written after the ``{`` of
    their line; they belong to the block or to its first child."""
    pieces = words.block_head(node, source)
    brace = pieces[-1] if pieces else None
    opening = node.opening_comment
    children = getattr(node, field)
    first = children[0] if children else None
    candidates = [*filter(None, [opening]), *(first.comments.leading if first else ()),
                  *node.closing_comments]
    inside = [c for c in candidates if brace and node.span.start < c.span.start < brace.start]
    if not inside:
        line = f"{indent}{words.plain_head(node, source)} {{"
        return ([line + GAP + _text(opening)], False) if opening else ([line], True), node
    end = first.span.start if first else node.span.end
    after = [c for c in candidates
             if brace.start < c.span.start < end and c.span.line == brace.line]
    taken = [*inside, *after[:1]]
    lines = words.flow(pieces, taken, indent)
    if first is not None:
        kept = tuple(c for c in first.comments.leading if c not in taken)
        children = (replace(first, comments=ast.Comments(kept, first.comments.trailing)),
                    *children[1:])
    closing = tuple(c for c in node.closing_comments if c not in taken)
    node = replace(node, **{field: children}, opening_comment=None, closing_comments=closing)
    return (lines, not after), node


def _block(out: list[str], head: tuple[list[str], bool], node, children: list[str],
           indent: str) -> None:
    """The head lines (the last ends in ``{`` when ``open``), the children, ``}``; ``{}`` when
    there is nothing inside."""
    lines, open_ = head
    if not children and open_:
        out.extend(lines[:-1])
        out.extend(_with_trailing(lines[-1] + "}", node.comments))
        return
    out.extend(lines)
    out.extend(children)
    out.extend(_with_trailing(indent + "}", node.comments))


# -- tasks ----------------------------------------------------------------------------------


def task_lines(task: ast.Task, name_width: int, indent: str, source: words.Source) -> list[str]:
    """A task on one line; or, when it has comments inside or its options do not fit, its
    action on the task line and each option on its own (``words.flow``)."""
    pieces = [*words.task_head(task, name_width), *words.action(task.action, source)]
    for option in task.options:
        pieces.extend(words.option(option, source))
    inner = _inner_comments(task)
    if inner:  # the task's own trailing comment too: an option may share its line
        return words.flow(pieces, [*inner, *filter(None, [task.comments.trailing])], indent)
    flat = words.one_line(pieces, indent)
    if not task.options or _fits(flat) or _is_ignore(task.comments.trailing):
        return _with_trailing(flat, task.comments)
    return _with_trailing(words.flow(pieces, (), indent, options_apart=True), task.comments)


def _inner_comments(task: ast.Task) -> list[ast.Comment]:
    """The comments between the words of a task (it has parts: none of them is its own)."""
    found: list[ast.Comment] = []
    for part in (task.action, *task.options):
        found.extend(part.comments.leading)
        if part.comments.trailing is not None:
            found.append(part.comments.trailing)
    return found


def _fits(text: str) -> bool:
    return all(len(line) <= WIDTH for line in text.split("\n"))


def _is_ignore(comment: ast.Comment | None) -> bool:
    """An ``# orchdsl: ignore[...]`` silences the findings reported on its line, and findings
    about a task are reported at its name: such a comment keeps its task on one line."""
    from orchdsl.check.linter import ignores

    return comment is not None and bool(ignores((comment,)))


# -- orchestration clauses ------------------------------------------------------------------


def clause_lines(clause: ast.Clause, indent: str, source: words.Source) -> list[str]:
    """A clause (not a phase) with its comments: those before it on lines of their own, those
    between its words where they were (``words.flow``), the one after it at the end."""
    pieces = words.clause(clause, source)
    start = clause.span.start
    before = [c for c in clause.comments.leading if c.span.start < start]
    inside = [c for c in clause.comments.leading if c.span.start > start]
    lines = [indent + _text(c) for c in before]
    if inside:
        return lines + words.flow(pieces, [*inside, *filter(None, [clause.comments.trailing])],
                                  indent)
    return lines + _with_trailing(words.one_line(pieces, indent), clause.comments)


# -- comments -------------------------------------------------------------------------------


def _text(comment: ast.Comment) -> str:
    return comment.text.rstrip()


def _comment_lines(out: list[str], comments, indent: str) -> None:
    out.extend(indent + _text(c) for c in comments)


def _with_trailing(lines: str | list[str], comments: ast.Comments) -> list[str]:
    """The lines of a node, its trailing comment at the end of the last one."""
    lines = [lines] if isinstance(lines, str) else list(lines)
    if comments.trailing is not None:
        lines[-1] += GAP + _text(comments.trailing)
    return lines
