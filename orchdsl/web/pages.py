"""The HTML pages (docs/dashboard.md): orchestrations, jobs, a job, its graph, its logs.
Each handler reads the store in a worker thread (``Readers.read``) and renders a template;
what the store holds is shown as it is (already masked by the runner: secrets never reach it).
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse

from orchdsl.cli.jobs_cmd import STATES, TRIGGERS
from orchdsl.web.render import page
from orchdsl.web.security import csrf_token

JOBS_PER_PAGE = 50
TASKS_PER_PAGE = 250  # task rows of a job's page; its phases are all shown in brief
LOG_LINES = 5_000  # the last lines of an attempt on the logs page


def html(request: Request, template: str, status: int = 200, **values) -> HTMLResponse:
    settings = request.app.state.settings
    values.setdefault("section", "")
    return HTMLResponse(page(template, store=settings.shown_store, read_only=settings.read_only,
                             csrf=csrf_token(settings.key), **values), status_code=status)


def problem(request: Request, status: int, title: str, message: str, back: str | None = None):
    return html(request, "error.html", status, title=title, message=message, back=back)


def _positive(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and 0 < int(text) < 2 ** 63 else None


async def orchestrations(request: Request):
    from orchdsl.web.views import summary

    state = request.app.state
    paths = state.settings.files.paths()
    summaries = await state.readers.read(
        lambda store: [summary(state.compiler, store, p) for p in paths])
    return html(request, "orchestrations.html", title="Orchestrations",
                section="orchestrations", summaries=summaries)


async def orchestration(request: Request):
    from orchdsl.web.graph import GraphError, svg
    from orchdsl.web.views import summary
    from orchdsl.cli.next_cmd import next_fires
    from datetime import datetime, timezone

    state = request.app.state
    path = state.settings.files.get(request.query_params.get("file"))
    if path is None:
        return problem(request, 404, "No such orchestration",
                       "That file is not one the dashboard serves.", "/")
    found = await state.readers.read(lambda store: summary(state.compiler, store, path))
    compiled = state.compiler.compiled(path)
    graph = graph_error = fires = None
    if not isinstance(compiled, str):
        fires = next_fires([(path, compiled.orchestration.schedules)],
                           datetime.now(timezone.utc), 10)
        try:
            graph = await _thread(svg, compiled)
        except GraphError as exc:
            graph_error = str(exc)
    return html(request, "orchestration.html", title=found.name, section="orchestrations",
                s=found, fires=fires, graph=graph, graph_error=graph_error or found.error)


async def jobs(request: Request):
    from orchdsl.cli.history_view import seen
    from orchdsl.store import JobQuery

    params = request.query_params
    state_, trigger = params.get("state") or None, params.get("trigger") or None
    if state_ not in (None, *STATES) or trigger not in (None, *TRIGGERS):
        return problem(request, 400, "Jobs", "Unknown state or trigger in the filter.", "/jobs")
    query = JobQuery(file=params.get("file") or None, state=state_, trigger=trigger,
                     before_id=_positive(params.get("before")), limit=JOBS_PER_PAGE + 1)
    found = await request.app.state.readers.read(lambda s: seen(s, s.jobs(query)))
    shown = found[:JOBS_PER_PAGE]
    kept = {k: v for k, v in (("file", query.file), ("state", state_), ("trigger", trigger))
            if v}
    older = (f"/jobs?{urlencode({**kept, 'before': shown[-1].job_id})}"
             if len(found) > JOBS_PER_PAGE else None)
    files = list(request.app.state.settings.files.paths())
    if query.file and query.file not in files:
        files.append(query.file)
    return html(request, "jobs.html", title="Jobs", section="jobs", jobs=shown, query=query,
                states=STATES, triggers=TRIGGERS, files=files, older=older,
                newest=f"/jobs?{urlencode(kept)}" if kept else "/jobs")


async def _job(request: Request):
    from orchdsl.cli.history_view import seen

    job_id = _positive(request.path_params["job_id"])
    if job_id is None:
        return None
    return await request.app.state.readers.read(
        lambda s: next(iter(seen(s, [j] if (j := s.job(job_id)) else [])), None))


def _no_job(request: Request):
    return problem(request, 404, "No such job",
                   f"No job {request.path_params['job_id']} in the store.", "/jobs")


async def job(request: Request):
    from orchdsl.cli.history_view import seen
    from orchdsl.model import TaskState
    from orchdsl.store.base import TaskPage
    from orchdsl.web.gantt import timeline

    job_id = _positive(request.path_params["job_id"])
    params = request.query_params
    state_ = params.get("state") or None
    if state_ not in (None, *(s.value for s in TaskState)):
        return problem(request, 400, "Job", "Unknown task state in the filter.")
    query = TaskPage(offset=_positive(params.get("offset")) or 0, limit=TASKS_PER_PAGE,
                     phase=params.get("phase") or None, state=state_)

    def read(store):
        found = store.job_page(job_id, query) if job_id else None
        if found is None:
            return None
        seen(store, [found[0]])
        return *found, store.phase_spans(job_id)

    found = await request.app.state.readers.read(read)
    if found is None:
        return _no_job(request)
    job_, matching, spans = found
    settings = request.app.state.settings
    served = settings.files.get(job_.file) is not None
    rerunnable = job_.state.value in ("error", "warning", "cancelled", "terminated")
    kept = {k: v for k, v in (("phase", query.phase), ("state", state_)) if v}
    more = query.offset + len(job_.tasks) < matching
    return html(request, "job.html", title=f"Job {job_.job_id}", section="jobs", job=job_,
                timeline=timeline(job_, spans), matching=matching, query=query,
                states=[s.value for s in TaskState], phases=[p.name for p in spans],
                total=sum(p.tasks for p in spans),
                newer=(f"?{urlencode({**kept, 'offset': max(query.offset - TASKS_PER_PAGE, 0)})}"
                       if query.offset else None),
                older=f"?{urlencode({**kept, 'offset': query.offset + TASKS_PER_PAGE})}"
                if more else None,
                can_rerun=not settings.read_only and served and rerunnable,
                can_cancel=not settings.read_only and not job_.state.finished,
                refresh=5 if not job_.state.finished else 0,
                not_served=None if served or settings.read_only or not rerunnable else
                "Re-running needs the dashboard to serve this job's file (orchdsl serve "
                "FILE).")


async def graph(request: Request):
    from orchdsl.web.graph import FILLS, GraphError, svg

    found = await _job(request)
    if found is None:
        return _no_job(request)
    state = request.app.state
    path = state.settings.files.get(found.file)
    graph_ = error = None
    changed = False
    if path is None:
        error = "The graph is drawn from the job's file, which the dashboard does not serve."
    else:
        compiled = state.compiler.compiled(path)
        if isinstance(compiled, str):
            error = f"The file does not compile now: {compiled}"
        else:
            text = compiled.document.text.encode("utf-8")
            changed = bool(found.file_hash) and hashlib.sha256(text).hexdigest() != \
                found.file_hash
            try:
                graph_ = await _thread(svg, compiled, found)
            except GraphError as exc:
                error = str(exc)
    return html(request, "graph.html", title=f"Graph of job {found.job_id}", section="jobs",
                job=found, graph=graph_, graph_error=error, changed=changed,
                states=list(FILLS))


async def logs(request: Request):
    from orchdsl.web.logs import attempts_shown

    found = await _job(request)
    if found is None:
        return _no_job(request)
    task = request.query_params.get("task") or None
    if task is not None and task not in found.tasks:
        return problem(request, 404, "No such task",
                       f"Job {found.job_id} has no task {task!r}.", f"/jobs/{found.job_id}")
    attempt = _positive(request.query_params.get("attempt"))
    shown, last_id = await request.app.state.readers.read(
        lambda s: attempts_shown(s, found, task, attempt, LOG_LINES))
    stream = None
    if not found.state.finished:
        stream = f"/jobs/{found.job_id}/logs/stream?" + urlencode(
            {"after": last_id, **({"task": task} if task else {})})
    return html(request, "logs.html", title=f"Logs of job {found.job_id}", section="jobs",
                job=found, attempts=shown, task=task, stream=stream)


async def _thread(fn, *args):
    import anyio.to_thread

    return await anyio.to_thread.run_sync(lambda: fn(*args))
