"""Where attempts run, as ``--executor`` and ``ORCHDSL_EXECUTOR`` say it (docs/cluster.md):
``local`` (this machine), or a Dask scheduler: ``dask://HOST[:PORT]`` (plain TCP, what
``dask scheduler`` prints as ``tcp://``, which is taken too) or ``tls://HOST[:PORT]``.

Parsing imports neither trio nor distributed: the command line checks a flag before it
loads either.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

EXECUTOR_VARIABLE = "ORCHDSL_EXECUTOR"
DEFAULT_PORT = 8786  # the port ``dask scheduler`` listens on unless told otherwise
SCHEMES = {"dask": "tcp", "tcp": "tcp", "tls": "tls"}
EXPECTED = "expected local, dask://HOST:PORT or tls://HOST:PORT"
MISSING = 'the Dask executor needs the distributed package: pip install "orchdsl[dask]"'
KEY_PREFIX = "orchdsl-"  # of every attempt's Dask key, and of every coordinator's topic


@dataclass(frozen=True, slots=True)
class DaskAddress:
    scheme: str  # as written: dask, tcp or tls
    host: str
    port: int

    @property
    def connect_to(self) -> str:
        """The address as distributed's Client takes it."""
        return f"{SCHEMES[self.scheme]}://{self._host()}:{self.port}"

    def __str__(self) -> str:
        return f"{self.scheme}://{self._host()}:{self.port}"

    def _host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host


def parse_executor(text: str) -> DaskAddress | None:
    """None for ``local``; raises ValueError with a message that never repeats a password."""
    text = text.strip()
    if text == "local":
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"{shown(text)}: {EXPECTED}") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError(f"{shown(text)}: {EXPECTED}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{shown(text)}: a Dask scheduler takes no user or password in its "
                         "URL (secure it with TLS: docs/cluster.md)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{shown(text)}: {EXPECTED} (nothing after the port)")
    return DaskAddress(parts.scheme, parts.hostname, port or DEFAULT_PORT)


def shown(text: str) -> str:
    """The URL without the credentials it may hold (``user:password@``)."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    return f"{scheme}://{authority}{slash}{tail}"
