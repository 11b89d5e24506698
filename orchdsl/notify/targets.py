"""Who hears about a job, and of which events (docs/language.md, "Notifications").

- A scheduled run notifies the file's targets: each gets the events of the ``notify`` clauses
  that name it (a target named by several clauses gets the union, once).
- A manual run (and a re-run) notifies only the ``--notify-me`` targets, never the file's;
  they get every event the file's clauses name, or ``error`` and ``warning`` when it has none.
- A nested job notifies nobody: the job that ran it speaks for it.

Targets may hold ``${name}`` (a param or secret, e.g. a webhook token): they are filled in
here and shown everywhere with ``shown_target``, secrets and credentials as ``***``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from orchdsl.masking import MASK
from orchdsl.model import Trigger
from orchdsl.notify.events import Event

DEFAULT_EVENTS = frozenset({Event.ERROR, Event.WARNING})
SLACK_PREFIX = "https://hooks.slack.com/"


@dataclass(frozen=True)
class Subscription:
    target: str  # values filled in: may hold a secret, never shown as it is
    events: frozenset[Event]
    # The ``after`` of each clause naming ``processing`` for this target; None: the usual-
    # duration rule (see events.processing_delay).
    processing_after: tuple[float | None, ...] = ()

    @property
    def is_webhook(self) -> bool:
        return is_webhook(self.target)


def is_webhook(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def is_slack(target: str) -> bool:
    return target.startswith(SLACK_PREFIX)


def target_problems(targets: Sequence[str]) -> list[str]:
    """What is wrong with ``--notify-me`` targets (the checks of lint's E105)."""
    from orchdsl.check.rules.notify import target_problem

    # The message quotes the target: shown without the credentials a URL may carry.
    return [problem.replace(target, shown_target(target)) if target else problem
            for target in targets if (problem := target_problem(target))]


def subscriptions(notifications, trigger: Trigger, notify_me: Sequence[str] = (), *,
                  values: Mapping[str, str] | None = None,
                  environ: Mapping[str, str] | None = None,
                  nested: bool = False) -> tuple[Subscription, ...]:
    """The targets of one job. ``notifications`` are the plan's (``plan.notifications``);
    ``values`` the params and secrets for ``${name}`` in targets."""
    if nested:
        return ()
    clauses = [_Clause.of(n, values or {}, environ or {}) for n in notifications]
    merged: dict[str, Subscription] = {}
    if trigger is Trigger.SCHEDULE:
        for clause in clauses:
            for target in clause.targets:
                _merge(merged, Subscription(target, clause.events, clause.afters))
    named = frozenset().union(*(c.events for c in clauses)) or DEFAULT_EVENTS
    afters = tuple(a for c in clauses for a in c.afters)
    for target in notify_me:
        _merge(merged, Subscription(target, named, afters))
    return tuple(merged.values())


@dataclass(frozen=True)
class _Clause:
    events: frozenset[Event]
    afters: tuple[float | None, ...]
    targets: tuple[str, ...]

    @classmethod
    def of(cls, notify, values, environ) -> "_Clause":
        events = frozenset(Event(e) for e in notify.events)
        targets = tuple(_filled(t, values, environ) for t in notify.targets)
        return cls(events, (notify.after_s,) if Event.PROCESSING in events else (), targets)


def _filled(template, values: Mapping[str, str], environ: Mapping[str, str]) -> str:
    """A target with its values (secrets too: the target is where it is sent); a value that
    is not set is left as written."""
    out = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = environ.get(part.env_var) if part.env_var else values.get(part.name)
        out.append("${" + part.name + "}" if value is None else value)
    return "".join(out)


def _merge(merged: dict[str, Subscription], new: Subscription) -> None:
    old = merged.get(new.target)
    if old is None:
        merged[new.target] = new
        return
    merged[new.target] = Subscription(new.target, old.events | new.events,
                                      old.processing_after + new.processing_after)


def shown_target(target: str) -> str:
    """A target as it may be shown, logged and stored: a URL's user and password, its query
    values and the token that ends a Slack webhook's path are ``***``."""
    if not is_webhook(target):
        return target
    try:
        parts = urlsplit(target)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # unparsable (a bad port): hide all up to the last "@", if any
        scheme, sep, rest = target.partition("//")
        return f"{scheme}//{MASK}@{rest.rsplit('@', 1)[1]}" if sep and "@" in rest else target
    netloc = (f"{MASK}@" if "@" in parts.netloc else "") + (
        f"[{host}]" if ":" in host else host) + port
    path = parts.path
    if is_slack(target) and path.rstrip("/").count("/") > 1:
        path = path.rstrip("/").rsplit("/", 1)[0] + "/" + MASK
    query = urlencode([(k, MASK) for k, _ in parse_qsl(parts.query, keep_blank_values=True)],
                      safe="*")
    return urlunsplit((parts.scheme, netloc, path, query, ""))
