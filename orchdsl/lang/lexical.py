"""Lexical values of the language: string escapes and interpolation, durations (section 2)."""

from __future__ import annotations

import re

from orchdsl.lang.ast import Interpolation
from orchdsl.lang.source import Span

ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "$": "$"}
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
ENV_NAME_RE = re.compile(r"env\.[A-Za-z_][A-Za-z0-9_]*\Z")

DURATION_UNITS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
_DURATION_PART = re.compile(r"([0-9]+)([A-Za-z]+)")


class StringLocator:
    """Turns an offset inside a string token into a span (strings may span lines)."""

    def __init__(self, path: str, raw: str, line: int, column: int, start: int):
        self.path, self.raw, self.line, self.column, self.start = path, raw, line, column, start

    def position(self, offset: int) -> tuple[int, int]:
        newlines = self.raw.count("\n", 0, offset)
        if newlines == 0:
            return self.line, self.column + offset
        return self.line + newlines, offset - self.raw.rfind("\n", 0, offset)

    def span(self, begin: int, end: int) -> Span:
        line, column = self.position(begin)
        end_line, end_column = self.position(end)
        return Span(self.path, line, column, end_line, end_column, self.start + begin,
                    self.start + end)


def decode_string(raw: str, locate: StringLocator) -> tuple[tuple, list[tuple[str, Span, str | None]]]:
    """Decode a string token into text parts and interpolations.

    Returns the parts and the problems found, each ``(message, span, help)``.
    """
    quote = 3 if raw.startswith('"""') else 1
    parts: list = []
    problems: list[tuple[str, Span, str | None]] = []
    text: list[str] = []
    i, end = quote, len(raw) - quote
    indent = 0
    if quote == 3:
        i, end, indent = _block_layout(raw)
    while i < end:
        char = raw[i]
        if char == "\n" and indent:
            text.append(char)
            i += 1
            skip = 0
            while skip < indent and i < end and raw[i] in " \t":
                i, skip = i + 1, skip + 1
        elif char == "\\":
            escaped = raw[i + 1] if i + 1 < end else ""
            if escaped in ESCAPES:
                text.append(ESCAPES[escaped])
            else:
                problems.append((f'unknown escape "\\{escaped}" in string', locate.span(i, i + 2),
                                 'the escapes are \\" \\\\ \\n \\t \\$; write "\\\\" for a backslash'))
                text.append(escaped)
            i += 2
        elif char == "$" and raw.startswith("{", i + 1):
            close = raw.find("}", i + 2, end)
            if close < 0:
                problems.append(('unclosed "${" in string', locate.span(i, i + 2),
                                 'close it with "}", or write "\\${" for a literal "${"'))
                text.append(raw[i:end])
                break
            name = raw[i + 2:close]
            well_formed = bool(NAME_RE.match(name) or ENV_NAME_RE.match(name))
            if not well_formed:
                problems.append((f'invalid interpolation "${{{name}}}"', locate.span(i, close + 1),
                                 "write ${param_or_secret} or ${env.VARIABLE}"))
            if text:
                parts.append("".join(text))
                text = []
            parts.append(Interpolation(name, locate.span(i, close + 1), well_formed))
            i = close + 1
        else:
            text.append(char)
            i += 1
    if text:
        parts.append("".join(text))
    return tuple(parts), problems


def _block_layout(raw: str) -> tuple[int, int, int]:
    """Where the text of a ``\"\"\"`` string starts and ends, and the indentation to drop from
    each of its lines, as Python's ``inspect.cleandoc`` does: a line break right after the
    opening quotes is not part of the text, nor is the indentation common to the following
    lines, nor a last line holding only the indentation of the closing quotes."""
    start, end = 3, len(raw) - 3
    body = raw[start:end]
    lines = body.split("\n")
    if len(lines) == 1:
        return start, end, 0
    dropped_first = not lines[0].strip(" \t")
    if dropped_first:
        start += len(lines[0]) + 1
        lines = lines[1:]
    if lines and not lines[-1].strip(" \t"):
        end -= len(lines[-1]) + (1 if len(lines) > 1 else 0)
    body_lines = lines if dropped_first else lines[1:]
    widths = [len(line) - len(line.lstrip(" \t")) for line in body_lines if line.strip(" \t")]
    indent = min(widths, default=0)
    if dropped_first and lines:
        start += min(indent, len(lines[0]) - len(lines[0].lstrip(" \t")))
    return start, max(end, start), indent


def parse_duration(text: str) -> int:
    """Milliseconds of a duration like ``1h30m``; ValueError says what is wrong."""
    pos, total, last_rank = 0, 0, -1
    ranks = list(DURATION_UNITS)
    for match in _DURATION_PART.finditer(text):
        unit = match.group(2)
        if unit not in DURATION_UNITS:
            raise ValueError(f'unknown unit "{unit}" in duration "{text}" (units: ms s m h d)')
        if len(match.group(1).lstrip("0")) > 9:
            raise ValueError(f'duration "{text[:20]}" is too long (at most 9 digits a part)')
        rank = ranks.index(unit)
        if rank <= last_rank:
            raise ValueError(f'units of duration "{text}" must go from the largest to the '
                             f'smallest, each once (like 1h30m)')
        last_rank = rank
        total += int(match.group(1)) * DURATION_UNITS[unit]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f'"{text}" is not a duration (like 30s, 10m or 1h30m)')
    return total


def format_duration(milliseconds: int) -> str:
    """The canonical text of a duration: ``5400000`` -> ``1h30m``."""
    if milliseconds == 0:
        return "0s"
    parts = []
    for unit, size in DURATION_UNITS.items():
        count, milliseconds = divmod(milliseconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
