"""String literals as the formatter prints them: as written, except that the lines of a
``\"\"\"`` block (raw or not) are re-indented to sit under the clause that holds them.

A block's text drops the indentation its lines share (``lexical.decode_string``), so moving
every line by the same amount keeps the text. The new spelling is used only when it decodes
to exactly the same parts; anything surprising (tabs mixed with spaces, a lone ``\\r``) keeps
the source spelling.
"""

from __future__ import annotations

from orchdsl.lang import ast
from orchdsl.lang.lexical import StringLocator, decode_string

BLOCK = '"""'


def spell(string: ast.StringLit, indent: str) -> str:
    """The text of ``string`` for a line that starts with ``indent``."""
    raw = string.raw
    prefix = "r" if string.is_raw else ""  # a raw block, r"""...""", moves the same way
    if not raw.startswith(prefix + BLOCK) or "\n" not in raw:
        return raw
    candidate = prefix + _reindented(raw[len(prefix):], indent)
    if candidate != raw and meaning(candidate) == meaning(raw):
        return candidate
    return raw


def meaning(raw: str) -> tuple:
    """What a string token decodes to, positions left out."""
    parts, _ = decode_string(raw, StringLocator("", raw, 1, 1, 0))
    return tuple(p if isinstance(p, str) else ("${", p.name) for p in parts)


def _reindented(raw: str, indent: str) -> str:
    lines = raw[len(BLOCK):-len(BLOCK)].split("\n")
    body = lines[1:]
    widths = [_indent_width(line) for line in body if line.strip(" \t")]
    if not widths:
        return raw
    shared, inner = min(widths), indent + "    "
    moved = [lines[0]]
    for number, line in enumerate(body, 1):
        if line.strip(" \t"):
            moved.append(inner + line[shared:])
        elif number == len(body):
            moved.append(indent)  # the line of the closing quotes
        else:
            moved.append(inner + line[shared:] if len(line) > shared else "")
    return BLOCK + "\n".join(moved) + BLOCK


def _indent_width(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))
