"""What to write instead: the ``help:`` line of a syntax error, from the token found, what the
parser expected there, and the text around it. Each hint answers a mistake people make
(docs/reference.md): a misspelt or borrowed keyword (``retry``, ``tz``, ``depends_on``), a
quote or bracket from another language (``'x'``, ``// c``, ``needs [a, b]``, ``&&``), a value
of the wrong kind (``param n = 5``, ``timeout "10m"``), or a word in the wrong place
(``backoff 30s retries 2``)."""

from __future__ import annotations

import re
from typing import NamedTuple

from lark import Token

from orchdsl.lang import ast
from orchdsl.lang.diagnostics import closest
from orchdsl.lang.lexical import DurationError, parse_duration
from orchdsl.lang.terminals import CLAUSES, OPERANDS, STRINGS, WORDS, keyword

_WORDLIKE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_WORD_AT = re.compile(r"[^\s,{}\[\]\"#()]+")

# Words of other tools (GitHub Actions, GitLab CI, Airflow, cron) with the keyword they mean here.
ALIASES = {"retry": "retries", "retry_count": "retries", "tz": "timezone",
           "time_zone": "timezone", "zone": "timezone", "depends_on": "needs",
           "depends": "needs", "after_tasks": "needs", "if": "when", "unless": "when",
           "continue": "continue_on_failure", "allow_failure": "continue_on_failure",
           "workdir": "cwd", "working_dir": "cwd", "dir": "cwd", "cron": "schedule",
           "retry_delay": "backoff", "delay": "backoff", "label": "on", "runs_on": "on",
           "runs-on": "on", "strategy": "matrix", "parallel": "matrix", "foreach": "matrix",
           "var": "param", "variable": "param", "arg": "param", "command": "run", "cmd": "run",
           "script": "run", "stage": "phase", "step": "task", "job": "task", "timelimit": "timeout",
           "email": "notify", "alert": "notify", "parallelism": "concurrency"}


class Hint(NamedTuple):
    """The ``help:`` text, and the word to write instead of the token when the hint means one
    (``did you mean "task"?``): the diagnostic's machine-applicable fix."""

    text: str
    replacement: str | None = None


def hint(token: Token, expected: set[str], text: str, stack: list) -> Hint | None:
    for check in (_misplaced, _borrowed_punctuation, _wrong_value, _spelling, _bare_name):
        found = check(token, expected, text, stack)
        if found:
            return found if isinstance(found, Hint) else Hint(found)
    return None


def _misplaced(token: Token, expected: set[str], text: str, stack: list) -> str | None:
    value = str(token)
    if token.type in CLAUSES and "TASK" in expected and token.type not in expected:
        return f'"{value}" is an orchestration clause: it belongs outside phases'
    if token.type == "TASK" and "PHASE" in expected:
        return 'tasks belong inside a phase: phase "Name" { task ... }'
    if token.type == "BACKOFF" and "RETRIES" in expected:
        count = re.search(r"\bretries\s+([0-9]+)", text[token.start_pos:])
        duration = _WORD_AT.match(text, _skip_blank(text, token.end_pos))
        return (f'"backoff" goes right after the count of "retries": retries '
                f'{count.group(1) if count else "2"} backoff '
                f'{duration.group(0) if duration else "30s"}')
    return None


def _borrowed_punctuation(token: Token, expected: set[str], text: str, stack: list) -> str | None:
    if token.type == "LSQB" and stack and getattr(stack[-1], "type", None) == "NEEDS":
        close = text.find("]", token.end_pos)
        inside = text[token.end_pos:close] if close >= 0 else ""
        names = ", ".join(n.strip().strip('"') for n in inside.split(",") if n.strip())
        return f"list the tasks without brackets: needs {names or 'a, b'}"
    if token.type == "EQUAL" and "COMPARE" in expected:
        return 'compare with "==" (one "=" gives a value to a name)'
    if "RSQB" in expected and "COMMA" in expected:
        if token.type in STRINGS:
            return 'separate the items of a list with ",": ["a", "b"]'
        return 'close the list with "]"'
    return None


def _wrong_value(token: Token, expected: set[str], text: str, stack: list) -> str | None:
    value = str(token)
    if token.type == "INT" and "DURATION" in expected:
        return f'give a unit: "{value}s", "{value}m" or "{value}h"'
    if token.type in STRINGS and "DURATION" in expected:
        inner = value.strip('r"')
        try:
            parse_duration(inner)
        except DurationError:
            return "a duration is written without quotes, like 30s, 10m or 1h30m"
        return f"a duration is written without quotes: {inner}"
    if token.type in STRINGS and "NAME" in expected and _WORDLIKE.match(value.strip('r"')):
        return f"names are written without quotes: {value.strip('r' + chr(34))}"
    if token.type in ("NAME", "INT", "DURATION") and expected & set(STRINGS) and (
            "TRUE" not in expected):
        word = _WORD_AT.match(text, token.start_pos).group(0)
        return f'strings are written in double quotes: "{word}"'
    return None


