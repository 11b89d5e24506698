"""Parse .orch text into the typed AST (``orchdsl.lang.ast``), with syntax diagnostics as values.

The LALR parser is built once per process and applies the transformer (``orchdsl.lang.build``)
while it parses, so no ``lark.Tree`` is ever built or seen outside this package. A syntax error
does not end the parse: ``orchdsl.lang.recovery`` resumes after it, so every error of a file is
reported, each at its own place.

``read`` also returns what the parse read before comments were attached (a ``Reading``), and
``parse_fragment`` reads part of an edited text in the very parser states that a parse of the
whole text reaches there, so that the language server re-reads only the tasks or phases an
edit touched (docs/editors.md, "Performance").
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lark import Lark
from lark.exceptions import UnexpectedInput

from orchdsl.lang import ast
from orchdsl._gc import gc_paused
from orchdsl.lang.build import MAX_DIGITS, AstBuilder
from orchdsl.lang.comments import attach_comments
from orchdsl.lang.diagnostics import Diagnostic
from orchdsl.lang.keywords import CATCHUP_MODES, CONTEXTUAL, EVENTS, OVERLAP_MODES, RESERVED
from orchdsl.lang.parse_state import STATE, ParseState, keep_comment, note_empty_string
from orchdsl.lang.recovery import Recovery
from orchdsl.lang.source import Span

__all__ = ["ParseResult", "Reading", "Block", "Fragment", "parse", "read", "finish",
           "parse_fragment", "RESERVED", "CONTEXTUAL",
           "EVENTS", "OVERLAP_MODES", "CATCHUP_MODES", "MAX_DIGITS"]


@dataclass(frozen=True, slots=True)
class ParseResult:
    document: ast.Document
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a parse read, before comments were attached: the orchestration (None when the
    file has a grammar error), every comment, and the transformer's diagnostics in the order
    it reported them. ``reusable`` is false when a part of the text cannot be read again on its
    own (``orchdsl.lang.parse_state.note_empty_string``)."""

    orchestration: ast.Orchestration | None
    comments: tuple[ast.Comment, ...]
    diagnostics: tuple[Diagnostic, ...]
    reusable: bool = True


def parse(text: str, path: str = "<string>") -> ParseResult:
    """Parse one file's text. Never raises on bad input: problems come back as diagnostics.

    A file with a grammar error has no orchestration (``document.orchestration`` is None);
    its diagnostics are every error found, in file order.
    """
    return read(text, path)[0]


def read(text: str, path: str = "<string>") -> tuple[ParseResult, Reading]:
    """``parse``, and what it read (for ``parse_fragment``)."""
    state = ParseState(path, text)
    token = STATE.set(state)
    recovery = Recovery(text, path)
    orchestration = None
    try:
        with gc_paused():
            orchestration = _parser().parse(text, on_error=recovery)
    except UnexpectedInput:
        pass  # the recovery gave up (the end of the file): what it found is reported
    finally:
        STATE.reset(token)
    reading = Reading(None if recovery.diagnostics else orchestration, tuple(state.comments),
                      tuple(state.diagnostics), not state.long_string_risk)
    return finish(path, text, reading, tuple(recovery.diagnostics)), reading


def finish(path: str, text: str, reading: Reading,
           syntax_errors: tuple[Diagnostic, ...] = ()) -> ParseResult:
    """The result of a parse that read ``reading`` and found ``syntax_errors`` (recovery's)."""
    if syntax_errors:
        found = sorted([*syntax_errors, *reading.diagnostics], key=Diagnostic.sort_key)
        document = ast.Document(path, text, None, reading.comments)
        return ParseResult(document, tuple(found))
    orchestration, trailing = attach_comments(reading.orchestration, list(reading.comments))
    document = ast.Document(path, text, orchestration, reading.comments, trailing)
    return ParseResult(document, reading.diagnostics)


def _grammar_text() -> str:
    return resources.files("orchdsl.lang").joinpath("orch.lark").read_text("utf-8")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = _grammar_text()
    callbacks = {"COMMENT": keep_comment, "STRING": note_empty_string,
                 "RAW_STRING": note_empty_string}
    lark = Lark(grammar, parser="lalr", lexer="contextual", transformer=AstBuilder(),
                maybe_placeholders=True, lexer_callbacks=callbacks, cache=_cache_file())
    _key_callbacks_by_table_rules(lark.parser.parser.parser)
    return lark


def _key_callbacks_by_table_rules(parser) -> None:
    """Key the rules' callbacks by the very rule objects of the parse table. Loaded from the
    cache, the table has rules of its own, equal to the callbacks' keys but not the same
    objects, so each reduction's look-up ran lark's ``Rule.__eq__`` (and its symbols'): 20,000
    times in Python for a 2,000-task file. The callbacks are the same, found at once."""
    from lark.parsers.lalr_analysis import Reduce

    callbacks = dict(parser.callbacks)
    for actions in parser.parse_table.states.values():
        for action, argument in actions.values():
            if action is Reduce and argument in callbacks:
                callbacks[argument] = callbacks.pop(argument)
    parser.callbacks = callbacks


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


