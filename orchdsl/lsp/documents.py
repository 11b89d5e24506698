"""The open buffers: each document's text as the editor has it, saved or not, kept in step
with the editor's changes (LSP ``didOpen``, ``didChange``, ``didClose``), and a ``Loader`` that
reads them instead of the files on disk, so a nested file open in another buffer is checked as
the editor shows it (docs/editors.md)."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Mapping

from orchdsl.lang.loader import Loader
from orchdsl.lang.parser import ParseResult, parse
from orchdsl.lsp.positions import UTF16, LineIndex, Position

# A change the editor sent: the range it replaces (None: the whole text) and the new text.
Change = tuple[tuple[Position, Position] | None, str]


@dataclass(frozen=True, slots=True, eq=False)
class Buffer:
    """One version of one open document. Compared by identity: a version reopened after a
    close is another buffer."""

    uri: str
    path: str  # its file, or its URI when it has none (an untitled buffer)
    version: int
    text: str

    @property
    def key(self) -> str:
        return Loader.key(self.path)

    @staticmethod
    def key_of(path: str) -> str:
        return Loader.key(path)


class DocumentStore:
    """Buffers by URI. Changed on the server's event loop, read by its worker thread too: each
    buffer is immutable and replaced whole, under a lock."""

    def __init__(self):
        self._buffers: dict[str, Buffer] = {}
        self._lock = threading.Lock()

    def open(self, uri: str, path: str, version: int, text: str) -> Buffer:
        return self._put(Buffer(uri, path, version, text))

    def change(self, uri: str, version: int, changes: list[Change],
               encoding: str = UTF16) -> Buffer | None:
        """Apply the editor's changes in order, each to the text the one before left."""
        buffer = self.get(uri)
        if buffer is None:
            return None
        text = buffer.text
        for where, new in changes:
            text = new if where is None else _replace(text, where, new, encoding)
        return self._put(Buffer(uri, buffer.path, version, text))

    def close(self, uri: str) -> Buffer | None:
        with self._lock:
            return self._buffers.pop(uri, None)

    def get(self, uri: str) -> Buffer | None:
        return self._buffers.get(uri)

    def buffers(self) -> list[Buffer]:
        with self._lock:
            return list(self._buffers.values())

    def texts(self) -> dict[str, str]:
        """The open buffers' text by the real path of their file."""
        return {b.key: b.text for b in self.buffers()}

    def _put(self, buffer: Buffer) -> Buffer:
        with self._lock:
            self._buffers[buffer.uri] = buffer
        return buffer


def _replace(text: str, where: tuple[Position, Position], new: str, encoding: str) -> str:
    lines = LineIndex(text, encoding)
    start, end = lines.offset(where[0]), lines.offset(where[1])
    return text[:start] + new + text[max(start, end):]


class BufferLoader(Loader):
    """A ``Loader`` (what lint reads nested files with) that takes a file's text from its open
    buffer when it has one, and records every file it was asked for, with the buffer text it
    read (None: the file on disk): the files whose edits change this lint's findings."""

    def __init__(self, texts: Mapping[str, str]):
        super().__init__()
        self._texts = texts
        self._parsed: dict[str, ParseResult] = {}
        self.read: dict[str, str | None] = {}

    def load(self, path: str) -> ParseResult:
        key = self.key(path)
        text = self._texts.get(key)
        self.read[key] = text
        if text is None:
            return super().load(path)
        if key not in self._parsed:
            self._parsed[key] = parse(text, path)
        return self._parsed[key]


def path_of(uri: str) -> str:
    """The file of a ``file:`` URI; the URI itself for any other (an untitled buffer)."""
    from pygls.uris import to_fs_path

    path = to_fs_path(uri) if uri.startswith("file:") else None
    return os.path.normpath(path) if path else uri
