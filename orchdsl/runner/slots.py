"""The job's concurrency slots (``concurrency`` in the file, ``--concurrency``): how many
attempts run at once in the whole job (docs/language.md, "Running").

Borrowed by a task's attempt, or by a lane of the in-process executor (a worker thread that
runs calls back to back while it holds one). Trio thread only.
"""

from __future__ import annotations

import math
from typing import Callable


class Slots:
    def __init__(self, total: int | None, on_free: Callable[[], None] = lambda: None):
        self.total = math.inf if total is None else total
        self._holders: set[object] = set()
        self._on_free = on_free

    @property
    def available(self) -> float:
        return self.total - len(self._holders)

    def take(self, borrower: object) -> None:
        assert self.available >= 1 and borrower not in self._holders
        self._holders.add(borrower)

    def give(self, borrower: object, *, quiet: bool = False) -> None:
        """Give a slot back (no-op when ``borrower`` holds none); the coordinator then
        starts what waits for one, unless ``quiet`` (it will look itself, once it has
        recorded what freed the slot)."""
        if borrower in self._holders:
            self._holders.discard(borrower)
            if not quiet:
                self._on_free()

    def holds(self, borrower: object) -> bool:
        return borrower in self._holders
