"""Notifications: targets and the ``after`` of ``processing``."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from orchdsl.check.rules import Finding, rule

_EMAIL = re.compile(r"[^@\s\"<>,;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+\Z")


def target_problem(target: str) -> str | None:
    """Why a notify target is neither an e-mail address nor an http(s) URL, or None."""
    if "://" in target or target.startswith(("http:", "https:")):
        try:
            parts = urlsplit(target)
            parts.port  # noqa: B018 (raises ValueError on a bad port)
        except ValueError as exc:
            # Python's words may quote a piece of the URL (a password read as a port).
            why = "its port must be a number from 0 to 65535" if "port" in str(exc).lower() \
                else "it does not parse as a URL"
            return f'invalid webhook URL "{target}": {why}'
        if parts.scheme not in ("http", "https"):
            return f'webhook "{target}" must use http:// or https://'
        if not parts.hostname or any(c.isspace() for c in target):
            return f'invalid webhook URL "{target}"'
        return None
    if not _EMAIL.match(target):
        return f'"{target}" is neither an e-mail address nor an http(s) URL'
    return None


@rule("E105", "invalid-notify-target")
def invalid_notify_target(ctx):
    """A ``notify`` target is neither an e-mail address (``ops@example.com``) nor an
    ``http://`` or ``https://`` URL (a webhook).

    Bad:
        notify error to "ops at example.com", "hooks.slack.com/services/T0/B0/x"

    Good:
        notify error to "ops@example.com", "https://hooks.slack.com/services/T0/B0/x"
    """
    for notify in ctx.orchestration.notifications:
        for target in notify.targets:
            problem = target_problem(target.value)
            if problem:
                yield Finding(target.span, problem,
                              'write an e-mail address or a URL: "ops@example.com", '
                              '"https://hooks.example.com/orch"')


@rule("E113", "after-without-processing")
def after_without_processing(ctx):
    """``after <duration>`` is given to a ``notify`` clause whose events are not all
    ``processing``. Only ``processing`` ("the job is still running") fires at a time; the
    other events fire when the job ends.

    Bad:
        notify error, processing after 30m to "ops@example.com"

    Good:
        notify error to "ops@example.com"
        notify processing after 30m to "ops@example.com"
    """
    for notify in ctx.orchestration.notifications:
        if notify.after is None:
            continue
        for event in notify.events:
            if event.text != "processing":
                yield Finding(event.span, f'"after" applies only to "processing", not to '
                                          f'"{event.text}"',
                              f'put "{event.text}" in a notify clause of its own, without after')
