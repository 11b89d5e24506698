"""Notifications: e-mail over SMTP and webhooks, for the events of a job (docs/language.md,
"Notifications").

One entry, used by the job runner (orchdsl.runner.job) for manual runs and the scheduler::

    notifier = notifier_for(plan, Trigger.SCHEDULE, store=store)      # or notify_me=(...)
    async with notifier.running():       # in the trio task that runs the job
        result = await ...               # the job, with the notifier among its observers
    # leaving the block waited for the deliveries (bounded: 10 s x 4 attempts + 7 s)
    for failure in notifier.failures:    # Delivery values, safe to show
        print(failure.describe())

``notifier_for`` reads ``ORCHDSL_SMTP_URL`` and ``ORCHDSL_MAIL_FROM`` from ``environ``; the
transports are injectable (``mailer``: an object with ``async send(EmailMessage, timeout_s)``;
``http_transport``: an httpx transport), and so are the retry timings (``policy``).
Modules: ``events`` (which events), ``targets`` (who), ``summary`` (what is said),
``mail`` and ``webhook`` (how), ``delivery`` (retries), ``notifier`` (the Observer + service).
"""

from __future__ import annotations

import logging
import os
from typing import Mapping, Sequence

from orchdsl.notify.delivery import Delivery, Outcome, RetryPolicy
from orchdsl.notify.events import Event
from orchdsl.notify.notifier import Notifier
from orchdsl.notify.targets import Subscription, shown_target, subscriptions, target_problems

__all__ = ["notifier_for", "Notifier", "Delivery", "Outcome", "RetryPolicy", "Event",
           "Subscription", "shown_target", "target_problems"]

# A library logs; the program decides where it goes (the CLI prints its own warning lines).
logging.getLogger("orchdsl.notify").addHandler(logging.NullHandler())


def notifier_for(plan, trigger, *, notify_me: Sequence[str] = (), store=None,
                 environ: Mapping[str, str] | None = None, mask_also: Sequence[str] = (),
                 policy: RetryPolicy = RetryPolicy(), mailer=None, http_transport=None,
                 nested: bool = False) -> Notifier:
    """The notifier of one job of ``plan`` started by ``trigger`` (a runner.model.Trigger):
    scheduled runs notify the file's targets, manual runs and re-runs only ``notify_me``.
    ``store``: the job store (``fixed``, the usual duration for ``processing``, and where
    deliveries are recorded); without it neither event can be judged and nothing is recorded.
    ``notify_me`` must be valid targets (see ``target_problems``)."""
    environ = os.environ if environ is None else environ
    secrets = {name: environ.get(name, "") for name in plan.secrets}
    values = {**dict(plan.params), **secrets}
    subs = subscriptions(plan.notifications, trigger, notify_me, values=values,
                         environ=environ, nested=nested)
    mail_problem, sender, credentials = None, None, ()
    if mailer is None and any(not s.is_webhook for s in subs):
        mailer, sender, credentials, mail_problem = _smtp(environ)
    from orchdsl.notify.mail import FROM_VARIABLE
    from orchdsl.masking import Masker

    sender = sender or environ.get(FROM_VARIABLE, "").strip() or _default_sender()
    client_factory = None
    if http_transport is not None:
        import httpx

        client_factory = lambda: httpx.AsyncClient(transport=http_transport)  # noqa: E731
    return Notifier(subs, masker=Masker([*secrets.values(), *mask_also, *credentials]),
                    description=plan.description, store=store, mailer=mailer,
                    mail_problem=mail_problem, sender=sender, client_factory=client_factory,
                    policy=policy)


def _smtp(environ):
    """(transport, sender, credentials, problem) from the environment."""
    from orchdsl.notify.mail import MailConfigError, SmtpTransport, smtp_settings

    try:
        settings = smtp_settings(environ)
    except MailConfigError as exc:
        return None, None, (), str(exc)
    if settings is None:
        return None, None, (), None  # the notifier's own "not set" message
    return SmtpTransport(settings), settings.sender, settings.credentials, None


def _default_sender() -> str:
    import socket

    return f"orchdsl@{socket.gethostname()}"
