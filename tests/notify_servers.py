"""Real servers on 127.0.0.1 for the notification tests: an SMTP server (aiosmtpd) that keeps
every message it accepts, and an HTTP server that answers webhooks as a test scripts it."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG = "hang"  # an answer that never comes (the connection stays open until the server stops)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return self.message["Subject"]

    @property
    def body(self) -> str:
        return self.message.get_content().replace("\r\n", "\n")


class SmtpServer:
    """aiosmtpd in its own thread; ``users`` makes it require AUTH LOGIN/PLAIN (without TLS:
    the test has no certificate)."""

    def __init__(self, users: dict[str, str] | None = None):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.mails: list[Mail] = []
        self.logins: list[tuple[str, bool]] = []

        def authenticate(server, session, envelope, mechanism, data):
            user, password = data.login.decode(), data.password.decode()
            ok = users.get(user) == password
            self.logins.append((user, ok))
            return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

        options = {}
        if users is not None:
            options = dict(authenticator=authenticate, auth_required=True,
                           auth_require_tls=False)
        for _ in range(5):  # aiosmtpd cannot bind port 0: pick a free one, retry on a race
            self.port = free_port()
            self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
            try:
                self.controller.start()
                break
            except OSError:
                continue
        self.url = f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def recipients(self) -> list[str]:
        return sorted(r for m in self.mails for r in m.recipients)

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class Request:
    path: str
    headers: dict
    body: bytes
    answered: int | str  # the status sent back, or HANG
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self):
        return json.loads(self.body)


class HttpServer:
    """Answers each POST with the next of ``answers`` (the last repeats): a status code or
    HANG. Every request is kept, in order."""

    def __init__(self, answers=(200,)):
        self.answers = list(answers)
        self.requests: list[Request] = []
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = server._next_answer()
                server.requests.append(Request(self.path, dict(self.headers), body, answer))
                if answer == HANG:
                    server._stopping.wait(120)
                    return
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self._lock = threading.Lock()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _next_answer(self):
        with self._lock:
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def stop(self) -> None:
        self._stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class _Server(ThreadingHTTPServer):
    # The default listen backlog of 5 drops the SYNs of many webhooks at once, and the
    # kernel's SYN retransmits (1 s, 2 s, ...) would be measured as the notifier's slowness.
    request_queue_size = 128
