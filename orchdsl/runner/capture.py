"""What a task prints, kept bounded and masked, and optionally passed on line by line.

A task may print gigabytes; the job keeps its first ``HEAD`` and last ``TAIL`` characters
with a marker between them (the end of a log says why it failed, the start what it was
doing). Masking happens on the stream, before anything is kept or shown.
"""

from __future__ import annotations

import codecs
from typing import Callable

from orchdsl.masking import Masker

HEAD = 16 * 1024
TAIL = 48 * 1024
LINE_LIMIT = 64 * 1024  # a line longer than this is passed on in pieces of this size


class OutputBuffer:
    def __init__(self, masker: Masker, on_line: Callable[[str], None] | None = None):
        # The decoder and the masking stream are made at the first write: most tasks of a
        # large job print nothing on one of their two streams (bench_run W3).
        self._masker = masker
        self._decoder = None
        self._stream = None
        self._on_line = on_line
        self._partial: list[str] = []  # the line being printed, in pieces (no newline yet)
        self._partial_size = 0
        self._head: list[str] = []
        self._head_size = 0
        self._tail = ""
        self._dropped = 0

    def write_bytes(self, data: bytes) -> None:
        if self._decoder is None:
            self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.write(self._decoder.decode(data))

    def write(self, text: str) -> None:
        if self._stream is None:
            self._stream = self._masker.stream()
        self._keep(self._stream.feed(text))

    def close(self) -> str:
        """Flush what is held back; the kept text, with a marker where some was dropped."""
        if self._stream is None:
            return ""  # nothing was written
        if self._decoder is not None:
            self._keep(self._stream.feed(self._decoder.decode(b"", final=True)))
        self._keep(self._stream.close())
        if self._on_line and self._partial:
            self._on_line("".join(self._partial))
            self._partial, self._partial_size = [], 0
        head = "".join(self._head)
        if self._dropped:
            return f"{head}\n[... {self._dropped} characters not kept ...]\n{self._tail}"
        return head + self._tail

    def _keep(self, text: str) -> None:
        if not text:
            return
        if self._on_line:
            self._lines(text)
        if self._head_size < HEAD:
            room = HEAD - self._head_size
            self._head.append(text[:room])
            self._head_size += min(room, len(text))
            text = text[room:]
        if text:
            self._tail += text
            if len(self._tail) > TAIL:
                self._dropped += len(self._tail) - TAIL
                self._tail = self._tail[-TAIL:]

    def _lines(self, text: str) -> None:
        """Pass on each whole line; the line still being printed is kept in pieces (joining
        them at every write was quadratic) and passed on whenever it reaches LINE_LIMIT, so
        output without newlines is bounded too."""
        if "\n" not in text:
            self._partial.append(text)
            self._partial_size += len(text)
            while self._partial_size >= LINE_LIMIT:
                line = "".join(self._partial)
                self._on_line(line[:LINE_LIMIT])
                rest = line[LINE_LIMIT:]
                self._partial, self._partial_size = ([rest] if rest else []), len(rest)
            return
        first, *lines, last = text.split("\n")
        self._partial.append(first)
        lines.insert(0, "".join(self._partial))
        for line in lines:
            for start in range(0, max(len(line), 1), LINE_LIMIT):
                self._on_line(line[start:start + LINE_LIMIT])
        self._partial, self._partial_size = ([last] if last else []), len(last)
