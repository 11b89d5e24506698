"""The dashboard, ``orchdsl serve`` (docs/dashboard.md): what is scheduled, what ran, what
failed and why, and how long each phase took, in a browser.

It reads through the store's interface only (``orchdsl.store.StoreReader``), shows the records
``orchdsl jobs``/``job``/``logs --format json`` print (``/api/`` returns them as they are), and
starts jobs the way ``orchdsl run --detach`` does. Pages are rendered on the server (Jinja2),
with a little JavaScript of its own (times in the viewer's zone, live logs by server-sent
events); no build step. It runs on trio (Starlette on Hypercorn's trio worker), needs the
``ui`` extra, and binds 127.0.0.1 unless told otherwise, with a token.

- ``settings``: what one server serves, and the checks on ``--bind``/``--token``.
- ``app``: the ASGI application and its routes; ``server``: Hypercorn on trio.
- ``pages``, ``api``, ``sse``, ``actions``: the handlers; ``views``, ``gantt``, ``graph``:
  what the pages show, computed from the model's records; ``security``: token and CSRF.
"""

from __future__ import annotations

MISSING = ("the dashboard needs the ui extra: pip install 'orchdsl[ui]' ({})")


def missing_extra() -> str | None:
    """Why the dashboard cannot start (its extra is not installed), or None."""
    try:
        import hypercorn.trio  # noqa: F401
        import jinja2  # noqa: F401
        import starlette  # noqa: F401
    except ImportError as exc:
        return MISSING.format(f"{exc.name or exc} is missing")
    return None


__all__ = ["missing_extra"]
