"""The transformer's methods for language 1.1: ``when`` conditions and their references, and
the ``matrix`` options. A mixin of ``orchdsl.lang.build.AstBuilder``, whose helpers (``_span``,
``_word``, ``_name``, ``_integer``) it uses.

A reference is one token (``tasks.load.eu.outputs.x``); its shape is checked here, so that a
wrong one gets a message of its own (``unknown reference root "param": did you mean
"params"?``) instead of "unexpected character".
"""

from __future__ import annotations

from dataclasses import replace

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Fix, closest, did_you_mean
from orchdsl.lang.nodes import ENV_RE, JOB_VALUES, PLAIN_RE
from orchdsl.lang.parse_state import report, source_text

READS = ("a condition reads params.<name>, env.<variable>, tasks.<task>.outputs.<name>, "
         "tasks.<task>.state, job.id, job.fire_time or job.fire_date")


class ConditionBuilder:

    # -- when ---------------------------------------------------------------------------------

    def _when(self, children, cls):
        keyword, condition = children
        if ast.depth(condition) > ast.MAX_DEPTH:
            report(f"this condition is nested too deeply (at most {ast.MAX_DEPTH} levels)",
                   condition.span, "split it, or give the parts to tasks of their own")
            condition = ast.BoolLit(span=condition.span, value=True)
        _no_interpolation(condition)
        return cls(span=self._span(keyword, condition), condition=condition,
                   text=source_text(condition.span))

    def phase_when(self, children) -> ast.When:
        return self._when(children, ast.When)

    def opt_when(self, children) -> ast.WhenOption:
        return self._when(children, ast.WhenOption)

    # -- operators ----------------------------------------------------------------------------

    def or_expr(self, children) -> ast.BoolOp:
        return self._bool_op("or", children)

    def and_expr(self, children) -> ast.BoolOp:
        return self._bool_op("and", children)

    def _bool_op(self, op: str, children) -> ast.BoolOp:
        operands = tuple(c for c in children if isinstance(c, ast.Node))
        return ast.BoolOp(span=self._span(children[0], children[-1]), op=op, operands=operands)

    def negation(self, children) -> ast.Not:
        return ast.Not(span=self._span(children[0], children[1]), operand=children[1])

    def compare(self, children) -> ast.Comparison:
        left, op, right = children
        return ast.Comparison(span=self._span(left, right), op=str(op), left=left, right=right)

    def group(self, children):
        """``( condition )``: no node of its own; the condition's span takes the parentheses."""
        lpar, condition, rpar = children
        return replace(condition, span=self._span(lpar, rpar))

    # -- operands -----------------------------------------------------------------------------

    def integer_lit(self, children) -> ast.Integer:
        return self._integer(children[0])

    def bool_lit(self, children) -> ast.BoolLit:
        return ast.BoolLit(span=self._span(children[0]), value=str(children[0]) == "true")

    def reference(self, children) -> ast.Reference:
        token = children[0]
        span = self._span(token)
        parts, problem = reference_parts(str(token))
        if problem is not None:
            report(problem[0], span, problem[1], _root_fix(str(token), span))
        return ast.Reference(span=span, parts=parts, well_formed=problem is None)

    def status_call(self, children) -> ast.StatusCall:
        name, *args, rpar = [c for c in children if c is not None]
        args = [self._status_arg(a) for a in args if getattr(a, "type", None) != "LPAR"]
        span = self._span(name, rpar)
        if str(name) == "always" and args:
            report("always() takes no arguments", span,
                   "write always(); succeeded(...) and failed(...) take tasks and phases")
        return ast.StatusCall(span=span, name=str(name), args=tuple(args))

    def _status_arg(self, arg):
        if isinstance(arg, ast.StringLit):
            return arg  # a phase, by name
        return self._word(arg)  # a task, or a matrix instance of one (load.eu)

    # -- matrix -------------------------------------------------------------------------------

    def matrix_list(self, children) -> ast.MatrixOption:
        keyword, name, _lsqb, *values, rsqb = [c for c in children if c is not None]
        return ast.MatrixOption(span=self._span(keyword, rsqb), name=self._name(name, "matrix"),
                                values=tuple(values))

    def matrix_from(self, children) -> ast.MatrixOption:
        keyword, name, _from, token = children
        source = self.reference([token])
        if source.well_formed and source.output is None:
            report(f'a matrix takes its values from an output, not from "{source.text}"',
                   source.span, "write matrix <name> from tasks.<task>.outputs.<output>, or list "
                                'the values: matrix <name> = ["a", "b"]')
            source = replace(source, well_formed=False)
        return ast.MatrixOption(span=self._span(keyword, source), source=source,
                                name=self._name(name, "matrix"))


