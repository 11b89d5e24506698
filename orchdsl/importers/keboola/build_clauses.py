"""Schedules and notification subscriptions as ``schedule`` and ``notify`` clauses
(docs/import-keboola.md, "Schedules and notifications")."""

from __future__ import annotations

from dataclasses import dataclass

from orchdsl.importers.keboola.findings import Finding
from orchdsl.importers.keboola.model import Flow, Schedule, Subscription
from orchdsl.importers.keboola.names import quote

FLOW_COMPONENTS = frozenset({"orchestrator", "keboola.orchestrator", "keboola.flow"})
EVENTS = {"job-failed": "error", "job-succeeded-with-warning": "warning",
          "job-succeeded": "success", "job-processing-long": "processing"}
EVENT_ORDER = ("error", "warning", "success", "processing")
# ``notify processing`` fires once a job runs 20 % longer than the mean of the last 20
# successful ones (docs/language.md, "Notifications"): the Orchestrator's tolerance of 20.
PROCESSING_TOLERANCE = 20.0


@dataclass(frozen=True, slots=True)
class Clauses:
    lines: tuple[str, ...]
    findings: tuple[Finding, ...]


def schedule_clauses(flow: Flow, schedules: list[Schedule]) -> Clauses:
    lines: list[str] = []
    findings: list[Finding] = []
    for schedule in schedules:
        clause = f"schedule {quote(schedule.cron)} timezone {quote(schedule.timezone)}"
        problem = _schedule_problem(flow, schedule) or _invalid(clause)
        if problem:
            findings.append(Finding(schedule.where, schedule.label, problem))
        elif clause not in lines:
            lines.append(clause)
        findings += schedule.findings
    return Clauses(tuple(lines), tuple(findings))


def _schedule_problem(flow: Flow, schedule: Schedule) -> str | None:
    if not schedule.cron:
        return 'no "cronTab": it never fires'
    if schedule.target_component and schedule.target_component not in FLOW_COMPONENTS:
        return f"it runs {schedule.target_component}, not a flow"
    if flow.config_id and schedule.target_config and schedule.target_config != flow.config_id:
        return (f"it runs configuration {schedule.target_config}, not this flow "
                f"({flow.config_id})")
    if not schedule.enabled:
        return f'"{schedule.cron}" is switched off in Keboola'
    return None


def notify_clauses(flow: Flow, subscriptions: list[Subscription]) -> Clauses:
    events: dict[str, list[str]] = {}  # target -> events, in the order first seen
    findings: list[Finding] = []
    for subscription in subscriptions:
        event, problem = _event(flow, subscription)
        if problem:
            findings.append(Finding(subscription.where, subscription.label, problem))
        findings += subscription.findings
        if event and event not in events.setdefault(subscription.target, []):
            events[subscription.target].append(event)
    return Clauses(_grouped(events), tuple(findings))


def _event(flow: Flow, subscription: Subscription) -> tuple[str | None, str | None]:
    """The orchdsl event, or None; and what is not converted, if anything."""
    event = EVENTS.get(subscription.event)
    if event is None:
        return None, _unknown_event(subscription.event)
    if not subscription.target:
        return None, "no e-mail address or URL to notify"
    if subscription.component and subscription.component not in FLOW_COMPONENTS:
        return None, f"it is about jobs of {subscription.component}, not of a flow"
    if flow.config_id and subscription.config and subscription.config != flow.config_id:
        return None, (f"it is about configuration {subscription.config}, not this flow "
                      f"({flow.config_id})")
    invalid = _invalid(f"notify {event} to {quote(subscription.target)}")
    if invalid:
        return None, invalid
    return event, _tolerance(event, subscription.tolerance)


def _tolerance(event: str, tolerance: float | None) -> str | None:
    if event != "processing" or tolerance is None or abs(tolerance - PROCESSING_TOLERANCE) < 1e-6:
        return None
    return (f"a tolerance of {tolerance:g} % over the average duration: orchdsl's notify "
            f"processing fires at {PROCESSING_TOLERANCE:g} % over the mean of the last 20 "
            "successful jobs")


def _unknown_event(event: str) -> str:
    if event.startswith("phase-job-"):
        return f'the event "{event}" is about one phase; orchdsl notifies about whole jobs'
    if event == "job-waiting-long":
        return "notifying about a job waiting long to start: orchdsl starts jobs at once"
    return f'the event "{event}" has no orchdsl counterpart'


def _grouped(events: dict[str, list[str]]) -> tuple[str, ...]:
    """One clause per set of events, naming every target with exactly that set."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for target, chosen in events.items():
        key = tuple(e for e in EVENT_ORDER if e in chosen)
        groups.setdefault(key, []).append(target)
    return tuple(f"notify {', '.join(key)} to {', '.join(quote(t) for t in targets)}"
                 for key, targets in groups.items())


def _invalid(clause: str) -> str | None:
    """The first lint error of ``clause`` in an otherwise valid file (a cron croniter does
    not read, an unknown time zone, a target that is no address), or None."""
    from orchdsl import lint

    probe = f'orchestration "probe" {{\n    {clause}\n    phase "p" {{ task t run "true" }}\n}}\n'
    errors = [d for d in lint(probe, "probe.orch") if d.is_error]
    return f"{clause}: {errors[0].message}" if errors else None
