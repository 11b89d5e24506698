"""A ``run "<command>"`` string with its values, as the process to start.

A value never becomes command text. Either the command is plain (words and single-quoted
text, no shell syntax) and runs without a shell, each value placed inside its argv word; or it
runs with ``/bin/sh -c`` and each value travels in an environment variable the command
expands (``"${__ORCHDSL_VALUE_1}"``). sh never parses the result of an expansion as syntax, so
no value can inject a command, whatever quotes, backticks or ``$(...)`` surround it.

How the reference is written depends on sh's quoting at its place, which ``QuoteState``
follows: ``"${V}"`` outside quotes (no word splitting), ``${V}`` inside double quotes,
``'"${V}"'`` inside single quotes (close them, expand, reopen). Were the tracking wrong in
some exotic context, the value could at worst be split into words; it still could not run.

For showing a command (dry runs, plans), ``orchdsl.planning.interpolate.render`` writes the values
into the text with ``quote_for``, which reads better and is what the command means.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

UNQUOTED, SINGLE, DOUBLE = "unquoted", "single", "double"
VARIABLE = "__ORCHDSL_VALUE_{}"
_MARK = "\x01{}\x01"
_MARKED = re.compile("\x01(\\d+)\x01")

# Words of these characters (and marks standing for values) mean the same to sh and to a plain
# split: such a command runs without a shell, as make does, saving an sh per task.
_PLAIN_PIECE = re.compile(r"[A-Za-z0-9_./:,+@%=\-\x01 ]+|'[^']*'")
# First words that sh runs itself (keywords and builtins, with no executable or a different
# one: dash's echo reads backslash escapes, /bin/echo does not): these always go through sh.
# true and false are the same either way and stay direct.
_SH_ONLY = frozenset(""": cd exit export set unset source . alias unalias read readonly eval exec
    shift trap wait ulimit umask return break continue if then else elif fi for while until do
    done case esac ! { } time type command getopts hash jobs fg bg echo printf test [ kill pwd
    local times""".split())


@dataclass(frozen=True)
class Command:
    argv: list[str]
    env: dict[str, str]  # values passed to sh; empty when no shell runs


class QuoteState:
    """Follows sh's quoting through literal text, one piece at a time."""

    def __init__(self):
        self.stack = [UNQUOTED]
        self._escaped = False

    @property
    def state(self) -> str:
        return self.stack[-1]

    def feed(self, text: str) -> None:
        i = 0
        while i < len(text):
            char, state = text[i], self.stack[-1]
            if self._escaped:
                self._escaped = False
            elif state == SINGLE:
                if char == "'":
                    self.stack.pop()
            elif char == "\\":
                self._escaped = True
            elif text.startswith("$(", i) or char == "`":
                # A command substitution starts an unquoted context of its own. Its end is not
                # tracked: a misread can only cost word splitting (see the module docstring).
                self.stack.append(UNQUOTED)
                i += 1 if char == "$" else 0
            elif state == DOUBLE:
                if char == '"':
                    self.stack.pop()
            elif char == "'":
                self.stack.append(SINGLE)
            elif char == '"':
                self.stack.append(DOUBLE)
            i += 1


def build(parts: list[str], values: list[str]) -> Command:
    """``parts``: the literal text pieces, one more than ``values``, alternating with them."""
    marked = "".join(p + (_MARK.format(i) if i < len(values) else "")
                     for i, p in enumerate(parts))
    plain = _plain_argv(marked, values)
    if plain is not None:
        return Command(plain, {})
    text, env, quoting = [], {}, QuoteState()
    for i, piece in enumerate(parts):
        text.append(piece)
        quoting.feed(piece)
        if i < len(values):
            name = VARIABLE.format(i + 1)
            env[name] = values[i]
            text.append(_reference(name, quoting.state))
    return Command(["/bin/sh", "-c", "".join(text)], env)


def _reference(name: str, state: str) -> str:
    if state == DOUBLE:
        return "${" + name + "}"
    if state == SINGLE:
        return "'\"${" + name + "}\"'"
    return '"${' + name + '}"'


def _plain_argv(marked: str, values: list[str]) -> list[str] | None:
    pieces = re.findall(r"'[^']*'|[^']+|'", marked)
    if not pieces or not all(_PLAIN_PIECE.fullmatch(p) for p in pieces):
        return None
    words = shlex.split(marked)
    if not words or words[0] in _SH_ONLY or "=" in words[0] or "\x01" in words[0]:
        return None
    return [_MARKED.sub(lambda m: values[int(m.group(1))], w) for w in words]


def plain_argv(command: str) -> list[str] | None:
    """The argv of a command without values that needs no shell, else None."""
    return _plain_argv(command, [])


def command_for(template, values) -> Command:
    """What runs for a ``run "<command>"`` template (orchdsl.planning.spec.Template) with the
    values of its references (KeyError for one that is not bound)."""
    parts, bound, current = [], [], []
    for part in template.parts:
        if isinstance(part, str):
            current.append(part)
        else:
            parts.append("".join(current))
            current = []
            bound.append(values[part.name])
    parts.append("".join(current))
    return build(parts, bound)


def quote_for(value: str, state: str) -> str:
    """A value written into command text, quoted for sh's quoting state at its place."""
    if state == DOUBLE:
        return "".join("\\" + c if c in '\\"$`' else c for c in value)
    if state == SINGLE:
        return "'" + shlex.quote(value) + "'"
    return shlex.quote(value)
