"""Which kind of Keboola JSON a file holds, and reading it as that kind.

A file is one object or a list of them. An object is either a configuration as the Storage
API returns it (``name``, ``id`` and its ``configuration``) or a configuration's content
alone; the content says the kind (docs/import-keboola.md, "What is read").
"""

from __future__ import annotations

from dataclasses import replace

from orchdsl.importers.keboola.fields import ObjectReader
from orchdsl.importers.keboola.findings import ImportFailure
from orchdsl.importers.keboola.json_source import Document, JsonObject
from orchdsl.importers.keboola.model import Flow, FlowKind, Input, Schedule
from orchdsl.importers.keboola.read_flow import read_flow
from orchdsl.importers.keboola.read_legacy import read_legacy
from orchdsl.importers.keboola.read_schedules import (is_schedule, is_subscription,
                                                      read_schedule, read_subscription)

COMPONENT_KINDS = {"orchestrator": FlowKind.LEGACY, "keboola.orchestrator": FlowKind.FLOW,
                   "keboola.flow": FlowKind.CONDITIONAL}
SCHEDULER = "keboola.scheduler"
# A Storage API configuration's own fields, around its content: none says what runs when.
WRAPPER_METADATA = ("created", "creatorToken", "version", "changeDescription", "isDeleted",
                    "currentVersion", "rows", "state", "rowsSortOrder", "component",
                    "componentId", "configuration")
NONE_OF_THE_KINDS = (
    "not a Keboola orchestration, flow, schedule or notification subscription (expected "
    '"phases" and "tasks", "tasks" with "component", "schedule" with "cronTab", or "event" '
    'and "recipient")')


def read_document(document: Document) -> Input:
    value = document.value
    if isinstance(value, list):
        return _read_list(document, value)
    if not isinstance(value, dict):
        raise ImportFailure(document.where(), NONE_OF_THE_KINDS)
    return _read_object(document, value)


def _read_list(document: Document, items: list) -> Input:
    if not items:
        raise ImportFailure(document.where(), "an empty list: nothing to convert")
    schedules, subscriptions = [], []
    for item in items:
        if isinstance(item, dict) and is_subscription(item):
            subscriptions.append(read_subscription(document, item))
        elif isinstance(item, dict) and is_schedule(_content(item)):
            schedules.append(_schedule(document, item))
        else:
            raise ImportFailure(document.where(item), "a list may hold schedules and "
                                "notification subscriptions; this item is neither")
    return Input(document.path, _list_summary(schedules, subscriptions),
                 schedules=tuple(schedules), subscriptions=tuple(subscriptions))


def _list_summary(schedules: list, subscriptions: list) -> str:
    parts = [f"{len(items)} {word}{'s' if len(items) != 1 else ''}"
             for items, word in ((schedules, "schedule"),
                                 (subscriptions, "notification subscription")) if items]
    return " and ".join(parts)


def _content(node: dict) -> dict:
    inner = node.get("configuration")
    return inner if isinstance(inner, dict) else node


def _read_object(document: Document, node: JsonObject) -> Input:
    if is_subscription(node):
        subscription = read_subscription(document, node)
        return Input(document.path, "a notification subscription",
                     subscriptions=(subscription,))
    content = _content(node)
    component = str(node.get("componentId") or node.get("component") or "")
    if component == SCHEDULER or is_schedule(content):
        schedule = _schedule(document, node)
        return Input(document.path, f"a {schedule.label}", schedules=(schedule,))
    kind = COMPONENT_KINDS.get(component) or flow_kind(content)
    if kind is None:
        raise ImportFailure(document.where(node), NONE_OF_THE_KINDS)
    return _flow(document, node, content, kind)


def flow_kind(content: dict) -> FlowKind | None:
    phases, tasks = content.get("phases"), content.get("tasks")
    if isinstance(phases, list) and isinstance(tasks, (list, type(None))):
        conditional = any(isinstance(p, dict) and "next" in p for p in phases) or any(
            isinstance(t, dict) and isinstance(t.get("task"), dict) and "type" in t["task"]
            for t in tasks or ())
        return FlowKind.CONDITIONAL if conditional else FlowKind.FLOW
    legacy_keys = ("crontabRecord", "notifications", "crontabTimezone")
    if isinstance(tasks, list) and (any(key in content for key in legacy_keys) or any(
            isinstance(t, dict) and ("component" in t or "componentUrl" in t) for t in tasks)):
        return FlowKind.LEGACY
    return None


def _schedule(document: Document, node: JsonObject) -> Schedule:
    reader = ObjectReader(document, node, "schedule")
    if _content(node) is node:  # a configuration's content, or the Scheduler API's schedule
        schedule_id = reader.identifier("id")
        return read_schedule(document, reader, f"schedule {schedule_id}" if schedule_id
                             else "schedule")
    label = _configuration_label(reader)
    reader.skip(*WRAPPER_METADATA, "isDisabled", "description")
    schedule = read_schedule(document, ObjectReader(document, node["configuration"], label),
                             label)
    return replace(schedule, findings=schedule.findings + reader.findings())


def _configuration_label(wrapper: ObjectReader) -> str:
    config_id, name = wrapper.identifier("id"), wrapper.text("name")
    label = f"schedule {config_id}" if config_id else "schedule"
    return f'{label} ("{name}")' if name else label


def _flow(document: Document, node: JsonObject, content: dict, kind: FlowKind) -> Input:
    wrapper = ObjectReader(document, node, "configuration")
    wrapped = content is not node
    config_id = wrapper.identifier("id") if wrapped else ""
    name = wrapper.text("name") if wrapped else ""
    description = wrapper.text("description") if wrapped else ""
    if wrapped and wrapper.boolean("isDisabled", False):
        wrapper.note("the configuration is disabled in Keboola; the converted file runs")
    wrapper.skip(*WRAPPER_METADATA)
    flow = Flow(kind, name, document.where(node), config_id or "", description,
                findings=wrapper.findings() if wrapped else ())
    reader = ObjectReader(document, content, "configuration")
    flow = (read_legacy(document, reader, flow) if kind is FlowKind.LEGACY
            else read_flow(document, reader, kind, flow))
    return Input(document.path, _flow_summary(flow), flow=flow)


def _flow_summary(flow: Flow) -> str:
    what = " configuration" if flow.kind is not FlowKind.LEGACY else ""
    ids = f"{what} {flow.config_id}" if flow.config_id else ""
    name = f' "{flow.name}"' if flow.name else ""
    return f"{flow.kind.value}{ids}{name}"
