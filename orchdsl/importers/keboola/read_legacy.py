"""Legacy Orchestrator orchestrations (the Orchestrator API's orchestration, or the content of
an ``orchestrator`` configuration): tasks in order, grouped into phases, a cron in UTC and
e-mail notifications. The format and its sources: docs/import-keboola.md."""

from __future__ import annotations

from dataclasses import replace

from orchdsl.importers.keboola.fields import ObjectReader, identifier_text
from orchdsl.importers.keboola.findings import Finding
from orchdsl.importers.keboola.json_source import Document, compact
from orchdsl.importers.keboola.model import (Flow, Job, Phase, Schedule, Subscription, Task,
                                             TaskType)

# Legacy notification channels, in the Notification API's words (read_schedules.py).
CHANNEL_EVENTS = {"error": "job-failed", "warning": "job-succeeded-with-warning",
                  "processing": "job-processing-long", "waiting": "job-waiting-long"}
METADATA = ("id", "createdTime", "lastScheduledTime", "nextScheduledTime", "token", "tokenId",
            "uri", "lastExecutedJob", "createdBy")


def read_legacy(document: Document, content: ObjectReader, flow: Flow) -> Flow:
    """``flow`` (name and id already read) with the orchestration's tasks, phases, schedule
    and notifications."""
    config_id = content.identifier("id")
    content.skip(*METADATA)
    name = content.text("name") or flow.name
    active = content.boolean("active", True)
    tasks = [read_legacy_task(document, node, index)
             for index, node in enumerate(content.items("tasks"), 1)]
    phases, tasks = _phases(document, tasks)
    subscriptions = tuple(read_notification(document, node)
                          for node in content.items("notifications"))
    for key in ("variableValuesId", "variableValuesData"):
        if content.raw(key) is not None:
            content.note(f'"{key}": {compact(content.node[key])} (variables of the tasks)')
    return replace(flow, name=name, config_id=flow.config_id or config_id or "",
                   phases=phases, tasks=tasks,
                   schedules=_schedule(content, active), subscriptions=subscriptions,
                   findings=flow.findings + content.findings())


def _schedule(content: ObjectReader, active: bool) -> tuple[Schedule, ...]:
    cron = content.text("crontabRecord")
    zone = content.text("crontabTimezone") or "UTC"  # the API documents the cron as UTC
    if not cron:
        return ()
    return (Schedule(cron, zone, content.where, enabled=active, label="crontabRecord"),)


def read_legacy_task(document: Document, node: object, index: int) -> Task:
    reader = ObjectReader(document, node, f"task #{index}")
    task_id = reader.identifier("id") or str(index)
    component = reader.text("component")
    reader.subject = f"task {task_id} ({component or 'no component'})"
    phase = reader.raw("phase")
    job, summary = _job(reader, component)
    task = Task(task_id, component, None, TaskType.JOB if job else TaskType.OTHER, reader.where,
                job=job, enabled=reader.boolean("active", True),
                continue_on_failure=reader.boolean("continueOnFailure", False),
                timeout_min=reader.integer("timeoutMinutes"), summary=summary)
    return replace(task, phase=None if phase is None else identifier_text(phase),
                   findings=_task_findings(reader, summary))


def _job(reader: ObjectReader, component: str) -> tuple[Job | None, str]:
    url = reader.text("componentUrl")
    action = reader.text("action", "run")
    parameters = ObjectReader(reader.document, reader.nested("actionParameters") or {},
                              reader.subject, reader.where)
    config = parameters.text("config")
    leftover = {key: value for key, value in parameters.node.items() if key != "config"}
    if url:
        return None, f'calls the URL {url}, which no command can start'
    if action != "run":
        return None, f'runs the action "{action}" of {component}, which no command can start'
    if not component or not config:
        return None, 'no "component" and "actionParameters.config": nothing to start'
    if leftover:
        reader.note(f'"actionParameters": {compact(leftover)}')
    return Job(component, config), ""


def _task_findings(reader: ObjectReader, summary: str) -> tuple[Finding, ...]:
    reader.skip("actionParameters")
    notes = (Finding(reader.where, reader.subject, summary),) if summary else ()
    return notes + reader.findings()


def _phases(document: Document, tasks: list[Task]) -> tuple[tuple[Phase, ...], tuple[Task, ...]]:
    """Tasks in a row with the same ``phase`` form one phase; a task without one is a phase of
    its own (the Orchestrator's behaviour, docs/import-keboola.md)."""
    phases: list[Phase] = []
    placed: list[Task] = []
    previous: object = object()
    for task in tasks:
        if task.phase is None or task.phase != previous or not phases:
            number = len(phases) + 1
            name = task.phase if task.phase is not None else f"Phase {number}"
            phases.append(Phase(str(number), name, task.where))
        previous = task.phase
        placed.append(replace(task, phase=phases[-1].id))
    return tuple(phases), tuple(placed)


def read_notification(document: Document, node: object) -> Subscription:
    reader = ObjectReader(document, node, "notification")
    target, channel = reader.text("email"), reader.text("channel")
    reader.subject = f'notification "{channel}" to {target or "nobody"}'
    parameters = ObjectReader(document, reader.nested("parameters") or {}, reader.subject,
                              reader.where)
    tolerance = parameters.number("tolerance")
    if parameters.raw("timeout") is not None:
        parameters.note(f'"timeout": {compact(parameters.node["timeout"])} minutes of waiting')
    event = CHANNEL_EVENTS.get(channel, channel)
    return Subscription(event, target, reader.where, tolerance=tolerance,
                        label=reader.subject, findings=reader.findings() + parameters.findings())
