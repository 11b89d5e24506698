"""Schedules (``keboola.scheduler`` configurations, or the Scheduler API's schedules) and
notification subscriptions (the Notification API's ``project-subscriptions``).
The formats and their sources: docs/import-keboola.md."""

from __future__ import annotations

from dataclasses import dataclass, replace

from orchdsl.importers.keboola.fields import ObjectReader
from orchdsl.importers.keboola.findings import Finding
from orchdsl.importers.keboola.json_source import Document, JsonObject, compact
from orchdsl.importers.keboola.model import Schedule, Subscription

# Fields of a Storage API configuration around its content, and of the Scheduler API's
# schedule around the configuration's; none of them changes what runs when.
SCHEDULER_METADATA = ("id", "tokenId", "configurationId", "configurationVersionId",
                      "executions")


def read_schedule(document: Document, content: ObjectReader, label: str) -> Schedule:
    """A scheduler configuration's content: ``schedule`` and ``target``."""
    content.skip(*SCHEDULER_METADATA)
    content.subject = label
    timing = ObjectReader(document, content.nested("schedule") or {}, label, content.where)
    target = ObjectReader(document, content.nested("target") or {}, label, content.where)
    cron, zone = timing.text("cronTab"), timing.text("timezone") or "UTC"
    state = timing.text("state", "enabled")
    target.skip("mode")
    component, config = target.text("componentId"), target.text("configurationId")
    for key in ("tag", "variableValuesId", "variableValuesData"):
        if target.raw(key) is not None:
            target.note(f'target "{key}": {compact(target.node[key])}')
    findings = content.findings() + timing.findings() + target.findings()
    return Schedule(cron, zone, content.where, enabled=state == "enabled",
                    target_component=component, target_config=config, label=label,
                    findings=findings)


def is_schedule(content: dict) -> bool:
    return isinstance(content.get("schedule"), dict) and (
        "cronTab" in content["schedule"] or "target" in content)


def is_subscription(content: dict) -> bool:
    return "event" in content and isinstance(content.get("recipient"), dict)


def read_subscription(document: Document, node: JsonObject) -> Subscription:
    reader = ObjectReader(document, node, "subscription")
    label = f"subscription {reader.identifier('id') or '(no id)'}"
    event = reader.text("event")
    recipient = ObjectReader(document, reader.nested("recipient") or {}, label, reader.where)
    recipient.skip("channel")  # e-mail recipients carry an address, webhooks a url
    target = recipient.text("address") or recipient.text("url")
    reader.subject = recipient.subject = label = f"{label} ({event} to {target or 'nobody'})"
    filters = _filters(document, reader, label)
    if reader.raw("expiresAt") is not None:
        reader.note(f'"expiresAt": {compact(node["expiresAt"])}: orchdsl notifies without end')
    return Subscription(event, target, reader.where, tolerance=filters.tolerance,
                        component=filters.component, config=filters.config, label=label,
                        findings=reader.findings() + recipient.findings() + filters.findings)


@dataclass(frozen=True, slots=True)
class Filters:
    component: str = ""
    config: str = ""
    tolerance: float | None = None
    findings: tuple[Finding, ...] = ()


# Filters that say nothing more for a file that describes one flow of one project; phase.id
# goes with the phase-job-* events, which are not converted anyway.
QUIET_FILTERS = frozenset({"branch.id", "project.id", "projectId", "job.branch.id",
                           "phase.id"})


def _filters(document: Document, reader: ObjectReader, label: str) -> Filters:
    filters = Filters()
    for node in reader.items("filters"):
        item = ObjectReader(document, node, label, reader.where)
        filters = _filter(item, filters, node)
        filters = replace(filters, findings=filters.findings + item.findings())
    return filters


def _filter(item: ObjectReader, filters: Filters, node: object) -> Filters:
    field, value = item.text("field"), item.raw("value")
    operator = item.text("operator", "==")
    if field == "job.component.id" and operator == "==":
        return replace(filters, component=str(value))
    if field == "job.configuration.id" and operator == "==":
        return replace(filters, config=str(value))
    if field == "durationOvertimePercentage" and operator in (">=", ">"):
        return replace(filters, tolerance=_percent(value))
    if field not in QUIET_FILTERS:
        item.note(f"filter {compact(node)}: the notification would come more often")
    return filters


def _percent(value: object) -> float | None:
    """``durationOvertimePercentage`` is a fraction: 0.2 is 20 % over the average."""
    try:
        return float(value) * 100
    except (TypeError, ValueError):
        return None
