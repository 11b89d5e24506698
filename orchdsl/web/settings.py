"""What one dashboard serves (docs/dashboard.md): the store, the files, the address, the token,
whether actions are allowed; and the rules on them, checked before anything listens.

A bind address other than the loopback one needs a token, else the server refuses to start:
anyone who can reach the port could read every job and start runs otherwise.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import time
from dataclasses import dataclass, field

DEFAULT_BIND = "127.0.0.1:8080"
TOKEN_VARIABLE = "ORCHDSL_UI_TOKEN"
FILES_TTL_S = 2.0  # folders are walked again for new .orch files at most this often


class SettingsError(ValueError):
    """A usage error in the dashboard's options (exit 2); the message says which."""


@dataclass(frozen=True)
class Bind:
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False  # a host name: it may resolve to anything

    def hypercorn(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_bind(text: str) -> Bind:
    """``HOST:PORT``, ``[IPv6]:PORT`` or ``:PORT`` (all interfaces); port 0 picks a free one."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, colon, port = text.rpartition(":")
        port = port if colon else ""
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SettingsError(f"--bind {text}: expected HOST:PORT (like 127.0.0.1:8080)")
    return Bind(host or "0.0.0.0", int(port))


class ServedFiles:
    """The .orch files the dashboard may read: those named and the ``*.orch`` below the folders
    named, as absolute paths. No other file is ever opened (a page asks for a file by its
    path, which must be one of these)."""

    def __init__(self, arguments: tuple[str, ...]):
        self.arguments = tuple(os.path.abspath(a) for a in arguments)
        self._found: tuple[str, ...] = ()
        self._at = -FILES_TTL_S

    def paths(self) -> tuple[str, ...]:
        if time.monotonic() - self._at >= FILES_TTL_S:
            from orchdsl.scheduling.watch import orch_files

            self._found = tuple(dict.fromkeys(os.path.abspath(p)
                                              for p in orch_files(list(self.arguments))))
            self._at = time.monotonic()
        return self._found

    def get(self, path: str | None) -> str | None:
        """``path`` when it is a served file, else None."""
        return path if path and path in self.paths() else None


@dataclass(frozen=True)
class Settings:
    store: str  # the location as given (a URL may hold a password: never shown)
    files: ServedFiles
    bind: Bind
    token: str | None = None
    read_only: bool = False
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))  # signs CSRF tokens
    reap_runners: bool = False  # in a child subreaper (the scheduler): reap the runs it starts

    @property
    def shown_store(self) -> str:
        from orchdsl.store import shown_location

        return shown_location(self.store)


def settings_of(store: str, paths, bind: str, token: str | None,
                read_only: bool = False) -> Settings:
    """Settings from the command line, or SettingsError when they are unsafe or wrong."""
    where = parse_bind(bind)
    token = token or os.environ.get(TOKEN_VARIABLE) or None
    if not where.loopback and not token:
        raise SettingsError(f"--bind {bind} listens beyond this machine: give --token TOKEN "
                            f"(or set {TOKEN_VARIABLE}), which every request must then carry")
    if token is not None and len(token) < 8:
        raise SettingsError("--token: use at least 8 characters")
    for path in paths:
        if not os.path.exists(path):
            raise SettingsError(f"{path}: no such file or folder")
    return Settings(store, ServedFiles(tuple(paths)), where, token, read_only)
