"""Getting one notification to one target: attempts with a timeout, retries with backoff
(LANGUAGE.md 7: 10 s per attempt, 3 retries after 1, 2 and 4 s), and what came of it.

Exceptions::

    DeliveryError             an attempt failed; ``permanent`` when trying again cannot help
                              (HTTP 404, SMTP 550 no such user, bad credentials)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Awaitable, Callable

import trio

from orchdsl.notify.events import Event


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class RetryPolicy:
    timeout_s: float = 10.0  # per attempt
    delays_s: tuple[float, ...] = (1.0, 2.0, 4.0)  # before each retry

    @property
    def bound_s(self) -> float:
        """The longest one delivery can take."""
        return self.timeout_s * (len(self.delays_s) + 1) + sum(self.delays_s)


class Outcome(str, enum.Enum):
    DELIVERED = "delivered"
    FAILED = "failed"  # tried, and every attempt failed
    UNDELIVERABLE = "undeliverable"  # not tried: no SMTP server configured, notifier not running


@dataclass(frozen=True)
class Delivery:
    """What came of one notification; ``target`` and ``error`` are safe to show."""

    event: Event
    target: str
    outcome: Outcome
    attempts: int
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.outcome is Outcome.DELIVERED

    def describe(self) -> str:
        if self.delivered:
            return f'notification "{self.event.value}" to {self.target} delivered'
        tries = f" after {self.attempts} attempt{'s' * (self.attempts != 1)}" if self.attempts else ""
        return (f'notification "{self.event.value}" to {self.target} not delivered{tries}: '
                f"{self.error}")


async def attempt_with_retries(send: Callable[[], Awaitable[None]],
                               policy: RetryPolicy) -> tuple[int, str | None]:
    """Call ``send`` until it succeeds, fails for good, or the retries are spent; returns
    (attempts made, the last error or None)."""
    error = None
    for number in range(1, len(policy.delays_s) + 2):
        with trio.move_on_after(policy.timeout_s) as limit:
            try:
                await send()
                return number, None
            except DeliveryError as exc:
                error = str(exc)
                if exc.permanent:
                    return number, error
        if limit.cancelled_caught:
            error = f"no answer within {policy.timeout_s:g}s"
        if number <= len(policy.delays_s):
            await trio.sleep(policy.delays_s[number - 1])
    return len(policy.delays_s) + 1, error