# -- fragments ----------------------------------------------------------------------------------

_KEYWORDS = {ast.Orchestration: "ORCHESTRATION", ast.Phase: "PHASE"}
# Terminals that stand for an item already read in a block (a clause, a task): the parse table
# alone is walked through them, to the state that follows items.
_ITEM_TERMINALS = {ast.Orchestration: ("FAIL_FAST",), ast.Phase: ("TASK", "NAME", "RUN", "STRING")}
_IGNORED = re.compile(r"(?:[ \t\f\r\n]+|#[^\n]*)*")  # what the grammar's %ignore skips
_KEYWORD = re.compile(r"[a-z_]+(?![A-Za-z0-9_-])")


@dataclass(frozen=True, slots=True)
class Block:
    """A block open where a fragment starts: the orchestration or one of its phases, as read
    (``Reading.orchestration``), and whether some of its items (clauses, tasks) come before."""

    node: ast.Orchestration | ast.Phase
    after_items: bool


@dataclass(frozen=True, slots=True)
class Fragment:
    """What a fragment holds: its items (clauses or tasks), and its comments, transformer
    diagnostics and syntax errors, as a parse of the whole text finds them there."""

    items: tuple
    comments: tuple[ast.Comment, ...]
    diagnostics: tuple[Diagnostic, ...]
    syntax_errors: tuple[Diagnostic, ...]


class _Unknowable(Exception):
    """The fragment's parse reached beyond it: only a parse of the whole text can tell."""


def parse_fragment(text: str, path: str, blocks: tuple[Block, ...], start: int,
                   follower: str, end: int) -> Fragment | None:
    """Read ``text[start:end]``, items of the innermost of ``blocks`` (tasks of a phase, or
    clauses), as a parse of all of ``text`` reads them, given that ``text[:start]`` reads as
    it did in the parse the blocks come from (with no error), and that the token ``follower``
    (a terminal: ``TASK``, ``RBRACE``, ``PHASE``...) at ``end``, and all after it, too.

    The parser is put in the states it has at ``start`` (the table walked through the blocks'
    heads; on its stack, the blocks' own keywords, names and braces) and reads up to the end of
    the follower, errors recovered as ``parse`` recovers them. Then the follower must have
    ended the items, leaving the parser in the state it has after items of that block, over
    the very values it started from: the rest of the text then reads as it did before.
    None when that is not so, or when the outcome depends on text outside the fragment: an
    error at the follower or after, a recovery that gave up or skipped past the follower, an
    empty string before a quote (``parse_state.note_empty_string``).
    """
    match = _KEYWORD.match(text, start)
    first = match.group().upper() if match else ""
    try:
        prefix = _prefix(text, blocks, first)
        after = _walk(_shape(blocks, innermost_after=True), first, follower)
    except (KeyError, StopIteration):  # it does not start with an item's keyword
        return None
    if prefix is None:
        return None
    states, values = prefix
    state, recovery = ParseState(path, text), Recovery(text, path)
    token = STATE.set(state)
    try:
        with gc_paused():
            stop = end + len(_follower_text(follower))
            parser_state = _run(text, start, end, stop, states, values, recovery)
    except Exception:  # beyond the fragment, or anything else: the whole text will tell
        return None
    finally:
        STATE.reset(token)
    kept = values[:len(values) - blocks[-1].after_items]
    items = _items_read(parser_state, kept, after, follower, end)
    if items is None or state.long_string_risk:
        return None
    return Fragment(items, tuple(state.comments), tuple(state.diagnostics),
                    tuple(recovery.diagnostics))


def _items_read(parser_state, kept: list, after: tuple[tuple, tuple], follower: str,
                end: int) -> tuple | None:
    """The items read, when the follower has ended them as after items of the innermost block
    (``after``: its states and symbols then), over the very values below them (``kept``)."""
    stack = parser_state.value_stack
    states, symbols = after
    if (tuple(parser_state.state_stack) != states or len(stack) != len(kept) + 2
            or any(a is not b for a, b in zip(stack, kept))
            or getattr(stack[-1], "type", None) != follower or stack[-1].start_pos != end
            or getattr(stack[-2], "data", None) != symbols[-2]):
        return None
    return tuple(stack[-2].children)


def _follower_text(follower: str) -> str:
    return "}" if follower == "RBRACE" else follower.lower()


