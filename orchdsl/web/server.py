"""The dashboard on Hypercorn's trio worker: in ``orchdsl serve`` alone, or in the nursery of a
running scheduler (``orchdsl scheduler ... --serve ADDR``), where it shares trio with the
schedules (store reads run in worker threads, never on the event loop)."""

from __future__ import annotations

import trio

from orchdsl.web.settings import Settings

GRACE_S = 2.0  # open streams get this long to end at shutdown
REAP_EVERY_S = 2.0


class ListenError(OSError):
    """The address cannot be listened on (in use, not this host's): a usage error."""


async def serve(settings: Settings, stop: trio.Event, *,
                task_status=trio.TASK_STATUS_IGNORED) -> None:
    """Serve until ``stop`` is set. ``task_status.started`` gets the address it listens on
    (``http://127.0.0.1:8080``); a port that cannot be bound raises OSError before that."""
    from hypercorn.config import Config
    from hypercorn.trio import serve as hypercorn_serve

    from orchdsl.web.app import build_app

    config = Config()
    config.bind = [f"fd://{_listen(settings)}"]
    config.accesslog = None
    config.loglevel = "WARNING"
    config.graceful_timeout = GRACE_S
    app = build_app(settings)
    try:
        async with trio.open_nursery() as nursery:
            if settings.reap_runners:
                nursery.start_soon(_reap, app.state.runners)
            await hypercorn_serve(app, config, shutdown_trigger=stop.wait,
                                  task_status=_first(task_status))
            nursery.cancel_scope.cancel()
    finally:
        app.state.readers.close()


async def _reap(nannies: set) -> None:
    """Wait for the nannies (web.nanny) of the runs started here once they have ended, each
    by its own pid: never any other child, the scheduler's own are trio's to wait for."""
    while True:
        await trio.sleep(REAP_EVERY_S)
        for nanny in list(nannies):
            if nanny.poll() is not None:
                nannies.discard(nanny)


def _listen(settings: Settings) -> int:
    """A bound socket's file descriptor, handed over to Hypercorn (``fd://``): binding here
    lets a port in use or an address not of this host be one line, exit 2."""
    import socket

    where = settings.bind
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            where.host, where.port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
        except OSError:
            sock.close()
            raise
    except OSError as exc:
        raise ListenError(exc.errno, f"cannot listen on {where.hypercorn()}: "
                                     f"{exc.strerror or exc}") from None
    return sock.detach()


async def serve_beside(settings: Settings, command: str, *,
                       task_status=trio.TASK_STATUS_IGNORED) -> None:
    """The dashboard in another command's nursery (``orchdsl scheduler --serve``): its
    address on stderr, then serving until cancelled."""
    import dataclasses
    import sys

    settings = dataclasses.replace(settings, reap_runners=True)
    async with trio.open_nursery() as nursery:
        address = await nursery.start(serve, settings, trio.Event())
        sys.stderr.write(f"orchdsl {command}: dashboard on {url(address)}\n")
        sys.stderr.flush()
        task_status.started(address)


class _first:
    """Hypercorn reports every address it listens on; the caller wants the first one."""

    def __init__(self, status):
        self.status = status

    def started(self, binds=None):
        self.status.started(binds[0] if binds else None)


def url(address: str | None) -> str:
    return (address or "").rstrip("/") + "/"
