"""What a task prints: masked on the stream, before anything is kept or shown.

Two things are kept of it (docs/language.md, "The job store"):
- its full log (``AttemptLog``): every byte, stdout and stderr interleaved in the order they
  came, each piece with the time it was read, handed to the store in chunks while the task
  runs, up to a per-task limit with a marker where it was cut;
- a summary per stream (``OutputBuffer``): the first ``HEAD`` and the last ``TAIL``
  characters, which ``orchdsl job``, the summary and notifications quote.
"""

from __future__ import annotations

import codecs
import threading
import time
from typing import Callable

from orchdsl.masking import Masker

HEAD = 16 * 1024
TAIL = 48 * 1024
LINE_LIMIT = 64 * 1024  # a line longer than this is passed on in pieces of this size


LOG_LIMIT = 100 * 1024 * 1024  # bytes of a task's log kept, by default
FLUSH_BYTES = 4 * 1024 * 1024  # a log chunk goes to the store once this much is pending
DRAIN_WAIT_S = 5.0  # how long a lane that printed FLUSH_BYTES waits for them to be taken


class AttemptLog:
    """One attempt's full log. ``add`` may be called from any one thread at a time (a call's
    worker thread); ``drain`` (in the trio thread, at most every 0.5 s and when the attempt
    ends) hands what is pending to ``on_chunk(segments)``, a segment being
    ``(time, "o" or "e", text)``. Text holds the bytes a command printed as they were
    (``surrogateescape`` for bytes that are not UTF-8)."""

    def __init__(self, on_chunk: Callable[[list], None], limit: int = LOG_LIMIT,
                 ask_drain: Callable[[], bool] | None = None, trio_thread: int | None = None):
        """``ask_drain()``, from another thread: have the trio thread drain soon (False when
        it cannot: nobody listens any more). ``trio_thread``: the ident of the thread that
        drains (this one by default)."""
        self._on_chunk, self._limit, self._ask_drain = on_chunk, limit, ask_drain
        self._lock = threading.Lock()
        self._drained: threading.Condition | None = None  # made by the first lane to wait
        self._segments: list[tuple[float, str, str]] = []
        self._pending = self._kept = self._dropped = 0
        self._trio_thread = trio_thread or threading.get_ident()

    def add(self, stream: str, text: str) -> None:
        with self._lock:
            room = self._limit - self._kept
            if room <= 0:
                self._dropped += len(text)
                return
            if len(text) > room:
                self._dropped += len(text) - room
                text = text[:room]
            self._segments.append((time.time(), stream, text))
            self._kept += len(text)
            self._pending += len(text)
            full = self._pending >= FLUSH_BYTES
        if not full:
            return
        if threading.get_ident() == self._trio_thread:
            self.drain()
        else:
            self._wait_for_drain()

    def _wait_for_drain(self) -> None:
        """Backpressure for a lane printing fast: what is pending is bounded, so a command
        that prints gigabytes does not fill the runner's memory faster than the store takes
        it. The lane stops reading (so the command waits on its pipe) until the trio thread
        drained, at most DRAIN_WAIT_S."""
        if self._ask_drain is None or not self._ask_drain():
            return
        with self._lock:
            if self._drained is None:
                self._drained = threading.Condition(self._lock)
            self._drained.wait_for(lambda: self._pending < FLUSH_BYTES, DRAIN_WAIT_S)

    def drain(self) -> None:
        with self._lock:
            segments, self._segments, self._pending = self._segments, [], 0
            if self._drained is not None:
                self._drained.notify_all()
        if segments:
            self._on_chunk(segments)

    def close(self) -> None:
        if self._dropped:
            with self._lock:
                self._segments.append((time.time(), "e", f"\n[... {self._dropped} characters not "
                                       f"kept: the log limit is {self._limit // 1048576} MiB "
                                       "per task ...]\n"))
        self.drain()


class OutputBuffer:
    __slots__ = ("_log", "_tag", "_masker", "_decoder", "_stream", "_on_line", "_partial",
                 "_partial_size", "_head", "_head_size", "_tail", "_dropped")

    def __init__(self, masker: Masker, on_line: Callable[[str], None] | None = None,
                 log=None, stream: str = "o"):
        """``log``: where kept text goes as well, ``log.add(stream, text)`` (an AttemptLog,
        or the attempt that makes one when needed)."""
        # The decoder and the masking stream are made at the first write: most tasks of a
        # large job print nothing on one of their two streams (bench_run W3).
        self._log, self._tag = log, stream
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
            # Bytes that are not UTF-8 stay as they were (the log keeps every byte).
            self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
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
            self._on_line(_shown("".join(self._partial)))
            self._partial, self._partial_size = [], 0
        head = "".join(self._head)
        if self._dropped:
            return _shown(f"{head}\n[... {self._dropped} characters not kept ...]\n{self._tail}")
        return _shown(head + self._tail)

    def _keep(self, text: str) -> None:
        if not text:
            return
        if self._log is not None:
            self._log.add(self._tag, text)
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
                self._on_line(_shown(line[:LINE_LIMIT]))
                rest = line[LINE_LIMIT:]
                self._partial, self._partial_size = ([rest] if rest else []), len(rest)
            return
        first, *lines, last = text.split("\n")
        self._partial.append(first)
        lines.insert(0, "".join(self._partial))
        for line in lines:
            for start in range(0, max(len(line), 1), LINE_LIMIT):
                self._on_line(_shown(line[start:start + LINE_LIMIT]))
        self._partial, self._partial_size = ([last] if last else []), len(last)


def _shown(text: str) -> str:
    """Text to show and keep in a summary: bytes that were not UTF-8 as replacement marks."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
