"""What the dashboard does besides showing (docs/dashboard.md, "Actions"): run a served file
now, re-run a job's failed tasks, cancel a running job. POST only, with the page's CSRF token,
refused with ``--read-only``.

Runs start as ``orchdsl run FILE --detach`` does (cli/detach.py): a runner of its own that
outlives the dashboard, recording in the same store (named by ``ORCHDSL_STORE`` in its
environment, never on its command line, where a password would show). A re-run is
``orchdsl run FILE --rerun JOB --detach``: the tasks that succeeded are left out and the new
job links to the old one. A cancel is ``orchdsl cancel --no-wait``: a request through the
store, which the job's runner reads with its heartbeat.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import parse_qs

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import RedirectResponse

from orchdsl.web.pages import problem, _job, _no_job
from orchdsl.web.security import CSRF_FIELD, csrf_ok

MOST_BODY = 64 * 1024
RUN_TIMEOUT_S = 60
CANCELLED_BY = "the dashboard"


async def _form(request: Request) -> dict[str, str] | None:
    """The posted form, when it may act (CSRF token, not read-only); else None."""
    body = b""
    async for part in request.stream():
        body += part
        if len(body) > MOST_BODY:
            return None
    fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    settings = request.app.state.settings
    if settings.read_only or not csrf_ok(settings.key, fields.get(CSRF_FIELD),
                                         dict(request.headers)):
        return None
    return fields


def _nannies(request: Request) -> set | None:
    state = request.app.state
    return state.runners if state.settings.reap_runners else None


def _refused(request: Request):
    if request.app.state.settings.read_only:
        return problem(request, 403, "Read-only", "This dashboard was started with "
                       "--read-only: it shows jobs, it does not start or stop them.")
    return problem(request, 403, "Refused", "The form did not carry this page's CSRF token "
                   "(reload the page and try again).")


def run_detached(store: str, path: str, *extra: str, nannies: set | None = None
                 ) -> tuple[int | None, str]:
    """Start ``orchdsl run PATH EXTRA... --detach``: (the new job's id, "") or (None, why
    not). With ``nannies``, through web.nanny, whose process is added to it (beside the
    scheduler: see there)."""
    env = {**os.environ, "ORCHDSL_STORE": store}
    env.pop("ORCHDSL_DETACHED_FD", None)
    command = [sys.executable, "-m", "orchdsl", "run", path, *extra, "--detach"]
    try:
        if nannies is None:
            done = subprocess.run(command, cwd=os.path.dirname(path), env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT_S)
            said, code = done.stdout.decode("utf-8", "replace"), done.returncode
        else:
            said, code = _through_nanny(command, path, env, nannies)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"orchdsl run could not start: {exc}"
    found = re.search(r"^job (\d+) ", said, re.MULTILINE)
    if code == 0 and found:
        return int(found.group(1)), ""
    lines = [line for line in said.strip().splitlines() if line.strip()]
    return None, "\n".join(lines[:20]) or f"orchdsl run exited {code}"


def _through_nanny(command, path, env, nannies: set) -> tuple[str, int]:
    from orchdsl.web.nanny import MARK

    nanny = subprocess.Popen([sys.executable, "-m", "orchdsl.web.nanny", *command],
                             cwd=os.path.dirname(path), env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    nannies.add(nanny)
    said = nanny.stdout.read().decode("utf-8", "replace")  # to the end: the nanny lets go
    nanny.stdout.close()
    text, _, code = said.rpartition(f"\n{MARK}")
    return text, int(code) if code.strip().isdigit() else 2


async def run_now(request: Request):
    fields = await _form(request)
    if fields is None:
        return _refused(request)
    settings = request.app.state.settings
    path = settings.files.get(fields.get("file"))
    if path is None:
        return problem(request, 404, "No such orchestration",
                       "That file is not one the dashboard serves.", "/")
    job_id, error = await anyio.to_thread.run_sync(
        lambda: run_detached(settings.store, path, nannies=_nannies(request)))
    if job_id is None:
        return problem(request, 409, "The run did not start", error, "/")
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


async def rerun(request: Request):
    fields = await _form(request)
    if fields is None:
        return _refused(request)
    found = await _job(request)
    if found is None:
        return _no_job(request)
    settings = request.app.state.settings
    path = settings.files.get(found.file)
    if path is None:
        return problem(request, 409, "Not served", "Re-running needs the dashboard to serve "
                       "this job's file (orchdsl serve FILE).", f"/jobs/{found.job_id}")
    job_id, error = await anyio.to_thread.run_sync(
        lambda: run_detached(settings.store, path, "--rerun", str(found.job_id),
                             nannies=_nannies(request)))
    if job_id is None:
        return problem(request, 409, "The re-run did not start", error,
                       f"/jobs/{found.job_id}")
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


def _request_cancel(store: str, job_id: int) -> bool:
    from orchdsl.store import open_store

    writer = open_store(store)
    try:
        return writer.request_cancel(job_id, CANCELLED_BY)
    finally:
        writer.close()


async def cancel(request: Request):
    from orchdsl.store import StoreError

    fields = await _form(request)
    if fields is None:
        return _refused(request)
    found = await _job(request)
    if found is None:
        return _no_job(request)
    try:
        asked = await anyio.to_thread.run_sync(_request_cancel,
                                               request.app.state.settings.store, found.job_id)
    except StoreError as exc:
        return problem(request, 500, "Cancel failed", str(exc), f"/jobs/{found.job_id}")
    if not asked:
        return problem(request, 409, "Not running", f"Job {found.job_id} is not running.",
                       f"/jobs/{found.job_id}")
    return RedirectResponse(f"/jobs/{found.job_id}", status_code=303)
