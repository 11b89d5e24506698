"""The ``task`` object of a flow's task: the job it starts (``componentId``, ``configId``...),
or a conditional flow's notification or variable task; and retry strategies."""

from __future__ import annotations

from orchdsl.importers.keboola.fields import ObjectReader
from orchdsl.importers.keboola.findings import Finding, Where
from orchdsl.importers.keboola.json_source import Document, compact
from orchdsl.importers.keboola.model import Job, Retry, Task, TaskType

# Keboola's defaults for a retry object without strategyParams (docs/import-keboola.md).
DEFAULT_RETRIES = 3
DEFAULT_DELAY_S = 10


def read_task_body(document: Document, node: object, subject: str, where: Where) -> Task:
    """A Task holding what ``node`` says (id, name and phase are filled in by the caller)."""
    reader = ObjectReader(document, node if node is not None else {}, subject, where)
    kind = reader.text("type", "job")
    if kind == "notification":
        return _other(reader, TaskType.NOTIFICATION, _notification(reader))
    if kind == "variable":
        return _variable(reader)
    if kind != "job":
        reader.skip(*reader.node)
        return _other(reader, TaskType.OTHER, f'a task of type "{kind}": {compact(node)}')
    return _job_task(document, reader)


def _other(reader: ObjectReader, kind: TaskType, summary: str,
           more: tuple[Finding, ...] = ()) -> Task:
    note = Finding(reader.where, reader.subject, summary)
    return Task("", "", None, kind, reader.where, summary=summary,
                findings=(note,) + reader.findings() + more)


def _job_task(document: Document, reader: ObjectReader) -> Task:
    component = reader.text("componentId")
    config = reader.text("configId")
    tag, mode = reader.text("tag"), reader.text("mode", "run")
    rows = tuple(str(row) for row in reader.items("configRowIds"))
    retry, retry_findings = read_retry(document, reader.raw("retry"), reader.subject,
                                       reader.where)
    delay = reader.integer("delay")
    for key in ("variableValuesId", "variableValuesData", "previousJobId"):
        if reader.raw(key) is not None:
            reader.note(f'"{key}": {compact(reader.node[key])}')
    if not component or not config:
        return _no_job(reader, component, retry_findings)
    job = Job(component, config, tag, mode, rows)
    return Task("", "", None, TaskType.JOB, reader.where, job=job, retry=retry,
                delay_s=delay or None, findings=reader.findings() + retry_findings)


def _no_job(reader: ObjectReader, component: str, more: tuple[Finding, ...]) -> Task:
    if reader.raw("configData") is not None:
        summary = (f"runs {component or 'a component'} with an inline configuration "
                   '("configData"), which no command can start by id')
    else:
        summary = f'no "componentId" and "configId": nothing to start ({compact(reader.node)})'
    return _other(reader, TaskType.OTHER, summary, more)


def _notification(reader: ObjectReader) -> str:
    title, message = reader.text("title"), reader.text("message")
    targets = _recipients(reader.items("recipients")) or _recipients(
        (reader.nested("channel") or {}).get("recipients") or [])
    said = f' ("{message}")' if message else ""
    return (f'a notification task "{title}" to {", ".join(targets) or "nobody"}{said}: orchdsl '
            "sends notifications for the job (notify), not from a phase")


def _recipients(items) -> list[str]:
    found = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict):
            found.append(str(item.get("address") or item.get("url") or compact(item)))
        else:
            found.append(str(item))
    return found


def _variable(reader: ObjectReader) -> Task:
    name, value = reader.text("name"), reader.raw("value")
    source = reader.raw("source")
    if source is not None or value is None or isinstance(value, (dict, list)):
        return _other(reader, TaskType.VARIABLE,
                      f'a variable task setting "{name}" from {compact(source or value)}: only '
                      "a fixed value becomes a param")
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return Task("", "", None, TaskType.VARIABLE, reader.where, variable=(name, text),
                findings=reader.findings())


def read_retry(document: Document, node: object, subject: str, where: Where
               ) -> tuple[Retry | None, tuple[Finding, ...]]:
    """A ``retry`` object: linear strategy, ``maxRetries`` and ``delay`` (seconds)."""
    if node is None:
        return None, ()
    reader = ObjectReader(document, node, subject, where)
    strategy = reader.text("strategy", "linear")
    if strategy != "linear":
        reader.note(f'retry strategy "{strategy}": read as linear')
    params = ObjectReader(document, reader.nested("strategyParams") or {}, subject, reader.where)
    retries = params.integer("maxRetries")
    delay = params.integer("delay")
    retry_on = tuple(compact(item) for item in reader.items("retryOn"))
    retry = Retry(DEFAULT_RETRIES if retries is None else max(retries, 0),
                  DEFAULT_DELAY_S if delay is None else max(delay, 0), retry_on)
    return retry, reader.findings() + params.findings()
