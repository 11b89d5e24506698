"""Translate lark's parse errors into plain words: no token names reach a user.

``expected a task or "}" after phase "Extract", found "tsk"`` with ``did you mean "task"?``.
The hints (what to write instead) are in ``orchdsl.lang.syntax_hints``.
"""

from __future__ import annotations

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Diagnostic, Fix, Note, error
from orchdsl.lang.source import Span
from orchdsl.lang.syntax_hints import character_hint, chained_comparison, hint, unclosed_phase
from orchdsl.lang.terminals import NOT_KEYWORDS, STRINGS, describe_expected, is_end

def translate(exc: UnexpectedInput, text: str, path: str) -> Diagnostic:
    if isinstance(exc, UnexpectedToken):
        return _unexpected_token(exc, text, path)
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(exc, text, path)
    line, column = getattr(exc, "line", 1), getattr(exc, "column", 1)
    return error("E001", "syntax error", _point(path, text, line, column))


# -- unexpected characters ---------------------------------------------------------------------


def _unexpected_character(exc: UnexpectedCharacters, text: str, path: str) -> Diagnostic:
    span = _point(path, text, exc.line, exc.column)
    position = exc.pos_in_stream
    opening = text.rfind('"""', 0, position + 1)
    if text.startswith('"""', position) or (opening >= 0 and text[opening:position + 1].strip('"') == ""):
        # The lexer gives up on the quote after a failed triple quote: point at the opening one.
        start = position if text.startswith('"""', position) else opening
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        return error("E001", 'unclosed string: """ is never closed', _point(path, text, line, column),
                     'end the string with """')
    if exc.char == '"':
        return error("E001", "unclosed string: no closing quote on this line", span,
                     'end it with ", or use """...""" for a string that spans lines')
    char = exc.char if exc.char.isprintable() else f"U+{ord(exc.char):04X}"
    expected = _accepted_by_state(exc)
    if not expected or all(is_end(name) for name in expected):
        return error("E001", f'unexpected character "{char}" after the end of the orchestration',
                     span, _AFTER_END_HELP)
    help = character_hint(text, position, expected) or "expected " + describe_expected(expected)
    return error("E001", f'unexpected character "{char}"', span, help)


_AFTER_END_HELP = 'a file holds one orchestration; nothing may follow its closing "}"'


class _NoLexer:
    """What lark's InteractiveParser needs of a lexer to try terminals: their token type."""

    _Token = Token


def _accepted_by_state(exc: UnexpectedCharacters) -> set[str]:
    """The terminals the parser could take where the lexer failed. The parse table alone
    over-approximates (LALR merges look-aheads), so try each one as lark's
    ``InteractiveParser.accepts`` does."""
    from lark.parsers.lalr_interactive_parser import InteractiveParser

    state = getattr(exc, "state", None)
    if state is None or not hasattr(state, "parse_conf"):
        return set(exc.allowed or ())
    try:
        return set(InteractiveParser(None, state, _NoLexer()).accepts())
    except Exception:  # a state lark cannot replay: fall back to the lexer's own list
        return set(exc.allowed or ())


# -- unexpected tokens -------------------------------------------------------------------------


def _unexpected_token(exc: UnexpectedToken, text: str, path: str) -> Diagnostic:
    token = exc.token
    expected = _accepted(exc)
    stack = _value_stack(exc)
    context = _context(stack)
    where = f" {context}" if context else ""
    if token.type == "$END":
        span = _end_of_text(path, text)
        if not stack:
            return error("E001", "the file holds no orchestration", span,
                         'a file holds one orchestration: orchestration "Name" { ... }')
        return error("E001", f"unexpected end of file: expected {describe_expected(expected)}"
                     f"{where}", span, _unclosed_hint(stack), _opened_here(stack, path))
    span = _token_span(token, path)
    if expected and all(is_end(name) for name in expected):
        return error("E001", f"unexpected {_describe_found(token)} after the end of the "
                             "orchestration", span, _AFTER_END_HELP)
    unclosed = unclosed_phase(token, stack)
    if unclosed is not None:
        name, brace = unclosed
        return error("E001", f'phase "{name}" is not closed: this "{{" has no "}}"',
                     _token_span(brace, path),
                     f'add "}}" to end phase "{name}" before line {token.line}',
                     (Note(f'"{token}" found inside the phase', span),))
    chained = chained_comparison(token, stack, text)
    if chained is not None:
        return error("E001", chained[0], span, chained[1])
    message = f"expected {describe_expected(expected)}{where}, found {_describe_found(token)}"
    found = hint(token, expected, text, stack)
    if found is None:
        return error("E001", message, span)
    fix = Fix.replacing(span, found.replacement) if found.replacement is not None else None
    return error("E001", message, span, found.text, fix=fix)


