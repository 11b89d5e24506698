"""Recovery from syntax errors, so that one parse reports every error of a file, each at its own
place, as rustc and ruff do, and none that the first one caused.

Lark's LALR parser calls ``Recovery`` (its ``on_error``) at each error; it returns whether to
go on. After an error the parser is *recovering*: further errors are the first one's echo and
are not reported until the parser has taken some text without complaint again, or a line
starts with something no open block can take (``tsk b`` after ``tsk a``). To resume:

- a keyword or brace that starts a line, and any ``{``, ``}``, ``task`` or ``phase``, is where
  a clause, task, option or block begins or ends: the parser's stack is unwound (fewest states
  first) to a state that can take it, and it is fed there (panic mode, as yacc's ``error``
  token does). A name is never fed so: it would become the name of a half-written task;
- any other token is dropped (an unexpected ``[`` or ``(`` with what it holds, a misspelt call
  with its arguments), and so is an unexpected character (a ``//`` comment, a string never
  closed, a single-quoted string: as a whole); where a name was expected, the keyword that
  asked for it is dropped too, so that the next keyword is read as one;
- at the end of the file, or after ``MAX_ERRORS`` reports, the parse stops.
"""

from __future__ import annotations

import re

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_analysis import Shift

from orchdsl.lang.diagnostics import Diagnostic
from orchdsl.lang.syntax_errors import translate
from orchdsl.lang.terminals import NOT_KEYWORDS

MAX_ERRORS = 10  # beyond this a file is more likely not .orch at all: the first ten say so
SYNC = frozenset({"LBRACE", "RBRACE", "TASK", "PHASE"})
_BLANK = re.compile(r"(?:\s|#[^\n]*)*\Z")


class Recovery:
    def __init__(self, text: str, path: str):
        self.text, self.path = text, path
        self.diagnostics: list[Diagnostic] = []
        self._resumed_at: int | None = None  # where the text after the last error starts
        self._reported_line = 0
        self._dropped_braces = 0  # "{" dropped: the "}" that closes each is not an error again

    def __call__(self, exc: UnexpectedInput) -> bool:
        start = _start(exc, self.text)
        fresh = self._resumed_at is None or not _BLANK.match(self.text, self._resumed_at, start)
        if not isinstance(exc, UnexpectedToken) or exc.token.type == "$END":
            if fresh and not self._report(exc):
                return False
            return isinstance(exc, UnexpectedCharacters) and self._skip_characters(exc)
        token = exc.token
        self._resumed_at = token.end_pos
        if token.type == "RBRACE" and self._dropped_braces:
            self._dropped_braces -= 1  # it closes a "{" that was dropped: drop it too
            return True
        line_start = self._at_line_start(token)
        resyncs = (line_start or token.type in SYNC) and _starts_a_construct(token)
        depth = _unwind_depth(exc) if resyncs else None
        if line_start and depth is None and token.line > self._reported_line:
            fresh = True  # a line that no open block can take: an error of its own
        if fresh and not self._report(exc):
            return False
        if depth is not None:
            _unwind_and_feed(exc, depth)
            return True
        if token.type in _BRACKETS:
            self._skip_bracketed(exc, token.start_pos)
        elif token.type == "NAME" and self.text.startswith("(", token.end_pos):
            self._skip_bracketed(exc, token.end_pos)  # a misspelt call: succeded(crm)
        self._dropped_braces += token.type == "LBRACE"
        _leave_name_state(exc.interactive_parser.parser_state)
        return True  # the token is dropped

    def _report(self, exc: UnexpectedInput) -> bool:
        """Record the error; False when the file has had enough (``MAX_ERRORS``)."""
        if len(self.diagnostics) >= MAX_ERRORS:
            return False
        diagnostic = translate(exc, self.text, self.path)
        self.diagnostics.append(diagnostic)
        self._reported_line = max(self._reported_line, _line_of(exc))
        return True

    def _at_line_start(self, token: Token) -> bool:
        line_start = self.text.rfind("\n", 0, token.start_pos) + 1
        return not self.text[line_start:token.start_pos].strip()

    def _skip_bracketed(self, exc: UnexpectedToken, opening: int) -> None:
        """Drop an unexpected ``[`` or ``(`` (at ``opening``) with what it holds, up to its
        closing bracket on the same line (``needs [a, b]``), so that its names do not read as
        more errors."""
        line_end = self.text.find("\n", opening)
        line_end = len(self.text) if line_end < 0 else line_end
        close = _closing_bracket(self.text, opening, line_end)
        if close is not None:
            exc.interactive_parser.lexer_thread.state.line_ctr.feed(
                self.text[exc.token.end_pos:close + 1])
            self._resumed_at = close + 1

    def _skip_characters(self, exc: UnexpectedCharacters) -> bool:
        """Drop the character, or all of what it starts: a ``//`` comment, a quoted string
        that is never closed (to the end of its line, or of the file for ``\"\"\"``), a
        single-quoted string."""
        position = exc.pos_in_stream
        end = _junk_end(self.text, position)
        self._resumed_at = end
        if end >= len(self.text):
            return False
        lexer_state = exc.interactive_parser.lexer_thread.state
        lexer_state.line_ctr.feed(self.text[position:end])
        return True


