"""Parse .orch text into the typed AST (``orchdsl.lang.ast``), with syntax diagnostics as values.

The LALR parser is built once per process and applies the transformer while it parses, so no
``lark.Tree`` is ever built or seen outside this module.
"""

from __future__ import annotations

import contextvars
import re
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from lark import Lark, Transformer
from lark.exceptions import UnexpectedInput

from orchdsl.lang import ast
from orchdsl._gc import gc_paused
from orchdsl.lang.comments import attach_comments
from orchdsl.lang.diagnostics import Diagnostic, did_you_mean, error
from orchdsl.lang.lexical import StringLocator, decode_string, parse_duration
from orchdsl.lang.source import Span
from orchdsl.lang.syntax_errors import translate

RESERVED = frozenset("""orchestration description schedule notify concurrency timeout fail_fast
    param secret phase task run call extractor transformation writer application retries
    backoff continue_on_failure disabled cwd env needs""".split())
EVENTS = ("error", "warning", "success", "processing", "fixed")
OVERLAP_MODES = ("queue", "skip")
CATCHUP_MODES = ("none", "last")
MAX_DIGITS = 9  # a count or a duration part; Python refuses int() of very long numbers


@dataclass
class _ParseState:
    """What one parse collects besides the tree; lives in a context variable because lark's
    transformer and lexer callbacks are fixed when the (shared, cached) parser is built."""

    path: str
    comments: list[ast.Comment] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


_state: contextvars.ContextVar[_ParseState] = contextvars.ContextVar("orchdsl_parse_state")


@dataclass(frozen=True, slots=True)
class ParseResult:
    document: ast.Document
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def parse(text: str, path: str = "<string>") -> ParseResult:
    """Parse one file's text. Never raises on bad input: problems come back as diagnostics."""
    state = _ParseState(path)
    token = _state.set(state)
    try:
        with gc_paused():
            orchestration = _parser().parse(text)
    except UnexpectedInput as exc:
        diagnostic = translate(exc, text, path)
        return ParseResult(ast.Document(path, text, None, tuple(state.comments)), (diagnostic,))
    finally:
        _state.reset(token)
    orchestration, trailing = attach_comments(orchestration, state.comments)
    document = ast.Document(path, text, orchestration, tuple(state.comments), trailing)
    return ParseResult(document, tuple(state.diagnostics))


def _grammar_text() -> str:
    return resources.files("orchdsl.lang").joinpath("orch.lark").read_text("utf-8")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = _grammar_text()
    return Lark(grammar, parser="lalr", lexer="contextual", transformer=_ToAst(),
                maybe_placeholders=True, lexer_callbacks={"COMMENT": _keep_comment},
                cache=_cache_file())


def _cache_file() -> str | bool:
    """Where lark keeps the analysed grammar (3 ms to load instead of 50 ms to build).

    A per-user folder, never the shared temporary folder: the cache is a pickle, and loading a
    pickle someone else wrote runs their code. Lark checks a hash of the grammar and options
    before it uses the file, and rebuilds (quietly) when the file is missing or broken.
    """
    import lark

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "orchdsl")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return False
    if not os.access(folder, os.W_OK):
        return False
    return os.path.join(folder, f"grammar-lark{lark.__version__}.cache")


def _keep_comment(token) -> None:
    state = _state.get()
    comment = ast.Comment(str(token), _token_span(token, state.path))
    state.comments.append(comment)
    _report_control_characters(str(token), token)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # tab, LF, FF and CR are fine (CRLF files)


def _report_control_characters(text: str, token) -> None:
    """A control character (an escape sequence, a bell) would reach terminals as it is."""
    match = _CONTROL.search(text)
    if match:
        locate = StringLocator(_state.get().path, text, token.line, token.column, token.start_pos)
        _report(f"control character U+{ord(match.group()):04X} in the file",
                locate.span(match.start(), match.start() + 1),
                "write \\t or \\n in a string instead, or remove it")


def _token_span(token, path: str) -> Span:
    return Span(path, token.line, token.column, token.end_line, token.end_column,
                token.start_pos, token.end_pos)


