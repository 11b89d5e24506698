"""The transformer: one method per grammar rule (``orch.lark``), each building one AST node.

Spans run from the first to the last child (keywords are named terminals, so they are among
the children). Problems the grammar lets through on purpose (a reserved word as a name, an
unknown event, an unknown escape) are reported here as E001 with their own positions.
The nodes of conditions and of the 1.1 task options are built by ``ConditionBuilder``.
"""

from __future__ import annotations

from lark import Transformer

from orchdsl.lang import ast
from orchdsl.lang.build_conditions import ConditionBuilder
from orchdsl.lang.diagnostics import suggest
from orchdsl.lang.keywords import CATCHUP_MODES, EVENTS, OVERLAP_MODES, RESERVED
from orchdsl.lang.lexical import StringLocator, _interpolation, decode_string, parse_duration
from orchdsl.lang.parse_state import current, report, report_control_characters, token_span
from orchdsl.lang.source import Span

MAX_DIGITS = 9  # a count or a duration part; Python refuses int() of very long numbers
_KINDS = {kind.value: kind for kind in ast.Kind}
_DURATIONS: dict[str, int | None] = {}  # parse_duration's answers: a file repeats "30m" often


def _plain(raw: str, locate: StringLocator):
    """``decode_string`` of a ``"..."`` string without a backslash (most strings), found
    faster: its text is as written but for its interpolations. None for one with an unclosed
    ``${``, which ``decode_string`` reports."""
    parts: list = []
    problems: list = []
    position, end = 1, len(raw) - 1
    while True:
        opening = raw.find("${", position, end)
        if opening < 0:
            break
        close = raw.find("}", opening + 2, end)
        if close < 0:
            return None
        if opening > position:
            parts.append(raw[position:opening])
        parts.append(_interpolation(raw[opening + 2:close], locate.span(opening, close + 1),
                                    problems))
        position = close + 1
    if position < end:
        parts.append(raw[position:end])
    return tuple(parts), problems