_BRACKETS = {"LSQB": "[]", "LPAR": "()"}


def _closing_bracket(text: str, opening: int, end: int) -> int | None:
    pair = "[]" if text[opening] == "[" else "()"
    depth, position, quoted = 0, opening, False
    while position < end:
        char = text[position]
        if char == '"':
            quoted = not quoted
        elif not quoted and char == pair[0]:
            depth += 1
        elif not quoted and char == pair[1]:
            depth -= 1
            if depth == 0:
                return position
        position += 1
    return None


def _junk_end(text: str, position: int) -> int:
    line_end = text.find("\n", position)
    line_end = len(text) if line_end < 0 else line_end
    if text.startswith("//", position) or text.startswith('"', position):
        if text.startswith('"""', position) or text.rfind('"""', 0, position + 1) >= 0 and (
                text[text.rfind('"""', 0, position + 1):position + 1].strip('"') == ""):
            return len(text)
        return line_end
    if text[position] == "'":
        close = text.find("'", position + 1, line_end)
        return close + 1 if close >= 0 else line_end
    return position + 1


def _start(exc: UnexpectedInput, text: str) -> int:
    if isinstance(exc, UnexpectedToken):
        if exc.token.type == "$END":  # it borrows the position of the last token
            return len(text)
        return exc.token.start_pos or 0
    return getattr(exc, "pos_in_stream", 0) or 0


def _starts_a_construct(token: Token) -> bool:
    """A keyword or a brace: what a clause, task, option or block starts or ends with. Not a
    name, which the unwinding would take as the name of a half-written task or param."""
    return token.type in ("LBRACE", "RBRACE") or token.type not in NOT_KEYWORDS


def _unwind_depth(exc: UnexpectedToken) -> int | None:
    """The fewest states to pop after which the token can be taken; None when no state of the
    stack takes it."""
    state = exc.interactive_parser.parser_state
    table = state.parse_conf.parse_table.states
    for depth in range(1, len(state.state_stack) - 1):  # never back to before the file's start
        popped = state.value_stack[-depth]
        if exc.token.type == "LBRACE" and getattr(popped, "type", None) == "LBRACE":
            return None  # a "{" never reopens a block that is already open
        if _takes(table, state.state_stack[:-depth], exc.token.type):
            return depth
    return None


def _unwind_and_feed(exc: UnexpectedToken, depth: int) -> None:
    parser = exc.interactive_parser
    del parser.parser_state.state_stack[-depth:]
    del parser.parser_state.value_stack[-depth:]
    parser.feed_token(exc.token)


def _line_of(exc: UnexpectedInput) -> int:
    token = getattr(exc, "token", None)
    if token is not None and token.type != "$END":
        return token.line
    return getattr(exc, "line", 0) or 0


def _leave_name_state(state) -> None:
    """After a token is dropped where a name belongs (``needs "a"``), the contextual lexer would
    read the next keyword as a name (``task`` as a task called "task"): unwind to before the
    keyword that asked for the name."""
    table = state.parse_conf.parse_table.states
    if not _takes(table, state.state_stack, "NAME"):
        return
    for depth in range(1, len(state.state_stack)):
        value = state.value_stack[-depth]
        if (isinstance(value, Token) and value.type not in NOT_KEYWORDS
                and not _takes(table, state.state_stack[:-depth], "NAME")):
            del state.state_stack[-depth:]
            del state.value_stack[-depth:]
            return


def _takes(table, stack: list, terminal: str) -> bool:
    """Whether an LALR parser in ``stack`` shifts ``terminal`` (after its reductions), read
    from the parse table alone: no transformer callback runs."""
    stack = list(stack)
    while True:
        action = table[stack[-1]].get(terminal)
        if action is None:
            return False
        kind, argument = action
        if kind is Shift:
            return True
        size = len(argument.expansion)
        if size:
            del stack[-size:]
        if not stack:
            return False
        goto = table[stack[-1]].get(argument.origin.name)
        if goto is None:
            return False
        stack.append(goto[1])
