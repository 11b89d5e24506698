"""``/api/``: the records of ``orchdsl jobs``, ``job`` and ``logs --format json``, made by the
same functions (``cli.history_output``, ``cli.logs_cmd.log_documents``), one document with
``"version": 1`` each; and the served orchestrations with their next fires as ``orchdsl
next --format json`` words them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from orchdsl.cli.history_output import as_json, job_data
from orchdsl.cli.jobs_cmd import STATES, TRIGGERS

MOST = 1000  # jobs in one answer


def _json(data: dict, status: int = 200) -> Response:
    return Response(as_json(data), status_code=status, media_type="application/json")


def _error(status: int, message: str) -> Response:
    return _json({"error": message}, status)


def _number(text: str | None, default: int | None = None) -> int | None:
    return int(text) if text and text.isdigit() and 0 < int(text) < 2 ** 63 else default


async def jobs(request: Request):
    from orchdsl.cli.history_view import seen
    from orchdsl.store import JobQuery

    params = request.query_params
    state, trigger = params.get("state") or None, params.get("trigger") or None
    if state not in (None, *STATES) or trigger not in (None, *TRIGGERS):
        return _error(400, f"state is one of {', '.join(STATES)}; trigger one of "
                           f"{', '.join(TRIGGERS)}")
    query = JobQuery(file=params.get("file") or None, state=state, trigger=trigger,
                     before_id=_number(params.get("before")),
                     limit=min(_number(params.get("limit"), 20), MOST))
    found = await request.app.state.readers.read(lambda s: seen(s, s.jobs(query)))
    return _json({"jobs": [job_data(j, with_tasks=False) for j in found]})


async def _job(request: Request):
    from orchdsl.cli.history_view import seen

    job_id = _number(request.path_params["job_id"])
    if job_id is None:
        return None
    return await request.app.state.readers.read(
        lambda s: next(iter(seen(s, [j] if (j := s.job(job_id)) else [])), None))


async def job(request: Request):
    found = await _job(request)
    if found is None:
        return _error(404, f"no job {request.path_params['job_id']} in the store")
    return _json({"job": job_data(found)})


async def logs(request: Request):
    from orchdsl.cli.logs_cmd import log_documents
    from orchdsl.web.logs import collected

    found = await _job(request)
    if found is None:
        return _error(404, f"no job {request.path_params['job_id']} in the store")
    task = request.query_params.get("task") or None
    if task is not None and task not in found.tasks:
        return _error(404, f"job {found.job_id} has no task {task!r}")
    attempt = _number(request.query_params.get("attempt"))
    attempts, _ = await request.app.state.readers.read(
        lambda s: collected(s, found, task, attempt))
    known = {(t.name, a.number) for t in found.tasks.values() for a in t.attempts}
    attempts = [a for a in attempts if (a[0], a[1]) in known]
    return _json({"job": found.job_id, "logs": log_documents(found, attempts)})


async def orchestrations(request: Request):
    from orchdsl.cli.next_cmd import _fire
    from orchdsl.web.views import summary

    state = request.app.state
    paths = state.settings.files.paths()
    summaries = await state.readers.read(
        lambda store: [summary(state.compiler, store, p) for p in paths])
    return _json({"orchestrations": [
        {"file": s.path, "name": s.name, "description": s.description, "error": s.error,
         "next": [_fire(f, False) for f in s.fires],
         "last_job": job_data(s.last, with_tasks=False) if s.last else None}
        for s in summaries]})
