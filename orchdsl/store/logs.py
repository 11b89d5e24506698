"""Task logs in a store: chunks of an attempt's pieces (time, stream, text), compressed, written
by a thread of their own so that a task printing hundreds of megabytes never holds up the job
(docs/language.md, "The job store").

``LogWriter.put`` is called in the trio thread by the recorder; it waits (briefly) only when
more than ``BUDGET`` characters are on their way, so memory stays bounded whatever a task
prints. ``flush`` waits until everything handed over is written (the end of a job).
"""

from __future__ import annotations

import queue
import struct
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone

BUDGET = 32 * 1024 * 1024  # characters of log on their way to the store at most
_PIECE = struct.Struct("<dcI")  # time, stream ("o" or "e"), length in bytes


@dataclass(frozen=True)
class LogChunk:
    """A chunk as read back: its id (increasing in the order chunks were written), the task
    and attempt it belongs to, and its pieces."""

    id: int
    task: str
    attempt: int
    pieces: list[tuple[float, str, str]]


def encode(pieces: list[tuple[float, str, str]]) -> bytes:
    out = bytearray()
    for at, stream, text in pieces:
        data = text.encode("utf-8", "surrogateescape")
        out += _PIECE.pack(at, stream.encode("ascii"), len(data))
        out += data
    return zlib.compress(bytes(out), 1)


def decode(blob: bytes) -> list[tuple[float, str, str]]:
    data, pieces, i = zlib.decompress(blob), [], 0
    while i < len(data):
        at, stream, length = _PIECE.unpack_from(data, i)
        i += _PIECE.size
        pieces.append((at, stream.decode("ascii"),
                       data[i:i + length].decode("utf-8", "surrogateescape")))
        i += length
    return pieces


def moment(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat()


class LogWriter:
    def __init__(self, store, budget: int = BUDGET):
        self.store = store
        self.budget = budget
        self.error: str | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._in_flight = 0
        self._done = threading.Condition()
        self._thread: threading.Thread | None = None

    def put(self, job_id: int, task: str, attempt: int, pieces: list) -> None:
        size = sum(len(text) for _, _, text in pieces)
        with self._done:
            while self._in_flight and self._in_flight + size > self.budget and \
                    self._thread is not None and self._thread.is_alive():
                self._done.wait(1.0)
            self._in_flight += size
        self._queue.put((job_id, task, attempt, pieces, size))
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="orchdsl-logs", daemon=True)
            self._thread.start()

    def flush(self) -> None:
        """Wait until every chunk handed over is written (or dropped after an error)."""
        with self._done:
            while self._in_flight and self._thread is not None and self._thread.is_alive():
                self._done.wait(1.0)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while not self._queue.empty() and len(batch) < 64:
                batch.append(self._queue.get())
            rows = [(job_id, task, attempt, moment(pieces[0][0]), size, encode(pieces))
                    for job_id, task, attempt, pieces, size in batch]
            try:
                if self.error is None:
                    self.store.append_logs(rows)
            except Exception as exc:  # noqa: BLE001 - a full disk must not stop the job
                self.error = self.error or f"the logs of the tasks: {exc}"
            with self._done:
                self._in_flight -= sum(size for *_, size in batch)
                self._done.notify_all()
