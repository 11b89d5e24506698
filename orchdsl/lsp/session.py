"""The server's state between messages: the open buffers, the analysis of each one's latest
version (and of its last version that parsed, for completion), and the one worker thread that
parses and lints, so that the event loop keeps answering while a large file is checked.

Diagnostics are debounced: a change waits ``DEBOUNCE_S`` for the next one before it is checked;
a version that is no longer the buffer's when its check ends is never published; a request
that needs the current version's tree (hover, rename, ...) has it checked at once. When a
check ends, the open files that read this one (a nested file) are checked again.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from orchdsl.lsp.analysis import Analysis, analyze
from orchdsl.lsp.documents import Buffer, Change, DocumentStore
from orchdsl.lsp.incremental import IncrementalParser
from orchdsl.lsp.positions import UTF16

DEBOUNCE_S = 0.05  # as long as a pause between keystrokes is, at the least
log = logging.getLogger("orchdsl.lsp")

Publish = Callable[[Analysis], None]


class Session:
    def __init__(self, publish: Publish, clear: Callable[[str], None],
                 debounce_s: float = DEBOUNCE_S):
        self.store = DocumentStore()
        self.encoding = UTF16
        self._publish, self._clear, self._debounce_s = publish, clear, debounce_s
        self.latest: dict[str, Analysis] = {}
        self.parsed: dict[str, Analysis] = {}  # the last analysis whose file parsed
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._running: dict[str, asyncio.Future] = {}
        self._parsers: dict[str, IncrementalParser] = {}  # used by the worker only
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orchdsl-check")

    # -- buffers -------------------------------------------------------------------------------

    def opened(self, uri: str, path: str, version: int, text: str) -> None:
        self.store.open(uri, path, version, text)
        self._check_soon(uri, 0)
        self._check_readers(Buffer.key_of(path), text)

    def changed(self, uri: str, version: int, changes: list[Change]) -> None:
        if self.store.change(uri, version, changes, self.encoding) is not None:
            self._check_soon(uri, self._debounce_s)

    def closed(self, uri: str) -> None:
        buffer = self.store.close(uri)
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self.latest.pop(uri, None)
        self.parsed.pop(uri, None)
        self._parsers.pop(uri, None)
        self._clear(uri)
        if buffer is not None:
            self._check_readers(buffer.key, None)  # they read the file on disk now

    # -- analyses ------------------------------------------------------------------------------

    async def current(self, uri: str) -> Analysis | None:
        """The analysis of the buffer's current version (checked now if it is not yet)."""
        while True:
            buffer = self.store.get(uri)
            if buffer is None:
                return None
            done = self.latest.get(uri)
            if done is not None and done.buffer is buffer:
                return done
            result = await asyncio.shield(self._start(uri))
            if result is None or result.buffer is self.store.get(uri):
                return result

    async def parsed_or_current(self, uri: str) -> Analysis | None:
        """The last analysis of a version that parsed; the current one when there is none."""
        found = self.parsed.get(uri)
        return found if found is not None else await self.current(uri)

    def _check_soon(self, uri: str, delay: float) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self._timers[uri] = loop.call_later(delay, self._start, uri)

    def _start(self, uri: str) -> asyncio.Future:
        """The check of the buffer's latest version: the one running when it checks that
        version, else a new one (which the worker starts after the running one)."""
        self._timers.pop(uri, None)
        running = self._running.get(uri)
        buffer = self.store.get(uri)
        if running is not None and not running.done() and getattr(running, "buffer") is buffer:
            return running
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.worker, self._analyze, uri)
        future.buffer = buffer  # type: ignore[attr-defined]
        future.add_done_callback(lambda f: self._checked(uri, f))
        self._running[uri] = future
        return future

    def _analyze(self, uri: str) -> Analysis | None:
        """In the worker: the buffer as it is when the check starts (a newer version than the
        one that asked is fine), unless it was checked meanwhile."""
        buffer = self.store.get(uri)
        if buffer is None:
            return None
        done = self.latest.get(uri)
        if done is not None and done.buffer is buffer:
            return done
        parser = self._parsers.setdefault(uri, IncrementalParser())
        return analyze(buffer, self.store.texts(), self.encoding, parser)

    def _checked(self, uri: str, future: asyncio.Future) -> None:
        if future.cancelled():
            return
        if future.exception() is not None:
            log.error("checking %s failed: %s", uri, future.exception())
            return
        analysis = future.result()
        if analysis is None or self.store.get(uri) is None:
            return
        previous = self.latest.get(uri)
        if previous is not None and previous.buffer.version > analysis.buffer.version:
            return
        self.latest[uri] = analysis
        if analysis.orchestration is not None:
            self.parsed[uri] = analysis
        if analysis.buffer is self.store.get(uri) and analysis is not previous:
            self._publish(analysis)
            self._check_readers(analysis.buffer.key, analysis.buffer.text)
            # What the other features look up, ready before they ask, once the findings are out.
            self.worker.submit(_prepare, analysis)

    def _check_readers(self, key: str, text: str | None) -> None:
        """Check again the open files whose last check read the file ``key`` as other than
        ``text`` (its buffer's text now; None: the file on disk)."""
        for uri, analysis in list(self.latest.items()):
            if key in analysis.read and analysis.read[key] != text and uri in self._open():
                self.latest.pop(uri, None)
                self._check_soon(uri, self._debounce_s)

    def _open(self) -> set[str]:
        return {b.uri for b in self.store.buffers()}

    def shutdown(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self.worker.shutdown(wait=False, cancel_futures=True)


def _prepare(analysis: Analysis) -> None:
    if analysis.orchestration is not None:
        analysis.symbols, analysis.occurrences
