"""The dashboard's ASGI application: its routes, the guards around them, and what every
handler shares (``app.state``: the settings, the store's readers, the compiled files)."""

from __future__ import annotations

from importlib import resources

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from orchdsl.store import StoreError
from orchdsl.web import actions, api, pages
from orchdsl.web.readers import Readers
from orchdsl.web.security import Headers, TokenGuard
from orchdsl.web.settings import Settings
from orchdsl.web.views import Compiler

STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".svg": "image/svg+xml"}


def _static_files() -> dict[str, tuple[bytes, str]]:
    """The assets shipped in the package, read once: a request names one of these or gets
    404 (no path from a request ever reaches the file system)."""
    found = {}
    for item in resources.files("orchdsl.web").joinpath("static").iterdir():
        kind = next((t for e, t in STATIC_TYPES.items() if item.name.endswith(e)), None)
        if kind:
            found[item.name] = (item.read_bytes(), kind)
    return found


async def _store_error(request: Request, exc: Exception):
    """The store could not be read (a lost server, a damaged file): said on the page."""
    return pages.problem(request, 503, "The store cannot be read", str(exc))


def build_app(settings: Settings) -> Starlette:
    static = _static_files()

    async def asset(request: Request):
        found = static.get(request.path_params["name"])
        if found is None:
            return Response("no such file\n", status_code=404, media_type="text/plain")
        return Response(found[0], media_type=found[1],
                        headers={"cache-control": "public, max-age=300"})

    async def log_stream(request: Request):
        from orchdsl.web.logs import stream

        job_id = pages._positive(request.path_params["job_id"])
        if job_id is None:
            return Response("no such job\n", status_code=404, media_type="text/plain")
        after = pages._positive(request.headers.get("last-event-id")) or \
            pages._positive(request.query_params.get("after")) or 0
        events = stream(request.app.state.readers, job_id, after,
                        request.query_params.get("task") or None)
        return StreamingResponse(events, media_type="text/event-stream",
                                 headers={"cache-control": "no-store",
                                          "x-accel-buffering": "no"})

    routes = [
        Route("/", pages.orchestrations),
        Route("/orchestration", pages.orchestration),
        Route("/jobs", pages.jobs),
        Route("/jobs/{job_id}", pages.job),
        Route("/jobs/{job_id}/graph", pages.graph),
        Route("/jobs/{job_id}/logs", pages.logs),
        Route("/jobs/{job_id}/logs/stream", log_stream),
        Route("/run", actions.run_now, methods=["POST"]),
        Route("/jobs/{job_id}/rerun", actions.rerun, methods=["POST"]),
        Route("/jobs/{job_id}/cancel", actions.cancel, methods=["POST"]),
        Route("/api/orchestrations", api.orchestrations),
        Route("/api/jobs", api.jobs),
        Route("/api/jobs/{job_id}", api.job),
        Route("/api/jobs/{job_id}/logs", api.logs),
        Route("/static/{name}", asset),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Headers),
                                               Middleware(TokenGuard, token=settings.token)],
                    exception_handlers={StoreError: _store_error})
    app.state.settings = settings
    app.state.readers = Readers(settings.store)
    app.state.compiler = Compiler()
    app.state.runners = set()  # the nannies of runs started here (settings.reap_runners)
    return app