def _token_span(token: Token, path: str) -> Span:
    return Span(path, token.line, token.column, token.end_line, token.end_column,
                token.start_pos, token.end_pos)


def _accepted(exc: UnexpectedToken) -> set[str]:
    try:
        return set(exc.accepts or exc.expected)
    except Exception:  # the interactive parser may not be able to replay a broken state
        return set(exc.expected)


def _value_stack(exc: UnexpectedToken) -> list:
    parser = getattr(exc, "interactive_parser", None)
    state = getattr(parser, "parser_state", None)
    return list(getattr(state, "value_stack", None) or [])


def _describe_found(token: Token) -> str:
    value = str(token)
    if token.type in STRINGS:
        shown = value if len(value) <= 40 else value[:37] + '..."'
        return f"the string {shown}"
    if token.type == "INT":
        return f"the number {value}"
    return f'"{value}"'


def _context(stack: list) -> str:
    """Where the parser was, in the user's words: ``after "timeout"`` when a keyword was the
    last thing read, else the enclosing task, phase or orchestration."""
    if stack and isinstance(stack[-1], Token) and stack[-1].type not in NOT_KEYWORDS:
        return f'after "{stack[-1]}"'
    for index in range(len(stack) - 1, -1, -1):
        item = stack[index]
        following = stack[index + 1] if index + 1 < len(stack) else None
        if isinstance(item, ast.Task):
            return f'after task "{item.name.text}"'
        if isinstance(item, ast.Phase):
            return f'after phase "{item.name.value}"'
        if not isinstance(item, Token):
            continue
        if item.type == "TASK" and isinstance(following, Token):
            return f'in task "{following}"'
        if item.type == "PHASE" and isinstance(following, ast.StringLit):
            return f'after phase "{following.value}"'
        if item.type == "ORCHESTRATION" and index == 0 and isinstance(following, ast.StringLit):
            return f'in orchestration "{following.value}"'
    return ""


def _unclosed_hint(stack: list) -> str | None:
    opened = sum(1 for v in stack if isinstance(v, Token) and v.type == "LBRACE")
    if opened:
        return 'a "{" is not closed: add "}"'
    return None


def _opened_here(stack: list, path: str) -> tuple[Note, ...]:
    """Where the innermost block that is still open starts."""
    closed = 0
    for index in range(len(stack) - 1, -1, -1):
        kind = getattr(stack[index], "type", None)
        closed += kind == "RBRACE"
        if kind == "LBRACE" and closed:
            closed -= 1
        elif kind == "LBRACE":
            keyword = next((v for v in reversed(stack[:index])
                            if getattr(v, "type", None) in ("PHASE", "ORCHESTRATION")), None)
            what = f'the "{{" of this {keyword}' if keyword is not None else 'this "{"'
            return (Note(f"{what} is still open", _token_span(stack[index], path)),)
    return ()


# -- positions ---------------------------------------------------------------------------------


def _point(path: str, text: str, line: int, column: int) -> Span:
    offset = _offset(text, line, column)
    return Span(path, line, column, line, column + 1, offset, offset + 1)


def _offset(text: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
    return start + column - 1


def _end_of_text(path: str, text: str) -> Span:
    stripped = text.rstrip()
    line = stripped.count("\n") + 1
    column = len(stripped) - (stripped.rfind("\n") + 1) + 1
    return Span(path, line, column, line, column + 1, len(stripped), len(stripped) + 1)
