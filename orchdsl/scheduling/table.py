"""The schedules of every loaded file and the next fire of each, earliest first.

A heap of (due, sequence, entry): the daemon sleeps until the top is due, so a thousand
schedules cost nothing between fires and O(log n) per fire. Changing or removing an entry
leaves its old heap item behind, marked stale by the entry's version, and skipped when it
reaches the top.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone

from orchdsl.scheduling.schedule import Schedule


@dataclass(eq=False)
class Entry:
    file: str  # absolute path
    key: str  # the cron text its last fire is stored under
    schedule: Schedule
    last: datetime | None = None  # the last fire (or when it was taken on), UTC
    due: datetime | None = None  # the next fire, UTC; None while it is not in the heap
    version: int = field(default=0)


class Table:
    def __init__(self):
        self._entries: dict[tuple[str, str], Entry] = {}
        self._heap: list[tuple[datetime, int, int, Entry]] = []
        self._sequence = itertools.count()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, file: str, key: str) -> Entry | None:
        return self._entries.get((file, key))

    def of_file(self, file: str) -> list[Entry]:
        return [e for (f, _), e in self._entries.items() if f == file]

    def keys(self) -> set[tuple[str, str]]:
        """(file, key) of every schedule in the table."""
        return set(self._entries)

    def files(self) -> set[str]:
        return {f for f, _ in self._entries}

    def put(self, entry: Entry, due: datetime) -> None:
        """Add the entry, or move it, to fire next at ``due``."""
        self._entries[(entry.file, entry.key)] = entry
        entry.version += 1
        # UTC: aware datetimes of one zone compare as wall times, wrong in a fall-back hour.
        entry.due = due.astimezone(timezone.utc)
        heapq.heappush(self._heap, (entry.due, next(self._sequence), entry.version, entry))

    def remove(self, entry: Entry) -> None:
        self._entries.pop((entry.file, entry.key), None)
        entry.version += 1
        entry.due = None

    def earliest(self) -> datetime | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: datetime) -> list[Entry]:
        """The entries due at or before ``now``, earliest first, out of the heap (the caller
        puts each back with its next fire)."""
        due = []
        while (top := self.earliest()) is not None and top <= now:
            entry = heapq.heappop(self._heap)[3]
            entry.version += 1
            due.append(entry)
        return due

    def _drop_stale(self) -> None:
        while self._heap and self._heap[0][2] != self._heap[0][3].version:
            heapq.heappop(self._heap)
