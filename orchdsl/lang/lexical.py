"""Lexical values of the language: string escapes and interpolation, raw strings, durations
(docs/reference.md, "Lexical elements")."""

from __future__ import annotations

import re

from orchdsl.lang.nodes import ENV_RE, JOB_RE, OUTPUT_RE, PLAIN_RE, Interpolation
from orchdsl.lang.source import Span

ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "$": "$"}

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
    """Decode a string token (``"..."``, ``\"\"\"...\"\"\"``, or either raw, with an ``r``
    prefix) into text parts and interpolations.

    Returns the parts and the problems found, each ``(message, span, help)``.
    """
    is_raw = raw.startswith("r")
    prefix = 1 if is_raw else 0
    quote = 3 if raw.startswith('"""', prefix) else 1
    parts: list = []
    problems: list[tuple[str, Span, str | None]] = []
    text: list[str] = []
    i, end, indent = prefix + quote, len(raw) - quote, 0
    if quote == 3:
        i, end, indent = _block_layout(raw, prefix)
    while i < end:
        char = raw[i]
        if char == "\n" and indent:
            text.append(char)
            i += 1
            skip = 0
            while skip < indent and i < end and raw[i] in " \t":
                i, skip = i + 1, skip + 1
        elif char == "\\" and not is_raw:
            i = _escape(raw, i, end, text, problems, locate)
        elif is_raw and raw.startswith("$${", i, end):
            text.append("${")  # a raw string has no escapes: $${ is its literal ${
            i += 3
        elif char == "$" and raw.startswith("{", i + 1):
            close = raw.find("}", i + 2, end)
            if close < 0:
                literal = '"$${"' if is_raw else '"\\${"'
                problems.append(('unclosed "${" in string', locate.span(i, i + 2),
                                 f'close it with "}}", or write {literal} for a literal "${{"'))
                text.append(raw[i:end])
                break
            if text:
                parts.append("".join(text))
                text = []
            parts.append(_interpolation(raw[i + 2:close], locate.span(i, close + 1), problems))
            i = close + 1
        else:
            text.append(char)
            i += 1
    if text:
        parts.append("".join(text))
    return tuple(parts), problems


_ESCAPE_HELP = ('the escapes are \\" \\\\ \\n \\t \\$; write "\\\\" for a backslash, or use a raw '
                'string, r"...", in which a backslash is itself')


def _escape(raw: str, i: int, end: int, text: list[str], problems: list, locate) -> int:
    escaped = raw[i + 1] if i + 1 < end else ""
    if escaped in ESCAPES:
        text.append(ESCAPES[escaped])
    else:
        problems.append((f'unknown escape "\\{escaped}" in string', locate.span(i, i + 2),
                         _ESCAPE_HELP))
        text.append(escaped)
    return i + 2


def _interpolation(name: str, span: Span, problems: list) -> Interpolation:
    forms = (PLAIN_RE, ENV_RE, OUTPUT_RE, JOB_RE)
    well_formed = any(form.match(name) for form in forms)
    if not well_formed:
        problems.append((f'invalid interpolation "${{{name}}}"', span, interpolation_help(name)))
    return Interpolation(name, span, well_formed)


def interpolation_help(name: str) -> str:
    """What to write instead of ``${name}``, a malformed interpolation."""
    root, _, rest = name.partition(".")
    if root == "params" and PLAIN_RE.match(rest):
        return f'a param is written without "params.": ${{{rest}}}'
    if root == "job":
        return "the job values are ${job.id}, ${job.fire_time} and ${job.fire_date}"
    if root == "tasks":
        return "an output of a task is read as ${tasks.<task>.outputs.<name>}"
    return ("write ${param_or_secret}, ${env.VARIABLE}, ${tasks.<task>.outputs.<name>} or "
            "${job.id}")


