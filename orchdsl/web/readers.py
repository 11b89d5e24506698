"""Reading the store off the event loop: each worker thread has a reader of its own (a SQLite
connection is best used by one thread at a time), opened when the thread first needs it.
Handlers call ``read(fn)``, which runs ``fn(reader)`` in a worker thread.

A store that does not exist yet reads as having no jobs (``cli.store_option.NoStore``), as
``orchdsl jobs`` does, until a first run creates it.
"""

from __future__ import annotations

import threading

import anyio.to_thread


class Readers:
    def __init__(self, location: str):
        self.location = location
        self._local = threading.local()
        self._all: list = []
        self._lock = threading.Lock()

    def reader(self):
        from orchdsl.cli.store_option import NoStore
        from orchdsl.store import exists, open_reader

        found = getattr(self._local, "reader", None)
        if found is None or (isinstance(found, NoStore) and exists(self.location)):
            found = open_reader(self.location) if exists(self.location) else NoStore(
                self.location)
            self._local.reader = found
            with self._lock:
                self._all.append(found)
        return found

    async def read(self, fn, *args):
        return await anyio.to_thread.run_sync(lambda: fn(self.reader(), *args))

    def close(self) -> None:
        with self._lock:
            for reader in self._all:
                try:
                    reader.close()
                except Exception:  # noqa: BLE001 - closing at exit: nothing left to tell
                    pass
            self._all.clear()