def _root_fix(text: str, span) -> Fix | None:
    """``params.day`` for ``param.day``: the fix of a misspelt root (the hint names it)."""
    root = text.split(".")[0]
    meant = closest(root, ast.REFERENCE_ROOTS) if root not in ast.REFERENCE_ROOTS else None
    return Fix.replacing(span, meant + text[len(root):]) if meant is not None else None


def reference_parts(text: str) -> tuple[tuple[str, ...], tuple[str, str] | None]:
    """The parts of a dotted reference, and (message, help) when its shape is wrong."""
    segments = text.split(".")
    root, rest = segments[0], segments[1:]
    if root == "tasks":
        return _task_reference(text, segments)
    if root not in ast.REFERENCE_ROOTS:
        hint = did_you_mean(root, ast.REFERENCE_ROOTS)
        return tuple(segments), (f'unknown reference "{text}"',
                                 f"{hint} ({READS})" if hint else READS)
    if len(rest) == 1 and root == "params" and PLAIN_RE.match(rest[0]):
        return (root, rest[0]), None
    if len(rest) == 1 and root == "env" and ENV_RE.match(text):
        return (root, rest[0]), None
    if len(rest) == 1 and root == "job" and rest[0] in JOB_VALUES:
        return (root, rest[0]), None
    if root == "job":
        return tuple(segments), (f'unknown job value "{text}"',
                                 "the job values are job.id, job.fire_time and job.fire_date")
    example = "params.day" if root == "params" else "env.HOME"
    return tuple(segments), (f'"{text}" is not a reference: write {root}.<name>, like {example}',
                             READS)


def _task_reference(text: str, segments: list[str]):
    if len(segments) >= 4 and segments[-2] == "outputs" and PLAIN_RE.match(segments[-1]):
        task = ".".join(segments[1:-2])
        if PLAIN_RE.match(segments[1]):
            return ("tasks", task, "outputs", segments[-1]), None
    elif len(segments) >= 3 and segments[-1] == "state" and PLAIN_RE.match(segments[1]):
        return ("tasks", ".".join(segments[1:-1]), "state"), None
    return tuple(segments), (f'"{text}" is not a reference to a task',
                             "a task is read as tasks.<task>.outputs.<name> or tasks.<task>.state")


def _no_interpolation(condition) -> None:
    """A condition compares values as they are: ``${...}`` in its strings is not replaced."""
    for node in ast.walk(condition):
        strings = [node] if isinstance(node, ast.StringLit) else []
        if isinstance(node, ast.StatusCall):
            strings = [a for a in node.args if isinstance(a, ast.StringLit)]
        for string in strings:
            for interpolation in string.interpolations:
                report(f'"${{{interpolation.name}}}" is not replaced in a condition',
                       interpolation.span,
                       f"compare the value itself: {_as_reference(interpolation)}")


def _as_reference(interpolation: ast.Interpolation) -> str:
    if interpolation.plain_name is not None:
        return f"params.{interpolation.name} (a param) or env.{interpolation.name}"
    return interpolation.name if interpolation.well_formed else READS
