"""The scheduler's clock (STYLE.md 4: time is injected): what time it is on the wall, and
sleeping until a wall time or until something changes, whichever comes first.

Fire times are wall times (UTC instants); sleeping happens on trio's clock. ``SystemClock``
converts between the two each time it sleeps and never sleeps longer than ``MAX_SLEEP_S``,
so a wall clock that is set (NTP, an admin) or a machine that was suspended is noticed
within a minute: waking up once a minute costs nothing measurable. ``TrioClock`` is the wall
clock of tests: it moves with trio's clock, so with ``trio.testing.MockClock(autojump_threshold=0)``
a test sleeps through days in milliseconds.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Protocol

import trio

MAX_SLEEP_S = 60.0


class Clock(Protocol):
    def now(self) -> datetime:
        """The current wall time, aware."""

    async def sleep_until(self, moment: datetime | None, wake: trio.Event) -> None:
        """Return at ``moment`` (never, when None), when ``wake`` is set, or earlier: the
        caller looks at the time again and sleeps again if it is not there yet."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    async def sleep_until(self, moment: datetime | None, wake: trio.Event) -> None:
        delay = MAX_SLEEP_S if moment is None else (moment - self.now()).total_seconds()
        with trio.move_on_after(min(max(delay, 0.0), MAX_SLEEP_S)):
            await wake.wait()


class TrioClock:
    """Wall time = ``start`` + the time trio's clock has moved since the first reading."""

    def __init__(self, start: datetime):
        self.start = start
        self._origin: float | None = None

    def now(self) -> datetime:
        if self._origin is None:
            self._origin = trio.current_time()
        return self.start + timedelta(seconds=trio.current_time() - self._origin)

    async def sleep_until(self, moment: datetime | None, wake: trio.Event) -> None:
        delay = math.inf if moment is None else (moment - self.now()).total_seconds()
        with trio.move_on_after(max(delay, 0.0)):
            await wake.wait()
