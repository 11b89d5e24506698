"""Text for a terminal: control characters shown as escapes (a value or a task's output must
not move the cursor, clear the screen or retitle the window), the cells a text takes, and
cutting a text to a width. Used by the live view and by the text of ``run --dry-run``."""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"

# C0 and C1 controls and DEL; the line and paragraph separators; the bidirectional overrides
# and isolates, which reorder what a reader sees (CVE-2021-42574, "Trojan Source").
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def printable(text: str) -> str:
    """``text`` with each control character as an escape: ``\\t``, ``\\n``, ``\\r``,
    ``\\x1b``, ``\\u202e``. Printable text, tabs aside, is left as it is."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def char_cells(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cells(text: str) -> int:
    """How many terminal cells ``text`` takes (printable text: see ``printable``)."""
    if text.isascii():
        return len(text)
    return sum(char_cells(c) for c in text)


def fit(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` cells, ending in an ellipsis when it was cut."""
    if cells(text) <= width:
        return text
    if width <= 0:
        return ""
    out, used = [], 0
    for char in text:
        size = char_cells(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + ELLIPSIS


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` cells."""
    return text + " " * max(0, width - cells(text))
