"""One Keboola task as one orchdsl task (``run`` through the command template), or as
comments when there is nothing orchdsl could start. docs/import-keboola.md, "Tasks"."""

from __future__ import annotations

from orchdsl.importers.keboola.command import Template, kind_of
from orchdsl.importers.keboola.findings import Finding
from orchdsl.importers.keboola.model import Retry, Task, TaskType
from orchdsl.importers.keboola.pipeline import Comments, TaskOut


def task_out(task: Task, name: str, template: Template, reached: bool = True
             ) -> tuple[TaskOut | Comments, tuple[Finding, ...]]:
    """The task (named ``name``) and the findings about it; ``reached`` False disables it."""
    if task.type is TaskType.VARIABLE and task.variable is not None:
        return Comments((f"Keboola {task.label} sets the variable {task.variable[0]}: "
                         f"param {name} (at the top)",)), task.findings
    if task.type is not TaskType.JOB or task.job is None:
        return Comments((f"Keboola {task.label}", *[f.comment for f in task.findings])), \
            task.findings
    findings = task.findings + _options_findings(task, template)
    options = _options(task, reached)
    comments = (f"Keboola {task.label}", *[f.comment for f in findings])
    return TaskOut(name, kind_of(task.job.component), template.command(task.job), options,
                   comments), findings


def _options(task: Task, reached: bool) -> tuple[str, ...]:
    options = []
    if task.timeout_min and task.timeout_min > 0:
        options.append(f"timeout {duration(task.timeout_min * 60)}")
    if task.retry is not None and task.retry.retries > 0:
        backoff = f" backoff {duration(task.retry.delay_s)}" if task.retry.delay_s else ""
        options.append(f"retries {task.retry.retries}{backoff}")
    if task.continue_on_failure:
        options.append("continue_on_failure")
    if not task.enabled or not reached:
        options.append("disabled")
    return tuple(options)


def _options_findings(task: Task, template: Template) -> tuple[Finding, ...]:
    messages = [*_retry_messages(task.retry)]
    if task.delay_s:
        messages.append(f'"delay": Keboola waits {duration(task.delay_s)} before it starts '
                        "the job")
    job = task.job
    unused = [(job.tag, "tag", f'the tag "{job.tag}"'),
              (job.mode != "run", "mode", f'the mode "{job.mode}"'),
              (job.rows, "rows", f"the configuration rows {', '.join(job.rows)}")]
    messages += [f"{what}: the command template has no {{{attribute}}}"
                 for value, attribute, what in unused if value and not template.uses(attribute)]
    return tuple(Finding(task.where, task.label, message) for message in messages)


def _retry_messages(retry: Retry | None) -> list[str]:
    if retry is None or retry.retries == 0:
        return []
    messages = []
    if retry.retries > 1 and retry.delay_s:
        delay = retry.delay_s
        messages.append(f"retry: Keboola waits {duration(delay)} before every retry; orchdsl "
                        f"doubles the wait each time ({duration(delay)}, "
                        f"{duration(2 * delay)}, ...)")
    if retry.retry_on:
        messages.append(f"retry only on errors matching {', '.join(retry.retry_on)}: orchdsl "
                        "retries after any failure")
    return messages


def duration(seconds: int) -> str:
    """An orchdsl duration, largest unit first: 90 -> 1m30s."""
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