def _block_layout(raw: str, prefix: int = 0) -> tuple[int, int, int]:
    """Where the text of a ``\"\"\"`` string starts and ends, and the indentation to drop from
    each of its lines, as Python's ``inspect.cleandoc`` does: a line break right after the
    opening quotes is not part of the text, nor is the indentation common to the following
    lines, nor a last line holding only the indentation of the closing quotes. ``prefix`` is
    the length of an ``r`` before the quotes."""
    start, end = prefix + 3, len(raw) - 3
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


class DurationError(ValueError):
    """What is wrong with a duration (the message) and what to write instead (``help``)."""

    def __init__(self, message: str, help: str = "write durations like 30s, 10m or 1h30m"):
        super().__init__(message)
        self.help = help


# Units people write that are none of the language's, with the unit they mean.
UNIT_ALIASES = {"sec": "s", "secs": "s", "second": "s", "seconds": "s", "min": "m", "mins": "m",
                "minute": "m", "minutes": "m", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
                "day": "d", "days": "d", "msec": "ms", "millis": "ms", "S": "s", "M": "m",
                "H": "h", "D": "d", "MS": "ms"}


def parse_duration(text: str) -> int:
    """Milliseconds of a duration like ``1h30m``; DurationError says what is wrong."""
    if text.isdigit():
        raise DurationError(f'duration "{text}" has no unit',
                            f'give a unit: "{text}s", "{text}m" or "{text}h"')
    if "." in text:
        raise DurationError(f'duration "{text}" has a fraction; each part is a whole number',
                            _whole_parts_help(text))
    pos, total, last_rank = 0, 0, -1
    ranks = list(DURATION_UNITS)
    for match in _DURATION_PART.finditer(text):
        unit = match.group(2)
        if unit not in DURATION_UNITS:
            raise DurationError(f'unknown unit "{unit}" in duration "{text}" (units: ms s m h d)',
                                _unit_help(text, match))
        if len(match.group(1).lstrip("0")) > 9:
            raise DurationError(f'duration "{text[:20]}" is too long (at most 9 digits a part)')
        rank = ranks.index(unit)
        if rank <= last_rank:
            raise DurationError(f'units of duration "{text}" must go from the largest to the '
                                f'smallest, each once (like 1h30m)', _order_help(text))
        last_rank = rank
        total += int(match.group(1)) * DURATION_UNITS[unit]
        pos = match.end()
    if pos != len(text) or not text:
        raise DurationError(f'"{text}" is not a duration (like 30s, 10m or 1h30m)')
    return total


_FRACTION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z]+)")


def _whole_parts_help(text: str) -> str:
    """``1.5h`` -> write "1h30m"; a fraction of no whole millisecond gets the general help."""
    from fractions import Fraction

    total, pos = Fraction(0), 0
    for match in _FRACTION_PART.finditer(text):
        unit = UNIT_ALIASES.get(match.group(2), match.group(2))
        if match.start() != pos or unit not in DURATION_UNITS:
            return "write whole parts, largest unit first, like 1h30m"
        total += Fraction(match.group(1)) * DURATION_UNITS[unit]
        pos = match.end()
    if pos != len(text) or total.denominator != 1 or total == 0 or total >= 10 ** 15:
        return "write whole parts, largest unit first, like 1h30m"
    return f'write "{format_duration(int(total))}"'


def _unit_help(text: str, match: re.Match) -> str:
    unit = UNIT_ALIASES.get(match.group(2))
    if unit is None:
        return "write durations like 30s, 10m or 1h30m"
    fixed = text[:match.start(2)] + unit + text[match.end(2):]
    return f'write "{fixed}"'


def _order_help(text: str) -> str:
    parts = _DURATION_PART.findall(text)
    units = [unit for _, unit in parts]
    if len(set(units)) != len(units):
        return "give each unit once, largest first, like 1h30m"
    ordered = sorted(parts, key=lambda part: list(DURATION_UNITS).index(part[1]))
    return f'write "{"".join(count + unit for count, unit in ordered)}"'


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
