"""The dashboard on Hypercorn's trio worker: in ``orchdsl serve`` alone, or in the nursery of a
running scheduler (``orchdsl scheduler ... --serve ADDR``), where it shares trio with the
schedules (store reads run in worker threads, never on the event loop)."""

from __future__ import annotations

import trio

from orchdsl.web.settings import Settings

GRACE_S = 2.0  # open streams get this long to end at shutdown


async def serve(settings: Settings, stop: trio.Event, *,
                task_status=trio.TASK_STATUS_IGNORED) -> None:
    """Serve until ``stop`` is set. ``task_status.started`` gets the address it listens on
    (``http://127.0.0.1:8080``); a port that cannot be bound raises OSError before that."""
    from hypercorn.config import Config
    from hypercorn.trio import serve as hypercorn_serve

    from orchdsl.web.app import build_app

    config = Config()
    config.bind = [settings.bind.hypercorn()]
    config.accesslog = None
    config.loglevel = "WARNING"
    config.graceful_timeout = GRACE_S
    app = build_app(settings)
    try:
        await hypercorn_serve(app, config, shutdown_trigger=stop.wait,
                              task_status=_first(task_status))
    finally:
        app.state.readers.close()


class _first:
    """Hypercorn reports every address it listens on; the caller wants the first one."""

    def __init__(self, status):
        self.status = status

    def started(self, binds=None):
        self.status.started(binds[0] if binds else None)


def url(address: str | None) -> str:
    return (address or "").rstrip("/") + "/"
