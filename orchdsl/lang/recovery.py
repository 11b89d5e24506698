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
  Such a keyword that no open block takes (``task`` among the clauses) is dropped with the
  rest of its line and the lines indented under it, which would read as clauses otherwise;
  and a block is left only for a ``phase``, a ``}``, or a word written no deeper than the
  block's keyword (``notify`` among a phase's tasks is misplaced, not a missing ``}``);
- any other token is dropped (an unexpected ``[`` or ``(`` with what it holds, a misspelt call
  with its arguments), and so is an unexpected character (a ``//`` comment, a string never
  closed, a single-quoted string: as a whole); where a name was expected, the keyword that
  asked for it is dropped too, so that the next keyword is read as one;
- a phase ended for a ``}`` that seemed missing may have had it after all: when that ``}``
  closed the orchestration early, the orchestration is opened again;
- when the orchestration's head is broken or it has ended, at the end of the file, or after
  ``MAX_ERRORS`` reports, the parse stops.
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
SYNC_BRACES = frozenset({"LBRACE", "RBRACE"})
_BLANK = re.compile(r"(?:\s|#[^\n]*)*\Z")


class Recovery:
    def __init__(self, text: str, path: str):
        self.text, self.path = text, path
        self.diagnostics: list[Diagnostic] = []
        self._resumed_at: int | None = None  # where the text after the last error starts
        self._reported_line = 0
        self._dropped_braces = 0  # "{" dropped: the "}" that closes each is not an error again
        self._closed_phases = 0  # phases ended for a "}" that seemed missing (see _reopen)

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
        if self._closed_phases and _reopen(exc):
            self._closed_phases -= 1
            fresh = False
        line_start = self._at_line_start(token)
        resyncs = (line_start or token.type in SYNC) and _starts_a_construct(token)
        depth = _unwind_depth(exc) if resyncs else None
        if line_start and not resyncs and token.line > self._reported_line:
            fresh = True  # a line starting with a word no block takes (tsk): an error of its own
        if fresh and not self._report(exc):
            return False
        if not _inside_the_orchestration(exc):
            return False  # its head is broken, or it has ended: the rest cannot be read
        if depth is not None:
            self._closed_phases += _unwind_and_feed(exc, depth)
            return True
        if resyncs and token.type not in SYNC_BRACES:
            self._skip_construct(exc)  # task among clauses: its options would read as clauses
        elif token.type in _BRACKETS:
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

    def _skip_construct(self, exc: UnexpectedToken) -> None:
        """Drop a keyword no open block takes with all it holds: the rest of its line and the
        lines after it that are indented deeper (a task's options, a notify's targets)."""
        token = exc.token
        end = self.text.find("\n", token.end_pos)
        while end >= 0:
            following = self.text.find("\n", end + 1)
            line = self.text[end + 1:following if following >= 0 else len(self.text)]
            words = line.lstrip(" \t")
            if words and not words.startswith("#") and (
                    len(line) - len(words) + 1 <= token.column or words.startswith("}")):
                break
            end = following
        end = len(self.text) if end < 0 else end
        exc.interactive_parser.lexer_thread.state.line_ctr.feed(self.text[token.end_pos:end])
        self._resumed_at = end

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
    token = exc.token
    for depth in range(1, len(state.state_stack) - 1):  # never back to before the file's start
        if getattr(state.value_stack[-depth], "type", None) == "LBRACE" and not _leaves_block(
                token, state.value_stack[:-depth]):
            return None
        if _takes(table, state.state_stack[:-depth], token.type):
            closes = _open_block_keyword(state.value_stack[:-depth])
            if token.type == "RBRACE" and closes is not None and token.line != closes.line and (
                    token.column > closes.column):
                return None  # indented deeper than its block: the "}" of a block already lost
            return depth
    return None


def _open_block_keyword(values: list) -> Token | None:
    """The ``phase`` or ``orchestration`` keyword of the innermost block still open."""
    closed = 0
    for index in range(len(values) - 1, -1, -1):
        kind = getattr(values[index], "type", None)
        closed += kind == "RBRACE"
        if kind == "LBRACE":
            if not closed:
                return next((v for v in reversed(values[:index])
                             if getattr(v, "type", None) in ("PHASE", "ORCHESTRATION")), None)
            closed -= 1
    return None


def _leaves_block(token: Token, before_brace: list) -> bool:
    """Whether ``token`` may end the block whose ``{`` the unwinding would pop: a ``phase``
    may (phases do not nest), another word only when written no deeper than the block's
    keyword (``notify`` among a phase's tasks is a misplaced word, not a missing ``}``), and
    a ``{`` never reopens a block."""
    if token.type == "LBRACE":
        return False
    if token.type == "PHASE":
        return True
    keyword = next((v for v in reversed(before_brace)
                    if getattr(v, "type", None) in ("PHASE", "ORCHESTRATION")), None)
    return keyword is not None and token.column <= keyword.column


def _inside_the_orchestration(exc: UnexpectedToken) -> bool:
    """The orchestration's ``{`` is open: its head was read, and its ``}`` was not."""
    stack = exc.interactive_parser.parser_state.value_stack
    kinds = [getattr(v, "type", None) for v in stack]
    return kinds.count("LBRACE") > kinds.count("RBRACE")


def _unwind_and_feed(exc: UnexpectedToken, depth: int) -> int:
    """Pop ``depth`` states, feed the token; how many open blocks that ended."""
    parser = exc.interactive_parser
    ended = sum(getattr(v, "type", None) == "LBRACE"
                for v in parser.parser_state.value_stack[-depth:])
    del parser.parser_state.state_stack[-depth:]
    del parser.parser_state.value_stack[-depth:]
    parser.feed_token(exc.token)
    return ended


def _reopen(exc: UnexpectedToken) -> bool:
    """After a phase was ended for a "}" that seemed missing, the "}" the phase had after all
    closed the orchestration early: open it again (pop that "}"), so that what follows is
    read as its clauses instead of as text after its end."""
    state = exc.interactive_parser.parser_state
    kinds = [getattr(v, "type", None) for v in state.value_stack]
    if len(kinds) < 4 or kinds[-1] != "RBRACE" or kinds.count("LBRACE") != kinds.count("RBRACE"):
        return False
    state.state_stack.pop()
    state.value_stack.pop()
    return True


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