def _run(text: str, start: int, end: int, stop: int, states: tuple, values: list,
         recovery: Recovery):
    """Lex and parse ``text[start:stop]`` from the given stacks, ``recovery`` called at each
    error as lark's own loop (``LALR_Parser.parse``) calls it; no end of input is fed."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken
    from lark.lexer import LexerState, LexerThread, LineCounter
    from lark.parsers.lalr_interactive_parser import InteractiveParser
    from lark.parsers.lalr_parser_state import ParseConf, ParserState
    from lark.utils import TextSlice

    frontend = _parser().parser
    inner = frontend.parser.parser
    counter = LineCounter("\n")
    line_start = text.rfind("\n", 0, start) + 1
    counter.char_pos, counter.line_start_pos = start, line_start
    counter.line, counter.column = text.count("\n", 0, start) + 1, start - line_start + 1
    lexer = LexerThread(frontend.lexer, LexerState(TextSlice(text, start, stop), counter))
    parser_state = ParserState(ParseConf(inner.parse_table, inner.callbacks, "start"), lexer,
                               list(states), list(values))
    while True:
        try:
            for token in lexer.lex(parser_state):
                parser_state.feed_token(token)
            return parser_state
        except (UnexpectedCharacters, UnexpectedToken) as exc:
            exc.interactive_parser = InteractiveParser(inner, parser_state, lexer)
            at = exc.token.start_pos if isinstance(exc, UnexpectedToken) else exc.pos_in_stream
            position = counter.char_pos
            if at is None or at >= end or not recovery(exc):
                raise _Unknowable from None
            if isinstance(exc, UnexpectedCharacters) and position == counter.char_pos:
                counter.feed(text[position:position + 1])
            if counter.char_pos > end:
                raise _Unknowable from None


def _shape(blocks: tuple[Block, ...], innermost_after: bool | None = None) -> tuple:
    shape = [(type(b.node), getattr(b.node, "when", None) is not None, b.after_items)
             for b in blocks]
    if innermost_after is not None:
        shape[-1] = (*shape[-1][:2], innermost_after)
    return tuple(shape)


def _prefix(text: str, blocks: tuple[Block, ...], first: str) -> tuple[tuple, list] | None:
    """The parser's stacks where the fragment starts: states, and values (each block's keyword,
    name, condition and brace; an empty list of items where items were read)."""
    from lark import Token, Tree

    heads: list = []
    for block in blocks:
        node = block.node
        keyword = _KEYWORDS[type(node)]
        span = node.span
        heads.append(Token(keyword, keyword.lower(), span.start, span.line, span.column,
                           span.line, span.column + len(keyword), span.start + len(keyword)))
        heads.append(node.name)
        if getattr(node, "when", None) is not None:
            heads.append(node.when)
        brace = _brace(text, heads[-1].span)
        if brace is None:
            return None
        heads.append(brace)
    states, symbols = _walk(_shape(blocks), first, None)
    pending = iter(heads)
    values = [Tree(s, []) if s.startswith("__") else next(pending) for s in symbols]
    if next(pending, None) is not None or len(values) != len(states) - 1:
        return None
    return states, values


def _brace(text: str, before: Span):
    """The ``{`` that opens a block, after its name or condition (``before``)."""
    from lark import Token

    position = _IGNORED.match(text, before.end).end()
    if not text.startswith("{", position):
        return None
    line = before.end_line + text.count("\n", before.end, position)
    column = position - text.rfind("\n", 0, position)
    return Token("LBRACE", "{", position, line, column, line, column + 1, position + 1)


@lru_cache(maxsize=64)
def _walk(shape: tuple, lookahead: str, follower: str | None) -> tuple[tuple, tuple]:
    """The parser's states (and the symbols they are for) after the heads of blocks of
    ``shape``, each followed by a stand-in item where items come before; reduced as for the
    next token, ``lookahead``; then with ``follower`` shifted, when given."""
    from lark.parsers.lalr_analysis import Shift

    table = _parser().parser.parser.parser.parse_table
    states, symbols = [table.start_states["start"]], []

    def feed(terminal: str, shift: bool = True) -> None:
        while True:
            action, argument = table.states[states[-1]][terminal]
            if action is Shift:
                if shift:
                    states.append(argument)
                    symbols.append(terminal)
                return
            size = len(argument.expansion)
            if size:
                del states[-size:], symbols[-size:]
            states.append(table.states[states[-1]][argument.origin.name][1])
            symbols.append(argument.origin.name)

    for kind, when, after in shape:
        head = (("ORCHESTRATION", "STRING", "LBRACE") if kind is ast.Orchestration else
                ("PHASE", "STRING", *(("WHEN", "TRUE") if when else ()), "LBRACE"))
        for terminal in (*head, *(_ITEM_TERMINALS[kind] if after else ())):
            feed(terminal)
    feed(lookahead, shift=False)
    if follower is not None:
        feed(follower)
    return tuple(states), tuple(symbols)
