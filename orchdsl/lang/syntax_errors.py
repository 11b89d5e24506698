"""Translate lark's parse errors into plain words: no token names reach a user.

``expected a task or "}" after phase "Extract", found "tsk"`` with ``did you mean "task"?``
"""

from __future__ import annotations

import re

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import Diagnostic, did_you_mean, error
from orchdsl.lang.source import Span

KINDS = ("EXTRACTOR", "TRANSFORMATION", "WRITER", "APPLICATION")
ACTIONS = ("RUN", "CALL", "ORCHESTRATION")
CLAUSES = ("DESCRIPTION", "SCHEDULE", "NOTIFY", "CONCURRENCY", "TIMEOUT", "FAIL_FAST", "PARAM",
           "SECRET", "PHASE")
TASK_OPTIONS = ("TIMEOUT", "RETRIES", "CONTINUE_ON_FAILURE", "DISABLED", "CWD", "ENV", "NEEDS")
SCHEDULE_OPTIONS = ("TIMEZONE", "OVERLAP", "CATCHUP")

# Groups of expected terminals that read better as one phrase, largest first.
GROUPS = (
    (CLAUSES, "a clause (description, schedule, notify, concurrency, timeout, fail_fast, "
              "param, secret, phase)"),
    (TASK_OPTIONS, "a task option (timeout, retries, continue_on_failure, disabled, cwd, env, "
                   "needs)"),
    (KINDS, "a kind (extractor, transformation, writer, application)"),
    (ACTIONS, "an action (run, call, orchestration)"),
    (SCHEDULE_OPTIONS, "a schedule option (timezone, overlap, catchup)"),
)

WORDS = {
    "NAME": "a name", "STRING": "a string", "LONG_STRING": "a string", "INT": "a number",
    "DURATION": "a duration (like 30s, 10m or 1h30m)", "LBRACE": '"{"', "RBRACE": '"}"',
    "LSQB": '"["', "RSQB": '"]"', "COMMA": '","', "EQUAL": '"="', "$END": "the end of the file",
    "TASK": "a task",
}
_WORDLIKE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_WORD_AT = re.compile(r"[^\s,{}\[\]\"#]+")


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
    if not expected or all(_is_end(name) for name in expected):
        return error("E001", f'unexpected character "{char}" after the end of the orchestration',
                     span, _AFTER_END_HELP)
    return error("E001", f'unexpected character "{char}"', span,
                 "expected " + describe_expected(expected))


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
                     f"{where}", span, _unclosed_hint(stack))
    span = Span(path, token.line, token.column, token.end_line, token.end_column,
                token.start_pos, token.end_pos)
    if expected and all(_is_end(name) for name in expected):
        return error("E001", f"unexpected {_describe_found(token)} after the end of the "
                             "orchestration", span, _AFTER_END_HELP)
    message = f"expected {describe_expected(expected)}{where}, found {_describe_found(token)}"
    return error("E001", message, span, _hint(token, expected, text))


def _accepted(exc: UnexpectedToken) -> set[str]:
    try:
        return set(exc.accepts or exc.expected)
    except Exception:  # the interactive parser may not be able to replay a broken state
        return set(exc.expected)


def _value_stack(exc: UnexpectedToken) -> list:
    parser = getattr(exc, "interactive_parser", None)
    state = getattr(parser, "parser_state", None)
    return list(getattr(state, "value_stack", None) or [])


def describe_expected(expected: set[str]) -> str:
    expected = {e for e in expected if not e.startswith("__")}
    phrases: list[str] = []
    for members, phrase in GROUPS:
        if expected.issuperset(members):
            phrases.append(phrase)
            expected -= set(members)
    for name in sorted(expected, key=_expected_order):
        phrase = WORDS["$END"] if _is_end(name) else WORDS.get(name) or f'"{_keyword(name)}"'
        if phrase not in phrases:
            phrases.append(phrase)
    if not phrases:
        return "something else"
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _expected_order(name: str) -> tuple[int, str]:
    # Punctuation and the end of the file read best last.
    return (1 if name in ("RBRACE", "RSQB") or _is_end(name) else 0, name)


def _is_end(name: str) -> bool:
    return name == "$END" or "END-OF-FILE" in name.upper()


def _keyword(terminal: str) -> str:
    return terminal.lower()


def _describe_found(token: Token) -> str:
    value = str(token)
    if token.type in ("STRING", "LONG_STRING"):
        shown = value if len(value) <= 40 else value[:37] + '..."'
        return f"the string {shown}"
    if token.type == "INT":
        return f"the number {value}"
    return f'"{value}"'


_NOT_KEYWORDS = ("LBRACE", "RBRACE", "LSQB", "RSQB", "NAME", "INT", "DURATION", "STRING",
                 "LONG_STRING")


def _context(stack: list) -> str:
    """Where the parser was, in the user's words: ``after "timeout"`` when a keyword was the
    last thing read, else the enclosing task, phase or orchestration."""
    if stack and isinstance(stack[-1], Token) and stack[-1].type not in _NOT_KEYWORDS:
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


def _hint(token: Token, expected: set[str], text: str) -> str | None:
    value = str(token)
    if token.type in CLAUSES and "TASK" in expected and token.type not in expected:
        return f'"{value}" is an orchestration clause: it belongs outside phases'
    if token.type == "TASK" and "PHASE" in expected:
        return 'tasks belong inside a phase: phase "Name" { task ... }'
    keywords = [_keyword(name) for name in expected if name not in WORDS or name == "TASK"]
    if _WORDLIKE.match(value):
        for keyword in keywords:
            if value.startswith(keyword) and value[len(keyword):len(keyword) + 1].isdigit():
                return f'put a space after "{keyword}": {keyword} {value[len(keyword):]}'
        hint = did_you_mean(value, keywords)
        if hint:
            return hint
    if token.type == "INT" and "DURATION" in expected:
        return f'give a unit: "{value}s", "{value}m" or "{value}h"'
    if token.type == "NAME" and ("STRING" in expected or "LONG_STRING" in expected):
        word = _WORD_AT.match(text, token.start_pos).group(0)
        return f'strings are written in double quotes: "{word}"'
    return None


def _unclosed_hint(stack: list) -> str | None:
    opened = sum(1 for v in stack if isinstance(v, Token) and v.type == "LBRACE")
    if opened:
        return 'a "{" is not closed: add "}"'
    return None


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
