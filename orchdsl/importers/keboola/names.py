"""Keboola's names as orchdsl names and strings: a task name is ``[A-Za-z_][A-Za-z0-9_-]*``,
no reserved word, unique in the file (docs/reference.md, "Lexical elements"); a phase name is a
string, unique too. The original always stays in a comment next to it."""

from __future__ import annotations

import re
import unicodedata

# docs/reference.md "Reserved words", with 1.1's ``when`` and ``matrix`` (docs/reference.md, "Lexical elements"), and
# the words of conditions, so that a name never reads as one in ``when succeeded(...)``.
RESERVED = frozenset("""
    orchestration description schedule notify concurrency timeout fail_fast param secret phase
    task run call extractor transformation writer application retries backoff
    continue_on_failure disabled cwd env needs when matrix and or not true false
""".split())
_NOT_NAME = re.compile(r"[^A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def name_of(text: str, fallback: str) -> str:
    """A valid name for ``text`` (letters without accents, other characters as ``_``, lower
    case); ``fallback`` (made valid the same way) when nothing of ``text`` is left."""
    name = _NOT_NAME.sub("_", _ascii(text)).strip("_-").lower()
    if not name:
        name = _NOT_NAME.sub("_", _ascii(fallback)).strip("_-").lower() or "task"
    if not (name[0].isalpha() or name[0] == "_"):
        name = f"task_{name}"
    return f"{name}_task" if name in RESERVED else name


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Names:
    """Hands out names, each once: a second ``load`` becomes ``load_2``."""

    def __init__(self):
        self._taken: set[str] = set()

    def take(self, wanted: str) -> str:
        name, number = wanted, 1
        while name in self._taken:
            number += 1
            name = f"{wanted}_{number}"
        self._taken.add(name)
        return name


class PhaseNames:
    """Phase names, each once: a second "Extract" becomes "Extract (2)"."""

    def __init__(self):
        self._taken: set[str] = set()

    def take(self, wanted: str, number: int) -> str:
        base = one_line(wanted).strip() or f"Phase {number}"
        name, count = base, 1
        while name in self._taken:
            count += 1
            name = f"{base} ({count})"
        self._taken.add(name)
        return name


def quote(text: str) -> str:
    """``text`` as an orchdsl string: ``"..."`` with ``\\" \\\\ \\n \\t \\$`` escapes (every
    ``$`` is escaped, so nothing interpolates); other control characters become spaces."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
               .replace("\n", "\\n").replace("\t", "\\t").replace("\r", ""))
    return '"' + _CONTROL.sub(" ", escaped) + '"'


def one_line(text: str) -> str:
    """``text`` fit for a comment or a one-line string: whitespace runs as one space."""
    return " ".join(_CONTROL.sub(" ", text).split())
