"""E-mail notifications: the SMTP server from ``ORCHDSL_SMTP_URL``, the message, the sending.

``ORCHDSL_SMTP_URL`` forms (LANGUAGE.md 7)::

    smtp://host                       plain SMTP, port 25
    smtp://user:pass@host:587?starttls=true   STARTTLS (default port 587 with it)
    smtps://user:pass@host            implicit TLS, port 465

User and password are percent-decoded (``%40`` for ``@``). They never appear in an error
message, a log line or the job store: ``SmtpSettings.shown`` stands in for the URL.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

from orchdsl.notify.delivery import DeliveryError
from orchdsl.notify.summary import Summary, iso_utc, shown_duration

URL_VARIABLE = "ORCHDSL_SMTP_URL"
FROM_VARIABLE = "ORCHDSL_MAIL_FROM"
PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


class MailConfigError(ValueError):
    """``ORCHDSL_SMTP_URL`` cannot be used; the message is one line, without credentials."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: bool = False  # smtps://: TLS from the first byte
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "orchdsl@localhost"

    @property
    def shown(self) -> str:
        scheme = "smtps" if self.tls else "smtp"
        user = "***@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}" + ("?starttls=true" * self.starttls)

    @property
    def credentials(self) -> tuple[str, ...]:
        """What to mask everywhere: the password (the user name is kept out of messages by
        ``shown``; masking it too would hide every address that starts with it)."""
        return (self.password,) if self.password else ()


def smtp_settings(environ: Mapping[str, str]) -> SmtpSettings | None:
    """The SMTP server to send through; None when ``ORCHDSL_SMTP_URL`` is not set. Raises
    MailConfigError."""
    url = environ.get(URL_VARIABLE, "").strip()
    if not url:
        return None
    sender = environ.get(FROM_VARIABLE, "").strip() or f"orchdsl@{socket.gethostname()}"
    return parse_smtp_url(url, sender)


def parse_smtp_url(url: str, sender: str = "orchdsl@localhost") -> SmtpSettings:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise MailConfigError(f"{URL_VARIABLE}: invalid port in {_without_credentials(url)}; "
                              "expected smtp://[user:pass@]host[:port]") from None
    shown = _without_credentials(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise MailConfigError(f'{URL_VARIABLE}: "{shown}" must start with smtp:// or smtps://')
    if not parts.hostname:
        raise MailConfigError(f'{URL_VARIABLE}: "{shown}" names no host')
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(options) - {"starttls"})
    if unknown:
        raise MailConfigError(f'{URL_VARIABLE}: unknown option "{unknown[0]}" (known: starttls)')
    starttls = options.get("starttls", "false").lower()
    if starttls not in TRUE + FALSE:
        raise MailConfigError(f'{URL_VARIABLE}: starttls must be true or false, got "{starttls}"')
    starttls_on = starttls in TRUE
    if starttls_on and parts.scheme == "smtps":
        raise MailConfigError(f"{URL_VARIABLE}: smtps:// is TLS already; starttls=true is for "
                              "smtp://")
    key = "smtp+starttls" if starttls_on else parts.scheme
    return SmtpSettings(
        host=parts.hostname, port=port or PORTS[key], tls=parts.scheme == "smtps",
        starttls=starttls_on, username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None, sender=sender)


def _without_credentials(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "***" if "@" in url else url
    if "@" in rest:
        # Up to the last "@": a password may hold an unencoded "/" (then the URL does not
        # parse, and this is the text an error shows).
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url


# -- the message -------------------------------------------------------------------------------

def subject(summary: Summary) -> str:
    return f"[orchdsl] {summary.orchestration}: {summary.event.value}"


def compose(summary: Summary, recipient: str, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject(summary)
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    message["X-Orchdsl-Job"] = str(summary.job_id)
    message.set_content(body(summary))
    return message


def body(summary: Summary) -> str:
    out = [f"{summary.orchestration}: {summary.event.value}", "", headline(summary)]
    if summary.description:
        out.append(summary.description)
    out += ["", f"File:      {summary.file}", f"Trigger:   {summary.trigger}",
            f"Started:   {iso_utc(summary.started_at) or '-'}",
            f"Finished:  {iso_utc(summary.finished_at) or '-'}"]
    if summary.failed:
        out += ["", "Failed tasks:"]
        for task in summary.failed:
            tries = f", {task.attempts} attempts" if task.attempts > 1 else ""
            out.append(f"  {task.name} (phase {task.phase}): {task.reason or 'failed'}{tries}")
            out += [f"    | {line}" for line in task.last_lines]
    if summary.tasks:
        width = max(len(t.name) for t in summary.tasks)
        phase_width = max(len(t.phase) for t in summary.tasks)
        out += ["", "Tasks:"]
        out += [f"  {t.name:<{width}}  {t.phase:<{phase_width}}  {t.state}" for t in summary.tasks]
    out += ["", f"Details:   orchdsl job {summary.job_id}"]
    if summary.failed:
        out.append(f"Output:    orchdsl logs {summary.job_id} {summary.failed[0].name}")
    return "\n".join(out) + "\n"


def headline(summary: Summary) -> str:
    """One sentence: what happened to the job (shared by e-mail and Slack)."""
    took = shown_duration(summary.duration_s)
    job = f"Job {summary.job_id}"
    if summary.status == "processing":
        return f"{job} is still running after {took}."
    why = summary.reason or (f"task {', '.join(t.name for t in summary.failed)} failed"
                             if summary.failed else None)
    line = f"{job} ended in {summary.status} after {took}" + (f": {why}." if why else ".")
    if summary.event.value == "fixed":
        line += " The job before it did not succeed."
    return line


# -- sending ------------------------------------------------------------------------------------

class SmtpTransport:
    """Sends through a real SMTP server with smtplib, in a worker thread (it blocks)."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    async def send(self, message: EmailMessage, timeout_s: float) -> None:
        import trio

        # Abandoned on cancel (the attempt's timeout): smtplib's own timeout ends the thread.
        await trio.to_thread.run_sync(self._send, message, timeout_s, abandon_on_cancel=True)

    def _send(self, message: EmailMessage, timeout_s: float) -> None:
        import smtplib
        import ssl

        s = self.settings
        try:
            if s.tls:
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=timeout_s,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=timeout_s)
            with client:
                if s.starttls:
                    client.starttls(context=ssl.create_default_context())
                if s.username:
                    client.login(s.username, s.password or "")
                client.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"{s.shown} refused the login (SMTP {exc.smtp_code})",
                                permanent=True) from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise DeliveryError(f"{s.shown} refused the recipient: {code} {_text(text)}",
                                permanent=500 <= code < 600) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"{s.shown} answered {exc.smtp_code} {_text(exc.smtp_error)}",
                                permanent=500 <= exc.smtp_code < 600) from None
        except smtplib.SMTPNotSupportedError as exc:  # no AUTH or STARTTLS: for good
            raise DeliveryError(f"{s.shown}: {exc}", permanent=True) from None
        except smtplib.SMTPException as exc:
            raise DeliveryError(f"{s.shown}: {exc.__class__.__name__}: {exc}") from None
        except ssl.SSLCertVerificationError as exc:  # the same certificate next time
            raise DeliveryError(f"cannot reach {s.shown}: {exc.verify_message or exc}",
                                permanent=True) from None
        except OSError as exc:  # refused, unreachable, timed out, TLS
            raise DeliveryError(f"cannot reach {s.shown}: {exc.strerror or exc}") from None


def _text(raw) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())
