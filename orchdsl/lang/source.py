"""Where things are in a file: spans, and reading source text the way every command does."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a file. Lines and columns are 1-based; ``end_column`` is exclusive (as in
    SARIF); ``start``/``end`` are character offsets, used to order comments and nodes."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of ``other``."""
        return Span(self.path, self.line, self.column, other.end_line, other.end_column,
                    self.start, other.end)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class SourceError(Exception):
    """A file that cannot be read as UTF-8 text: a usage error (exit 2), not a diagnostic."""


STDIN = "-"

# The most orchdsl reads from one file or from standard input (docs/language.md, "Input size").
# A pipeline file is a few KiB; 10,000 tasks of 100-character lines are about 1 MiB. Without
# a limit, ``orchdsl lint /dev/zero`` read until the machine ran out of memory.
MAX_SOURCE_BYTES = 10 * 1024 * 1024
MAX_SOURCE_SHOWN = "10 MiB"


def read_source(path: str, stdin_text: str | None = None) -> str:
    """Read a file as UTF-8 (``-`` means the text already read from standard input)."""
    if path == STDIN:
        return stdin_text or ""
    return decode_utf8(read_bytes(path), path)


def read_bytes(path: str) -> bytes:
    """A file's bytes, at most ``MAX_SOURCE_BYTES``: an endless or huge input (``/dev/zero``, a
    FIFO that never closes) is a SourceError that names the file and the limit."""
    try:
        with open(path, "rb") as handle:
            return _bounded(handle, path)
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: is a directory") from None
    except PermissionError:
        raise SourceError(f"{path}: permission denied") from None
    except OSError as exc:  # a symbolic link loop, an I/O error, ...
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None


def read_stdin_bytes(stream, shown: str = STDIN) -> bytes:
    """Standard input's bytes (``stream``: a binary file, ``sys.stdin.buffer``), bounded as
    ``read_bytes`` bounds a file; ``shown`` is the name the error gives it."""
    try:
        return _bounded(stream, shown)
    except OSError as exc:
        raise SourceError(f"{shown}: cannot read: {exc.strerror or exc}") from None


def _bounded(handle, shown: str) -> bytes:
    data = handle.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"{shown}: more than {MAX_SOURCE_SHOWN}, the most orchdsl reads from "
                          "one file")
    return data


def decode_utf8(data: bytes, path: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(f"{path}:{line}:{column}: not UTF-8 (byte 0x{data[exc.start]:02x})") from None
    # A byte-order mark is not part of the text (editors on Windows write one).
    return text[1:] if text.startswith("\ufeff") else text
