"""The canonical layout of a .orch file, printed from its AST (docs/language.md, "fmt").

- 4 spaces a level; the orchestration's clauses, then phases, each task on one line;
- within a phase the task names are padded so that the kinds (or, without one, the actions)
  start in one column;
- a task whose options do not fit in ``WIDTH`` columns keeps its action on the task line and
  puts each option on its own line, indented one more level;
- a blank line between clause groups (the description; schedules and notifications; the
  settings: concurrency, timeout, fail_fast, params, secrets) and around every phase;
- every comment where it was: before its node, at the end of its line, after a ``{`` or
  before a ``}``. Comment text is kept as written, trailing spaces removed.

Lines end in ``\\n``, or ``\\r\\n`` for a file whose first line does.
"""

from __future__ import annotations

from orchdsl import ast
from orchdsl.formatting.strings import spell

INDENT = "    "
WIDTH = 100  # columns a task line may take before its options move to their own lines
GAP = "  "  # between code and a comment at the end of its line

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
    _orchestration(out, orchestration)
    if document.trailing_comments:
        out.append("")
        _comment_lines(out, document.trailing_comments, "")
    return newline.join(out) + newline


# -- blocks ---------------------------------------------------------------------------------


def _orchestration(out: list[str], node: ast.Orchestration) -> None:
    header = f"orchestration {node.name.raw}"
    children: list[str] = []
    previous = None
    for clause in node.clauses:
        if previous is not None and _separated(previous, clause):
            children.append("")
        _comment_lines(children, clause.comments.leading, INDENT)
        if isinstance(clause, ast.Phase):
            _phase(children, clause, INDENT)
        else:
            children.extend(_with_trailing(_clause(clause, INDENT), clause.comments))
        previous = clause
    closing: list[str] = []
    if node.closing_comments and node.clauses:
        closing.append("")
    _comment_lines(closing, node.closing_comments, INDENT)
    _block(out, header, node, children + closing, "")


def _separated(previous, clause) -> bool:
    return (isinstance(previous, ast.Phase) or isinstance(clause, ast.Phase)
            or _GROUP[type(previous)] != _GROUP[type(clause)])


def _phase(out: list[str], phase: ast.Phase, indent: str) -> None:
    inner = indent + INDENT
    width = max((len(t.name.text) for t in phase.tasks), default=0)
    children: list[str] = []
    for task in phase.tasks:
        _comment_lines(children, task.comments.leading, inner)
        children.extend(task_lines(task, width, inner))
    _comment_lines(children, phase.closing_comments, inner)
    _block(out, f"{indent}phase {phase.name.raw}", phase, children, indent)


def _block(out: list[str], header: str, node, children: list[str], indent: str) -> None:
    """``header {``, the children, ``}``; ``{}`` when there is nothing inside."""
    opening = node.opening_comment
    if not children and opening is None:
        out.extend(_with_trailing(header + " {}", node.comments))
        return
    out.append(header + " {" + (GAP + _text(opening) if opening else ""))
    out.extend(children)
    out.extend(_with_trailing(indent + "}", node.comments))


# -- tasks ----------------------------------------------------------------------------------


def task_lines(task: ast.Task, name_width: int, indent: str) -> list[str]:
    """A task on one line, or its action on the task line and each option on its own."""
    head = f"{indent}task {task.name.text.ljust(name_width)}"
    if task.kind is not None:
        head += " " + task.kind.value
    flat = " ".join([head, _action(task.action, indent),
                     *(_option(o, indent) for o in task.options)])
    if not _has_inner_comments(task) and (not task.options or _fits(flat)
                                          or _is_ignore(task.comments.trailing)):
        return _with_trailing(flat, task.comments)
    return _broken(task, head, indent)


def _broken(task: ast.Task, head: str, indent: str) -> list[str]:
    more = indent + INDENT
    lines: list[str] = []
    action = task.action
    if action.comments.leading:
        lines.append(head.rstrip())
        _comment_lines(lines, action.comments.leading, more)
        lines.extend(_with_trailing(more + _action(action, more), action.comments))
    else:
        lines.extend(_with_trailing(f"{head} {_action(action, indent)}", action.comments))
    for option in task.options:
        _comment_lines(lines, option.comments.leading, more)
        lines.extend(_with_trailing(more + _option(option, more), option.comments))
    return _with_trailing(lines, task.comments)


def _has_inner_comments(task: ast.Task) -> bool:
    return any(part.comments.leading or part.comments.trailing
               for part in (task.action, *task.options))


def _fits(text: str) -> bool:
    return all(len(line) <= WIDTH for line in text.split("\n"))


def _is_ignore(comment: ast.Comment | None) -> bool:
    """An ``# orchdsl: ignore[...]`` silences the findings reported on its line, and findings
    about a task are reported at its name: such a comment keeps its task on one line."""
    from orchdsl.linter import ignores

    return comment is not None and bool(ignores((comment,)))


def _action(action: ast.Action, indent: str) -> str:
    if isinstance(action, ast.RunShell):
        return "run " + spell(action.command, indent)
    if isinstance(action, ast.RunArgv):
        return "run [" + ", ".join(spell(s, indent) for s in action.argv) + "]"
    if isinstance(action, ast.Call):
        return "call " + spell(action.target, indent)
    return "orchestration " + spell(action.path, indent)


def _option(option: ast.TaskOption, indent: str) -> str:
    keyword = ast.OPTION_KEYWORDS[type(option)]
    if isinstance(option, ast.TimeoutOption):
        return f"{keyword} {option.duration.text}"
    if isinstance(option, ast.RetriesOption):
        backoff = f" backoff {option.backoff.text}" if option.backoff else ""
        return f"{keyword} {option.count.value}{backoff}"
    if isinstance(option, ast.CwdOption):
        return f"{keyword} {spell(option.path, indent)}"
    if isinstance(option, ast.EnvOption):
        return f"{keyword} {option.name.text} = {spell(option.value, indent)}"
    if isinstance(option, ast.NeedsOption):
        return f"{keyword} " + ", ".join(w.text for w in option.names)
    return keyword  # continue_on_failure, disabled


# -- orchestration clauses ------------------------------------------------------------------


def _clause(clause: ast.Clause, indent: str) -> str:
    keyword = ast.CLAUSE_KEYWORDS[type(clause)]
    return indent + keyword + _clause_rest(clause, indent)


def _clause_rest(clause: ast.Clause, indent: str) -> str:
    if isinstance(clause, ast.Description):
        return " " + spell(clause.text, indent)
    if isinstance(clause, ast.Schedule):
        options = "".join(f" {o.keyword} {_value(o.value, indent)}" for o in clause.options)
        return f" {spell(clause.cron, indent)}{options}"
    if isinstance(clause, ast.Notify):
        after = f" after {clause.after.text}" if clause.after else ""
        targets = ", ".join(spell(t, indent) for t in clause.targets)
        return f" {', '.join(e.text for e in clause.events)}{after} to {targets}"
    if isinstance(clause, ast.Concurrency):
        return f" {clause.value.value}"
    if isinstance(clause, ast.JobTimeout):
        return f" {clause.duration.text}"
    if isinstance(clause, ast.Param):
        return f" {clause.name.text} = {spell(clause.default, indent)}"
    if isinstance(clause, ast.Secret):
        return f" {clause.name.text}"
    return ""  # fail_fast


def _value(value: ast.StringLit | ast.Word, indent: str) -> str:
    return spell(value, indent) if isinstance(value, ast.StringLit) else value.text


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