class AstBuilder(ConditionBuilder, Transformer):

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _span(first, last=None) -> Span:
        first_span = first.span if isinstance(first, ast.Node) else token_span(first)
        if last is None or last is first:
            return first_span
        last_span = last.span if isinstance(last, ast.Node) else token_span(last)
        return first_span.to(last_span)

    def _word(self, token) -> ast.Word:
        return ast.Word(span=self._span(token), text=str(token))

    def _name(self, token, what: str) -> ast.Word:
        """A declared name: a task, param or secret. Reserved words parse but are reported."""
        word = self._word(token)
        if word.text in RESERVED:
            report(f'"{word.text}" is a reserved word and cannot name a {what}', word.span,
                   f'rename the {what}, for example "{word.text}_{what}"')
        return word

    def _choice(self, token, allowed: tuple[str, ...], what: str) -> ast.Word:
        word = self._word(token)
        if word.text not in allowed:
            hint, fix = suggest(word.text, allowed, word.span)
            report(f'unknown {what} "{word.text}"', word.span,
                   hint or "expected one of: " + ", ".join(allowed), fix)
        return word

    # -- lexical ------------------------------------------------------------------------------

    def string(self, children) -> ast.StringLit:
        token = children[0]
        path = current().path
        raw = str(token)
        locate = StringLocator(path, raw, token.line, token.column, token.start_pos)
        decoded = _plain(raw, locate) if token.type == "STRING" and "\\" not in raw else None
        parts, problems = decoded or decode_string(raw, locate)
        report_control_characters(raw, token)
        for message, span, help in problems:
            report(message, span, help)
        return ast.StringLit(span=token_span(token, path), raw=raw, parts=parts)

    def _as_duration(self, token) -> ast.Duration:
        text = str(token)
        milliseconds = _DURATIONS.get(text, -1)
        if milliseconds == -1:
            try:
                milliseconds = parse_duration(text)
            except ValueError:
                milliseconds = None  # rule E106 says why
            if len(_DURATIONS) < 1024:
                _DURATIONS[text] = milliseconds
        return ast.Duration(span=self._span(token), text=text, milliseconds=milliseconds)

    def _integer(self, token) -> ast.Integer:
        span = self._span(token)
        if len(str(token).lstrip("0")) > MAX_DIGITS:  # leading zeros do not count
            report(f"number {str(token)[:12]}... is too large (at most {MAX_DIGITS} digits)", span)
            return ast.Integer(span=span, value=10 ** MAX_DIGITS - 1)
        return ast.Integer(span=span, value=int(token))

    # -- orchestration ------------------------------------------------------------------------

    def start(self, children):
        return children[0]

    def orchestration(self, children) -> ast.Orchestration:
        keyword, name, _lbrace, *clauses, rbrace = children
        return ast.Orchestration(span=self._span(keyword, rbrace), name=name,
                                 clauses=tuple(clauses))

    def description(self, children) -> ast.Description:
        return ast.Description(span=self._span(children[0], children[1]), text=children[1])

    def schedule(self, children) -> ast.Schedule:
        keyword, cron, *options = children
        return ast.Schedule(span=self._span(keyword, children[-1]), cron=cron,
                            options=tuple(options))

    def sched_timezone(self, children) -> ast.ScheduleOption:
        return ast.ScheduleOption(span=self._span(*children), keyword="timezone",
                                  value=children[1])

    def sched_overlap(self, children) -> ast.ScheduleOption:
        return ast.ScheduleOption(span=self._span(*children), keyword="overlap",
                                  value=self._choice(children[1], OVERLAP_MODES, "overlap mode"))

    def sched_catchup(self, children) -> ast.ScheduleOption:
        return ast.ScheduleOption(span=self._span(*children), keyword="catchup",
                                  value=self._choice(children[1], CATCHUP_MODES, "catchup mode"))

    def notify(self, children) -> ast.Notify:
        to_index = next(i for i, c in enumerate(children)
                        if getattr(c, "type", None) == "TO")
        events = tuple(self._choice(t, EVENTS, "event") for t in children[1:to_index - 1])
        return ast.Notify(span=self._span(children[0], children[-1]), events=events,
                          after=children[to_index - 1], targets=tuple(children[to_index + 1:]))

    def notify_after(self, children) -> ast.Duration:
        return self._as_duration(children[1])

    def concurrency(self, children) -> ast.Concurrency:
        return ast.Concurrency(span=self._span(*children), value=self._integer(children[1]))

    def job_timeout(self, children) -> ast.JobTimeout:
        return ast.JobTimeout(span=self._span(*children),
                              duration=self._as_duration(children[1]))

    def fail_fast(self, children) -> ast.FailFast:
        return ast.FailFast(span=self._span(children[0]))

    def param(self, children) -> ast.Param:
        keyword, name, default = children
        return ast.Param(span=self._span(keyword, default), name=self._name(name, "param"),
                         default=default)

    def secret(self, children) -> ast.Secret:
        return ast.Secret(span=self._span(*children), name=self._name(children[1], "secret"))

    def phase(self, children) -> ast.Phase:
        keyword, name, when, _lbrace, *tasks, rbrace = children
        return ast.Phase(span=self._span(keyword, rbrace), name=name, when=when,
                         tasks=tuple(tasks))

    # -- tasks --------------------------------------------------------------------------------

    def task(self, children) -> ast.Task:
        keyword, name, kind, action, *options = children
        return ast.Task(span=self._span(keyword, children[-1]), name=self._name(name, "task"),
                        kind=kind[0] if kind else None, kind_span=kind[1] if kind else None,
                        action=action, options=tuple(options))

    def kind(self, children):
        return _KINDS[str(children[0])], self._span(children[0])

    def run_shell(self, children) -> ast.RunShell:
        return ast.RunShell(span=self._span(*children), command=children[1])

    def run_argv(self, children) -> ast.RunArgv:
        argv = tuple(c for c in children[2:-1] if isinstance(c, ast.StringLit))
        return ast.RunArgv(span=self._span(children[0], children[-1]), argv=argv)

    def call(self, children) -> ast.Call:
        return ast.Call(span=self._span(*children), target=children[1])

    def nested(self, children) -> ast.Nested:
        return ast.Nested(span=self._span(*children), path=children[1])

    def opt_timeout(self, children) -> ast.TimeoutOption:
        return ast.TimeoutOption(span=self._span(*children),
                                 duration=self._as_duration(children[1]))

    def opt_retries(self, children) -> ast.RetriesOption:
        keyword, count, backoff = children
        return ast.RetriesOption(span=self._span(keyword, backoff or count),
                                 count=self._integer(count), backoff=backoff)

    def opt_backoff(self, children) -> ast.Duration:
        return self._as_duration(children[1])

    def opt_continue(self, children) -> ast.ContinueOnFailureOption:
        return ast.ContinueOnFailureOption(span=self._span(children[0]))

    def opt_disabled(self, children) -> ast.DisabledOption:
        return ast.DisabledOption(span=self._span(children[0]))

    def opt_cwd(self, children) -> ast.CwdOption:
        return ast.CwdOption(span=self._span(*children), path=children[1])

    def opt_env(self, children) -> ast.EnvOption:
        keyword, name, value = children
        return ast.EnvOption(span=self._span(keyword, value), name=self._word(name), value=value)

    def opt_needs(self, children) -> ast.NeedsOption:
        names = tuple(self._word(t) for t in children[1:])
        return ast.NeedsOption(span=self._span(children[0], children[-1]), names=names)

    def opt_on(self, children) -> ast.OnOption:
        return ast.OnOption(span=self._span(*children), label=children[1])

    def opt_param(self, children) -> ast.ParamOption:
        keyword, name, value = children
        return ast.ParamOption(span=self._span(keyword, value), name=self._name(name, "param"),
                               value=value)
