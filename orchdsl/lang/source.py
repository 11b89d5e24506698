"""Where things are in a file: spans, and reading source text the way every command does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


def read_source(path: str, stdin_text: str | None = None) -> str:
    """Read a file as UTF-8 (``-`` means the text already read from standard input)."""
    if path == STDIN:
        return stdin_text or ""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: is a directory") from None
    except PermissionError:
        raise SourceError(f"{path}: permission denied") from None
    except OSError as exc:  # a symbolic link loop, an I/O error, ...
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return decode_utf8(data, path)


def decode_utf8(data: bytes, path: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(f"{path}:{line}:{column}: not UTF-8 (byte 0x{data[exc.start]:02x})") from None
    # A byte-order mark is not part of the text (editors on Windows write one).
    return text[1:] if text.startswith("\ufeff") else text
