"""Webhook notifications: an HTTP ``POST`` of JSON (LANGUAGE.md 7), or Slack's ``text``
payload for ``https://hooks.slack.com/...``, sent with httpx on trio.

A 2xx answer delivers. A 5xx, 408 or 429 answer, a refused connection or no answer within
the attempt's timeout is retried; other answers (a 404, a 401) fail at once: trying again
cannot help. Redirects are not followed: a webhook URL that moved is a setting to fix.
"""

from __future__ import annotations

from orchdsl.notify.delivery import DeliveryError
from orchdsl.notify.mail import headline
from orchdsl.notify.summary import Summary, iso_utc
from orchdsl.notify.targets import is_slack

RETRIED_STATUS = frozenset({408, 429})
ICONS = {"error": ":x:", "warning": ":warning:", "success": ":white_check_mark:",
         "fixed": ":white_check_mark:", "processing": ":hourglass_flowing_sand:"}
USER_AGENT = "orchdsl-notify"


def payload(summary: Summary) -> dict:
    """The JSON document: the keys of docs/reference.md ("Notifications"), and the reasons,
    masked, of the job and of each task (why it failed, was skipped or cancelled)."""
    return {
        "orchestration": summary.orchestration,
        "file": summary.file,
        "job_id": summary.job_id,
        "event": summary.event.value,
        "status": summary.status,
        "reason": summary.reason,
        "started_at": iso_utc(summary.started_at),
        "finished_at": iso_utc(summary.finished_at),
        "duration_s": round(summary.duration_s, 3) if summary.duration_s is not None else None,
        "tasks": [{"name": t.name, "phase": t.phase, "state": t.state, "attempts": t.attempts,
                   "exit_code": t.exit_code, "reason": t.reason} for t in summary.tasks],
    }


def slack_payload(summary: Summary) -> dict:
    """Slack's incoming-webhook ``{"text": ...}`` in its mrkdwn: a headline, the failed tasks
    with their last output line, and the command that shows the rest."""
    icon = ICONS[summary.event.value]
    lines = [f"{icon} *{_slack(summary.orchestration)}*: {summary.event.value}",
             _slack(headline(summary))]
    for task in summary.failed:
        last = f": `{_slack(task.last_lines[-1])}`" if task.last_lines else ""
        lines.append(f"• {_slack(task.name)} (phase {_slack(task.phase)}) "
                     f"{_slack(task.reason or 'failed')}{last}")
    lines.append(f"`orchdsl job {summary.job_id}`")
    return {"text": "\n".join(lines)}


def body_for(target: str, summary: Summary) -> dict:
    return slack_payload(summary) if is_slack(target) else payload(summary)


def _slack(text: str) -> str:
    """Slack's three control characters (its formatting docs): &, < and >."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")


class WebhookTransport:
    """Posts JSON with an ``httpx.AsyncClient`` (one per notifier; give one with a
    ``transport=`` to reach what a test cannot serve)."""

    def __init__(self, client):
        self.client = client

    async def send(self, url: str, document: dict, timeout_s: float) -> None:
        import httpx

        try:
            response = await self.client.post(url, json=document, timeout=timeout_s,
                                              headers={"User-Agent": USER_AGENT})
        except httpx.TimeoutException:
            raise DeliveryError(f"no answer within {timeout_s:g}s") from None
        except httpx.InvalidURL as exc:  # the same URL next time
            raise DeliveryError(f"invalid URL: {exc}", permanent=True) from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{exc.__class__.__name__}: {_reason(exc)}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        permanent = status < 500 and status not in RETRIED_STATUS
        raise DeliveryError(f"HTTP {status} {response.reason_phrase}".rstrip(),
                            permanent=permanent)


def _reason(exc: Exception) -> str:
    """httpx errors may quote the URL (a token in its path or query): only the cause."""
    cause = exc.__cause__ or exc.__context__
    text = str(cause or exc) or exc.__class__.__name__
    return " ".join(text.split())
