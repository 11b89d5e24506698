"""The notifier: an Observer of one job plus a service in the job's trio nursery (one
notifier per job: it notifies about the first job it sees that is not a nested one).

As an Observer (sync, in the trio thread, quick, never raising) it learns when the job
starts and ends; the work itself (the ``processing`` timer, the sending with its retries)
runs in the notifier's own nursery, so a slow target never blocks the engine or its next
phase. ``running()`` opens that nursery and, when its body is done, waits for the deliveries.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Callable

import trio

from orchdsl.notify.delivery import Delivery, DeliveryError, Outcome, RetryPolicy, \
    attempt_with_retries
from orchdsl.notify.events import Event, end_events, processing_delay, usual_limit
from orchdsl.notify.summary import Summary, summarize
from orchdsl.notify.targets import Subscription, shown_target
from orchdsl.observer import Observer
from orchdsl.masking import Masker
from orchdsl.model import Delivery as Record
from orchdsl.model import JobResult, JobState
from orchdsl.store.base import StoreError

log = logging.getLogger("orchdsl.notify")

NO_SMTP = "ORCHDSL_SMTP_URL is not set: e-mail cannot be sent"


class Notifier(Observer):
    def __init__(self, subscriptions: tuple[Subscription, ...], *, masker: Masker,
                 description: str | None = None, store=None, mailer=None,
                 mail_problem: str | None = None, sender: str = "orchdsl@localhost",
                 client_factory: Callable | None = None, policy: RetryPolicy = RetryPolicy(),
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        """``mailer``: an object with ``async send(EmailMessage, timeout_s)`` (mail.
        SmtpTransport), or None with ``mail_problem`` saying why e-mail cannot go out.
        ``client_factory``: makes the ``httpx.AsyncClient`` webhooks are posted with."""
        self.subscriptions = subscriptions
        self.masker = masker
        self.description = description
        self.store = store
        self.mailer = mailer
        self.mail_problem = mail_problem or NO_SMTP
        self.sender = sender
        self.client_factory = client_factory
        self.policy = policy
        self.now = now
        self.deliveries: list[Delivery] = []
        self._job: JobResult | None = None
        self._nursery: trio.Nursery | None = None
        self._timers = trio.CancelScope()
        self._waiting = trio.CancelScope()
        self._webhooks = None  # a WebhookTransport while running
        self._pending = 0
        self._idle = trio.Event()
        self._idle.set()

    @property
    def failures(self) -> list[Delivery]:
        """The deliveries that failed, in the order of the targets (``deliveries`` is in the
        order they ended)."""
        shown = [self._safe(shown_target(s.target)) for s in self.subscriptions]
        rank = {target: i for i, target in reversed(list(enumerate(shown)))}
        return sorted((d for d in self.deliveries if not d.delivered),
                      key=lambda d: rank.get(d.target, len(rank)))

    # -- the service --------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self):
        """``async with notifier.running(): await engine.run()``. Leaving the block waits
        for the deliveries (each bounded by ``policy.bound_s``); an exception or a cancel
        leaving it abandons them."""
        async with self._http_client() as client:
            if client is not None:
                from orchdsl.notify.webhook import WebhookTransport

                self._webhooks = WebhookTransport(client)
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                try:
                    yield self
                    with self._waiting:
                        await self.drain()
                finally:
                    self._nursery = None
                    nursery.cancel_scope.cancel()

    def stop_waiting(self) -> None:
        """Leave ``running()`` without waiting for the deliveries (SIGINT, SIGTERM): those
        still under way are abandoned."""
        self._waiting.cancel()

    async def drain(self) -> None:
        """Wait until every delivery started so far has come to an end."""
        await self._idle.wait()

    def _http_client(self):
        if not any(s.is_webhook for s in self.subscriptions):
            return _nothing()
        if self.client_factory is not None:
            return self.client_factory()
        import httpx

        return httpx.AsyncClient(follow_redirects=False)

    # -- the Observer -------------------------------------------------------------------------

    def job_created(self, job: JobResult) -> int:
        # A nested job shares its parent's observer: the first job is the one to notify about.
        if self._job is None and job.parent_job is None:
            self._job = job
        return 0

    def job_started(self, job: JobResult) -> None:
        if job is not self._job or self._nursery is None:
            return
        try:
            self._start_timers(job)
        except Exception as exc:  # noqa: BLE001 - an observer never raises
            log.warning("processing notifications not scheduled: %s", self._safe(str(exc)))

    def job_finished(self, job: JobResult) -> None:
        if job is not self._job:
            return
        self._timers.cancel()
        try:
            previous = self._previous_state(job)
            events = end_events(job.state, previous)
            if events:
                self._dispatch(job, events)
        except Exception as exc:  # noqa: BLE001 - an observer never raises
            log.warning("notifications of job %s not sent: %s", job.job_id, self._safe(str(exc)))

    # -- when ---------------------------------------------------------------------------------

    def _start_timers(self, job: JobResult) -> None:
        waiting = [s for s in self.subscriptions if Event.PROCESSING in s.events]
        if not waiting:
            return
        usual = None
        if any(None in s.processing_after for s in waiting) and self.store is not None:
            usual = usual_limit(self.store.success_durations(job.file, before_id=job.job_id))
        by_delay: dict[float, list[Subscription]] = {}
        for subscription in waiting:
            delay = processing_delay(subscription.processing_after, usual)
            if delay is not None:
                by_delay.setdefault(delay, []).append(subscription)
        if by_delay:
            self._nursery.start_soon(self._processing_timer, job, trio.current_time(),
                                     sorted(by_delay.items()))

    async def _processing_timer(self, job: JobResult, start: float,
                                due: list[tuple[float, list[Subscription]]]) -> None:
        with self._timers:  # cancelled when the job ends
            for delay, subscriptions in due:
                await trio.sleep_until(start + delay)
                if job.state is JobState.PROCESSING:
                    self._send(summarize(job, Event.PROCESSING, self.masker,
                                         description=self.description, now=self.now()),
                               subscriptions)

    def _previous_state(self, job: JobResult) -> JobState | None:
        if self.store is None or JobState.SUCCESS is not job.state:
            return None
        previous = self.store.previous_job(job.file, job.job_id)
        return previous.state if previous else None

    def _dispatch(self, job: JobResult, events: tuple[Event, ...]) -> None:
        # A target that asked for both success and fixed hears once: fixed says more.
        for event in events:
            later = events[events.index(event) + 1:]
            wanting = [s for s in self.subscriptions if event in s.events
                       and not any(e in s.events for e in later)]
            if wanting:
                self._send(summarize(job, event, self.masker, description=self.description,
                                     now=self.now()), wanting)

    # -- how ----------------------------------------------------------------------------------

    def _send(self, summary: Summary, subscriptions: list[Subscription]) -> None:
        for subscription in subscriptions:
            shown = self._safe(shown_target(subscription.target))
            if self._nursery is None:
                self._record(summary, Delivery(summary.event, shown, Outcome.UNDELIVERABLE, 0,
                                               "the notifier was not running"))
            elif not subscription.is_webhook and self.mailer is None:
                self._record(summary, Delivery(summary.event, shown, Outcome.UNDELIVERABLE, 0,
                                               self._safe(self.mail_problem)))
            else:
                self._begin()
                self._nursery.start_soon(self._deliver, summary, subscription.target, shown)

    async def _deliver(self, summary: Summary, target: str, shown: str) -> None:
        attempts, error = 0, "interrupted"
        try:
            send = self._webhook_sender(summary, target) if target.startswith(
                ("http://", "https://")) else self._mail_sender(summary, target)
            attempts, error = await attempt_with_retries(send, self.policy)
        except trio.Cancelled:
            # Ctrl-C or SIGTERM while it was under way: say so before going down.
            attempts, error = 0, "abandoned: the run was stopped first"
            raise
        except Exception as exc:  # noqa: BLE001 - a bug here must not take the job down
            attempts, error = 0, f"{exc.__class__.__name__}: {exc}"
        finally:
            error = self._safe(error.replace(target, shown)) if error else None
            outcome = Outcome.FAILED if error else Outcome.DELIVERED
            self._record(summary, Delivery(summary.event, shown, outcome, attempts, error))
            self._end()

    def _webhook_sender(self, summary: Summary, url: str):
        from orchdsl.notify.webhook import body_for

        document = _masked(body_for(url, summary), self.masker)
        timeout = self.policy.timeout_s
        return lambda: self._webhooks.send(url, document, timeout)

    def _mail_sender(self, summary: Summary, recipient: str):
        from orchdsl.notify.mail import compose

        message = compose(summary, recipient, self.sender)
        timeout = self.policy.timeout_s
        return lambda: self.mailer.send(message, timeout)

    def _record(self, summary: Summary, delivery: Delivery) -> None:
        self.deliveries.append(delivery)
        if delivery.delivered:
            log.info("%s", delivery.describe())
        else:
            log.warning("job %s: %s", summary.job_id, delivery.describe())
        if self.store is None or not summary.job_id:
            return
        try:
            self.store.record_delivery(summary.job_id, Record(
                delivery.event.value, delivery.target, delivery.outcome.value,
                delivery.attempts, delivery.error))
        except (*self.store.write_errors, StoreError) as exc:
            log.warning("job %s: delivery not recorded: %s", summary.job_id, exc)

    def _safe(self, text: str) -> str:
        return self.masker.mask(text)

    def _begin(self) -> None:
        if self._pending == 0:
            self._idle = trio.Event()
        self._pending += 1

    def _end(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self._idle.set()


def _masked(document, masker: Masker):
    """Every string in a JSON document with the job's secrets as ``***``."""
    if isinstance(document, str):
        return masker.mask(document)
    if isinstance(document, dict):
        return {k: _masked(v, masker) for k, v in document.items()}
    if isinstance(document, list):
        return [_masked(v, masker) for v in document]
    return document


@asynccontextmanager
async def _nothing():
    yield None


__all__ = ["Notifier", "DeliveryError"]
