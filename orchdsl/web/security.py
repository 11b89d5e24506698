"""The dashboard's guards (docs/dashboard.md, "Security"): the token every request must carry
when one is set, CSRF tokens on every form that changes something, and headers that keep
pages from being framed or running other scripts.

Both guards are plain ASGI middleware, so a stream of server-sent events passes through them
untouched. The token is compared in constant time; given once in the query
(``/?token=...``), it becomes an HttpOnly, SameSite=Strict cookie and leaves the address bar.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

COOKIE = "orchdsl_token"
CSRF_FIELD = "csrf"
HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


def csrf_token(key: bytes) -> str:
    """The token forms carry: a page of this server holds it, another site cannot read it."""
    return hmac.new(key, b"orchdsl-csrf", hashlib.sha256).hexdigest()


def csrf_ok(key: bytes, given: str | None, headers: dict[str, str]) -> bool:
    """A POST may act: it carries this server's CSRF token, and a browser that says where it
    comes from says it comes from here."""
    origin = headers.get("origin")
    if origin and origin != "null" and origin.split("://", 1)[-1] != headers.get("host"):
        return False
    return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"),
                                                     csrf_token(key).encode())


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class TokenGuard:
    """401 for any request without the token (a header ``Authorization: Bearer TOKEN``, the
    cookie, or ``?token=``), when the server has one."""

    def __init__(self, app, token: str | None):
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.token is None:
            return await self.app(scope, receive, send)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        given = dict(query).get("token")
        if given is not None and self._matches(given):
            return await _redirect_with_cookie(scope, send, self.token,
                                               [(k, v) for k, v in query if k != "token"])
        if self._matches(self._carried(scope)):
            return await self.app(scope, receive, send)
        await _send(send, 401, b"this dashboard needs its token: open it as /?token=TOKEN or "
                    b"send the header Authorization: Bearer TOKEN\n",
                    [(b"www-authenticate", b'Bearer realm="orchdsl"')])

    def _carried(self, scope) -> str | None:
        authorization = _header(scope, b"authorization") or ""
        if authorization.lower().startswith("bearer "):
            return authorization[7:].strip()
        cookie = SimpleCookie()
        try:
            cookie.load(_header(scope, b"cookie") or "")
        except Exception:  # noqa: BLE001 - a malformed cookie header carries no token
            return None
        return cookie[COOKIE].value if COOKIE in cookie else None

    def _matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"),
                                                         self.token.encode("utf-8", "replace"))


async def _redirect_with_cookie(scope, send, token: str, query) -> None:
    location = scope.get("path", "/") + (f"?{urlencode(query)}" if query else "")
    cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
    await _send(send, 303, b"", [(b"location", location.encode()),
                                 (b"set-cookie", cookie.encode())])


async def _send(send, status: int, body: bytes, headers: list) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *HEADERS, *headers]})
    await send({"type": "http.response.body", "body": body})


class Headers:
    """Security headers on every response, and ``Server-Timing: app;dur=MS``: how long the
    server took until the response started (what bench/bench_web.py measures)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()

        async def sending(message):
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - start) * 1000
                present = {k for k, _ in message.get("headers", ())}
                message = {**message, "headers": [
                    *message.get("headers", ()), *(h for h in HEADERS if h[0] not in present),
                    (b"server-timing", f"app;dur={took:.1f}".encode())]}
            await send(message)

        await self.app(scope, receive, sending)
