"""Where a store is: ``--store`` and ``ORCHDSL_STORE`` take a file, ``sqlite:///PATH`` or
``postgresql://[user[:password]@]host[:port]/database[?key=value...]`` (docs/reference.md). A
location is shown with its password as ``***``, everywhere: output, errors, logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from orchdsl.store.base import StoreError

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def kind_of(location: str) -> tuple[str, str]:
    """("sqlite", path) or ("postgresql", url)."""
    if location.startswith(POSTGRES_SCHEMES):
        return "postgresql", location
    if location.startswith("sqlite://"):
        path = location[len("sqlite://"):]
        if not path.startswith("/"):
            raise StoreError(f"{location}: a SQLite URL is sqlite:///ABSOLUTE/PATH")
        return "sqlite", path
    if "://" in location:
        scheme = location.split("://", 1)[0]
        raise StoreError(f"{shown_location(location)}: unknown kind of store {scheme!r} (a file, "
                         "sqlite:///PATH or postgresql://...)")
    return "sqlite", location


def shown_location(location: str) -> str:
    """A location as it may be shown: the password of a URL as ``***`` (also one written
    raw, with ``@`` or ``/`` in it, and a ``password=`` parameter)."""
    match = re.match(r"^([A-Za-z][\w+.-]*://)(.*)$", location, re.S)
    if match is None:
        return location
    scheme, rest = match.groups()
    if "@" in rest:
        userinfo, _, after = rest.rpartition("@")
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        rest = f"{userinfo}@{after}"
    return scheme + re.sub(r"(?i)(password=)[^&]*", r"\1***", rest)


def without_password(location: str) -> str:
    """The location with no password at all (what a task may be given: libpq still finds
    one in ~/.pgpass or PGPASSWORD)."""
    return shown_location(location).replace(":***@", "@").replace("password=***&", "") \
        .replace("&password=***", "").replace("?password=***", "")


@dataclass(frozen=True)
class PostgresTarget:
    """A PostgreSQL URL taken apart: what psycopg connects with, and how it is shown."""

    shown: str
    params: dict = field(default_factory=dict)  # libpq keywords: host, port, user, ...
    secrets: tuple[str, ...] = ()  # what must never be shown (the password, as given)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def postgres_target(url: str) -> PostgresTarget:
    """Parse ``postgresql://[user[:password]@]host[:port]/database[?key=value...]``; a bad
    URL is a StoreError that shows it without its password."""
    shown = shown_location(url)
    scheme, _, rest = url.partition("://")
    # The last @ ends the user part, even when a raw password holds "@", "/" or "?".
    userinfo, _, rest = rest.rpartition("@")
    authority, slash, tail = rest.partition("/")
    user, _, password = userinfo.partition(":")
    try:
        parts = urlsplit(f"{scheme}://{authority}/{tail}")
        port = parts.port
    except ValueError as exc:
        raise StoreError(f"{shown}: not a PostgreSQL URL ({exc}); the form is "
                         "postgresql://[user[:password]@]host[:port]/database") from None
    database = unquote(parts.path.lstrip("/"))
    if not slash or not database:
        raise StoreError(f"{shown}: the URL names no database; the form is "
                         "postgresql://[user[:password]@]host[:port]/database")
    params: dict = {"dbname": database}
    if parts.hostname:
        params["host"] = unquote(parts.hostname)
    if port:
        params["port"] = port
    if user:
        params["user"] = unquote(user)
    if password:
        params["password"] = unquote(password)
    params.update(parse_qsl(parts.query))
    secrets = tuple(s for s in {password, unquote(password), params.get("password", "")} if s)
    return PostgresTarget(shown, params, tuple(sorted(secrets, key=len, reverse=True)))