def _report(message: str, span: Span, help: str | None = None) -> None:
    _state.get().diagnostics.append(error("E001", message, span, help))


class _ToAst(Transformer):
    """One method per grammar rule, each building one AST node. Spans run from the first to
    the last child (keywords are named terminals, so they are among the children)."""

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _span(first, last=None) -> Span:
        path = _state.get().path
        first_span = first.span if isinstance(first, ast.Node) else _token_span(first, path)
        if last is None or last is first:
            return first_span
        last_span = last.span if isinstance(last, ast.Node) else _token_span(last, path)
        return first_span.to(last_span)

    def _word(self, token) -> ast.Word:
        return ast.Word(span=self._span(token), text=str(token))

    def _name(self, token, what: str) -> ast.Word:
        """A declared name: a task, param or secret. Reserved words parse but are reported."""
        word = self._word(token)
        if word.text in RESERVED:
            _report(f'"{word.text}" is a reserved word and cannot name a {what}', word.span,
                    f'rename the {what}, for example "{word.text}_{what}"')
        return word

    def _choice(self, token, allowed: tuple[str, ...], what: str) -> ast.Word:
        word = self._word(token)
        if word.text not in allowed:
            hint = did_you_mean(word.text, allowed) or "expected one of: " + ", ".join(allowed)
            _report(f'unknown {what} "{word.text}"', word.span, hint)
        return word

    # -- lexical ------------------------------------------------------------------------------

    def string(self, children) -> ast.StringLit:
        token = children[0]
        path = _state.get().path
        raw = str(token)
        locate = StringLocator(path, raw, token.line, token.column, token.start_pos)
        parts, problems = decode_string(raw, locate)
        _report_control_characters(raw, token)
        for message, span, help in problems:
            _report(message, span, help)
        return ast.StringLit(span=_token_span(token, path), raw=raw, parts=parts)

    def _duration(self, token) -> ast.Duration:
        try:
            milliseconds = parse_duration(str(token))
        except ValueError:
            milliseconds = None
        return ast.Duration(span=self._span(token), text=str(token), milliseconds=milliseconds)

    def _integer(self, token) -> ast.Integer:
        span = self._span(token)
        if len(str(token).lstrip("0")) > MAX_DIGITS:  # leading zeros do not count
            _report(f"number {str(token)[:12]}... is too large (at most {MAX_DIGITS} digits)", span)
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
        return self._duration(children[1])

    def concurrency(self, children) -> ast.Concurrency:
        return ast.Concurrency(span=self._span(*children), value=self._integer(children[1]))

    def job_timeout(self, children) -> ast.JobTimeout:
        return ast.JobTimeout(span=self._span(*children), duration=self._duration(children[1]))

    def fail_fast(self, children) -> ast.FailFast:
        return ast.FailFast(span=self._span(children[0]))

    def param(self, children) -> ast.Param:
        keyword, name, default = children
        return ast.Param(span=self._span(keyword, default), name=self._name(name, "param"),
                         default=default)

    def secret(self, children) -> ast.Secret:
        return ast.Secret(span=self._span(*children), name=self._name(children[1], "secret"))

    def phase(self, children) -> ast.Phase:
        keyword, name, _lbrace, *tasks, rbrace = children
        return ast.Phase(span=self._span(keyword, rbrace), name=name, tasks=tuple(tasks))

    # -- tasks --------------------------------------------------------------------------------

    def task(self, children) -> ast.Task:
        keyword, name, kind, action, *options = children
        return ast.Task(span=self._span(keyword, children[-1]), name=self._name(name, "task"),
                        kind=kind[0] if kind else None, kind_span=kind[1] if kind else None,
                        action=action, options=tuple(options))

    def kind(self, children):
        return ast.Kind(str(children[0])), self._span(children[0])

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
                                 duration=self._duration(children[1]))

    def opt_retries(self, children) -> ast.RetriesOption:
        keyword, count, backoff = children
        return ast.RetriesOption(span=self._span(keyword, backoff or count),
                                 count=self._integer(count), backoff=backoff)

    def opt_backoff(self, children) -> ast.Duration:
        return self._duration(children[1])

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