def _spelling(token: Token, expected: set[str], text: str, stack: list) -> Hint | None:
    value = str(token)
    if not _WORDLIKE.match(value):
        return None
    keywords = [keyword(name) for name in expected if name not in WORDS or name == "TASK"]
    for word in keywords:
        if value.startswith(word) and value[len(word):len(word) + 1].isdigit():
            spaced = f"{word} {value[len(word):]}"
            return Hint(f'put a space after "{word}": {spaced}', spaced)
    meant = ALIASES.get(value.lower())
    if meant in keywords:
        return Hint(f'did you mean "{meant}"?', meant)
    if value.lower() in keywords and value.lower() != value:
        return Hint(f'did you mean "{value.lower()}"? (keywords are lowercase)', value.lower())
    meant = closest(value, keywords)
    return Hint(f'did you mean "{meant}"?', meant) if meant is not None else None


def _bare_name(token: Token, expected: set[str], text: str, stack: list) -> str | None:
    """A name where a condition's value belongs: ``when day == "monday"``; or nothing
    after ``when``."""
    if stack and getattr(stack[-1], "type", None) == "WHEN" and token.type != "NAME":
        return ('write a condition after "when", like when succeeded(crm) or when '
                'params.day == "monday"')
    if token.type != "NAME" or "REFERENCE" not in expected or "NAME" in expected:
        return None
    value = str(token)
    return (f"a condition reads a param as params.{value}, a variable as env.{value}, an output "
            f"as tasks.{value}.outputs.<name>")


def _skip_blank(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t":
        position += 1
    return position


# -- unexpected characters ---------------------------------------------------------------------

_OPERATORS = {"&": ('"and"', "&&"), "|": ('"or"', "||"), "!": ('"not"', "!")}


def character_hint(text: str, position: int, expected: set[str]) -> str | None:
    """The help for a character no token starts with, or None for the general one."""
    char = text[position]
    if text.startswith("//", position):
        line_end = text.find("\n", position)
        comment = text[position + 2:line_end if line_end >= 0 else len(text)].strip()
        return f'comments start with "#": # {comment}'.rstrip()
    if text.startswith("/*", position):
        return 'comments start with "#" and end with the line'
    if char == "'":
        line_end = text.find("\n", position)
        close = text.find("'", position + 1, line_end if line_end >= 0 else len(text))
        inner = text[position + 1:close] if close >= 0 else "..."
        return f'strings are written in double quotes: "{inner}"'
    if char in _OPERATORS and expected & set(OPERANDS) | {"AND", "OR", "NOT"} & expected:
        word, written = _OPERATORS[char]
        return f'write {word} instead of "{written}"'
    if char == "." and "DURATION" not in expected and re.match(r"[0-9]", text[position + 1:]):
        return "a number has no fraction here"
    return None


# -- comparisons and blocks --------------------------------------------------------------------


def chained_comparison(token: Token, stack: list, text: str) -> tuple[str, str] | None:
    """``a < b < c``: (message, help), or None when the token is not a second comparison."""
    if token.type != "COMPARE" or len(stack) < 3:
        return None
    first_op, middle, first = stack[-2], stack[-1], stack[-3]
    if getattr(first_op, "type", None) != "COMPARE" or not isinstance(middle, ast.Node):
        return None
    left = text[first.span.start:first.span.end]
    mid = text[middle.span.start:middle.span.end]
    right = _WORD_AT.match(text, _skip_blank(text, token.end_pos))
    right_text = right.group(0) if right else "..."
    return (f'comparisons cannot be chained: "{token}" after "{left} {first_op} {mid}"',
            f"compare two values at a time and join them: {left} {first_op} {mid} and "
            f"{mid} {token} {right_text}")


def unclosed_phase(token: Token, stack: list):
    """The phase a ``}`` is missing from, when ``token`` (a ``phase``, or a clause written no
    deeper than the open phase) is where the phase should have ended: its (name, ``{``)."""
    if token.type not in CLAUSES:
        return None
    for index in range(len(stack) - 1, -1, -1):
        item = stack[index]
        if isinstance(item, Token) and item.type == "PHASE":
            if token.type != "PHASE" and token.column > item.column:
                return None
            brace = next((v for v in stack[index:] if getattr(v, "type", None) == "LBRACE"),
                         None)
            name = stack[index + 1] if index + 1 < len(stack) else None
            if brace is None or not isinstance(name, ast.StringLit):
                return None
            return name.value, brace
    return None
