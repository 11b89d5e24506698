"""The dashboard over plain HTTP, against a real ``orchdsl serve`` process and a store filled
by real runs: the token, CSRF, --read-only, the API's records against the CLI's, no secret
in any response, no file read beyond the served ones, ``scheduler --serve``, a PostgreSQL
store (a real server, tests/pg_server.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from urllib.parse import urljoin, urlparse

import pytest

from conftest import isolated_env, orchdsl_executable, run_isolated
from webfixtures import SECRET, fill
from webtools import Server, csrf_of, request, wait_for
from pg_server import pg_server, pg_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    return fill(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def server(filled):
    served = Server(filled.folder, "--store", filled.store, env={"API_KEY": SECRET})
    yield served
    assert served.stop() == 0


def test_serve_says_where_it_listens_and_stops_cleanly_on_sigterm(filled):
    served = Server(filled.daily, "--store", filled.store)
    assert re.match(r"orchdsl serve: http://127\.0\.0\.1:\d+/ \(store .*jobs\.db; 1 file; "
                    r"Ctrl-C stops\)$", served.line.strip())
    assert request(served.url + "/").status == 200
    assert served.stop() == 0


def test_a_bind_beyond_loopback_without_a_token_refuses_to_start(filled):
    done = run_isolated("serve", filled.folder, "--store", filled.store, "--bind",
                        "0.0.0.0:0", cwd=filled.folder, hide=("ORCHDSL_UI_TOKEN",))
    assert done.code == 2
    assert done.stderr.startswith("orchdsl serve: error: --bind 0.0.0.0:0 listens beyond "
                                  "this machine: give --token TOKEN")
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize("args, message", [
    (["--bind", "nonsense"], "--bind nonsense: expected HOST:PORT"),
    (["--bind", "127.0.0.1:99999"], "expected HOST:PORT"),
    (["--store", "/nowhere/jobs.db"], "no job store at /nowhere/jobs.db"),
    (["missing-folder"], "missing-folder: no such file or folder"),
    (["--bind", "0.0.0.0:0", "--token", "short"], "--token: use at least 8 characters"),
])
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, message):
    done = run_isolated("serve", *args, cwd=tmp_path)
    assert done.code == 2, done
    assert message in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_a_port_in_use_is_a_usage_error(server, tmp_path):
    port = urlparse(server.url).port
    done = run_isolated("serve", "--bind", f"127.0.0.1:{port}", cwd=tmp_path)
    assert done.code == 2
    assert done.stderr.startswith(f"orchdsl serve: error: cannot listen on 127.0.0.1:{port}")


def test_without_the_ui_extra_serve_says_what_to_install(tmp_path):
    # The extra cannot be uninstalled for one test: starlette is made unimportable instead.
    code = ("import sys; sys.modules['starlette'] = None; from orchdsl.cli.main import main; "
            "sys.exit(main(['serve']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=isolated_env())
    assert done.returncode == 2
    assert done.stderr == ("orchdsl serve: error: the dashboard needs the ui extra: pip "
                           "install 'orchdsl[ui]' (starlette is missing)\n")


def test_with_a_token_every_request_without_it_gets_401(filled):
    token = "tok-0123456789abcdef"
    served = Server(filled.folder, "--store", filled.store, "--token", token,
                    bind="0.0.0.0:0")
    try:
        for path in ("/", "/jobs", f"/jobs/{filled.failed_job}", "/api/jobs",
                     "/static/app.js", f"/jobs/{filled.failed_job}/logs/stream"):
            answer = request(served.url + path)
            assert answer.status == 401, path
            assert SECRET not in answer.body and "Daily" not in answer.body
        assert request(served.url + "/", headers={"Authorization": "Bearer wrong-token"}
                       ).status == 401
        assert request(served.url + "/", headers={"Authorization": f"Bearer {token}"}
                       ).status == 200
        given = request(served.url + f"/jobs?token={token}&state=error", follow=False)
        assert given.status == 303
        assert given.headers["location"] == "/jobs?state=error"
        cookie = given.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        kept = request(served.url + "/jobs?state=error",
                       headers={"Cookie": cookie.split(";")[0]})
        assert kept.status == 200 and f'data-job="{filled.failed_job}"' in kept.body
    finally:
        served.stop()


def test_a_post_without_the_csrf_token_is_refused(server, filled):
    before = filled.cli_json("jobs", "--limit", "1")["jobs"][0]["id"]
    page = request(server.url + f"/jobs/{filled.failed_job}").body
    token = csrf_of(page)
    target = server.url + f"/jobs/{filled.failed_job}/rerun"
    assert request(target, "POST", {}).status == 403
    assert request(target, "POST", {"csrf": "0" * 64}).status == 403
    assert request(target, "POST", {"csrf": token},
                   headers={"Origin": "http://evil.example"}).status == 403
    assert request(server.url + "/run", "POST", {"file": str(filled.timing)}).status == 403
    assert request(target, "GET").status == 405
    assert filled.cli_json("jobs", "--limit", "1")["jobs"][0]["id"] == before


def test_read_only_shows_no_action_and_refuses_them(filled):
    served = Server(filled.folder, "--store", filled.store, "--read-only")
    try:
        page = request(served.url + f"/jobs/{filled.failed_job}").body
        assert "Re-run failed" not in page and "read-only" in page
        assert "Run now" not in request(served.url + "/").body
        assert 'name="csrf"' not in page  # no form at all
        before = filled.cli_json("jobs", "--limit", "1")["jobs"][0]["id"]
        for path in (f"/jobs/{filled.failed_job}/rerun", "/run"):
            answer = request(served.url + path, "POST", {"csrf": "0" * 64,
                                                         "file": str(filled.timing)})
            assert answer.status == 403 and "--read-only" in answer.body
        assert filled.cli_json("jobs", "--limit", "1")["jobs"][0]["id"] == before
    finally:
        served.stop()


def test_the_api_returns_the_records_of_the_cli(server, filled):
    job = filled.failed_job
    assert request(server.url + f"/api/jobs/{job}").json() == filled.cli_json("job", str(job))
    assert request(server.url + "/api/jobs?limit=20").json() == filled.cli_json("jobs")
    assert request(server.url + "/api/jobs?state=error").json() == \
        filled.cli_json("jobs", "--status", "error")
    assert request(server.url + f"/api/jobs/{job}/logs").json() == \
        filled.cli_json("logs", str(job))
    assert request(server.url + f"/api/jobs/{job}/logs?task=load").json() == \
        filled.cli_json("logs", str(job), "load")
    listed = request(server.url + "/api/orchestrations").json()
    daily = next(o for o in listed["orchestrations"] if o["name"] == "Daily sales")
    nexts = filled.cli_json("next", str(filled.daily), "-n", "3")["fires"]
    assert [f["cron"] for f in daily["next"]] == [f["cron"] for f in nexts]
    assert daily["last_job"]["id"] == job and daily["last_job"]["state"] == "error"
    assert request(server.url + "/api/jobs/999999").status == 404


def test_no_secret_in_any_page_or_api_response(server, filled):
    """Every page reachable by a link from the front page, every API record, every asset."""
    seen, queue, bodies = set(), ["/", "/jobs", "/api/orchestrations", "/api/jobs"], 0
    for job in (filled.failed_job, filled.timing_job):
        queue += [f"/api/jobs/{job}", f"/api/jobs/{job}/logs", f"/jobs/{job}/logs/stream"]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        answer = request(server.url + path)
        assert answer.status == 200, (path, answer.status)
        assert SECRET not in answer.body, path
        bodies += 1
        for link in re.findall(r'(?:href|src)="([^"#]+)', answer.body):
            link = link.replace("&amp;", "&")
            target = urlparse(urljoin(server.url + path, link))
            if target.netloc == urlparse(server.url).netloc:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    assert bodies > 15
    job = request(server.url + f"/api/jobs/{filled.failed_job}").json()["job"]
    crm = next(t for t in job["tasks"] if t["name"] == "crm")
    assert crm["outputs"] == {"rows": "12", "token": "***"}
    assert "***" in request(server.url + f"/jobs/{filled.failed_job}/logs").body


@pytest.mark.parametrize("path", [
    "/orchestration?file=/etc/passwd",
    "/orchestration?file=../../../etc/passwd",
    "/static/../../etc/passwd",
    "/static/..%2F..%2Fpyproject.toml",
    "/static/app.js/../../__init__.py",
])
def test_no_path_beyond_the_served_files_is_read(server, path):
    answer = request(server.url + path)
    assert answer.status == 404
    assert "root:" not in answer.body and "[project]" not in answer.body


def test_run_now_refuses_a_file_that_is_not_served(server, filled, tmp_path):
    other = tmp_path / "other.orch"
    other.write_text(filled.timing.read_text())
    token = csrf_of(request(server.url + "/").body)
    answer = request(server.url + "/run", "POST", {"csrf": token, "file": str(other)})
    assert answer.status == 404
    assert "not one the dashboard serves" in answer.body


def _children(pid: int) -> list[int]:
    from pathlib import Path

    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return children


def _zombie_children(pid: int) -> list[int]:
    from pathlib import Path

    return [c for c in _children(pid)
            if Path(f"/proc/{c}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"]


def test_the_scheduler_serves_the_dashboard_beside_its_schedules(filled, tmp_path):
    process = subprocess.Popen([orchdsl_executable(), "scheduler", str(filled.daily), "--store",
                                str(filled.store), "--serve", "127.0.0.1:0"],
                               stderr=subprocess.PIPE, text=True,
                               env=isolated_env({"API_KEY": SECRET}), cwd=tmp_path)
    try:
        line = wait_for(lambda: (x := process.stderr.readline()) and "dashboard on" in x and x,
                        what="the dashboard's address")
        url = re.search(r"(http://\S+:\d+)/", line).group(1)
        page = request(url + "/")
        assert page.status == 200 and "Daily sales" in page.body
        assert request(url + f"/api/jobs/{filled.failed_job}").json()["job"]["state"] == "error"
        # Run now: the detached runner and its guardian end up the scheduler's children (it
        # is a subreaper), and are reaped once they have ended.
        before = set(_children(process.pid))
        started = request(url + "/run", "POST", {"csrf": csrf_of(page.body),
                                                 "file": str(filled.daily)}, follow=False)
        assert started.status == 303
        job_id = int(started.headers["location"].rsplit("/", 1)[1])
        wait_for(lambda: request(url + f"/api/jobs/{job_id}").json()["job"]["finished_at"],
                 what="the job to end")
        wait_for(lambda: set(_children(process.pid)) - before <= set(
            _zombie_children(process.pid)), what="the runner's processes to end")
        wait_for(lambda: not _zombie_children(process.pid), timeout=10,
                 what="the runner's processes to be reaped")
    finally:
        process.terminate()
        assert process.wait(30) == 0


def test_the_scheduler_refuses_to_serve_beyond_loopback_without_a_token(filled, tmp_path):
    done = run_isolated("scheduler", filled.daily, "--store", filled.store, "--serve",
                        "0.0.0.0:0", cwd=tmp_path, hide=("ORCHDSL_UI_TOKEN",))
    assert done.code == 2
    assert "orchdsl scheduler: error: --bind 0.0.0.0:0 listens beyond this machine" in \
        done.stderr


def test_the_dashboard_reads_a_postgresql_store_and_never_shows_its_password(pg_url,
                                                                               tmp_path):
    from webfixtures import TIMING

    pipeline = tmp_path / "timing.orch"
    pipeline.write_text(TIMING)
    done = run_isolated("run", pipeline, "--store", pg_url, cwd=tmp_path)
    assert done.code == 0, done.stderr
    password = urlparse(pg_url).password
    served = Server(tmp_path, "--store", pg_url)
    try:
        assert password not in served.line and "***@" in served.line
        record = run_isolated("job", "1", "--store", pg_url, "--format", "json", cwd=tmp_path)
        assert request(served.url + "/api/jobs/1").json() == json.loads(record.stdout)
        for path in ("/", "/jobs", "/jobs/1", "/jobs/1/logs", "/jobs/1/graph", "/api/jobs"):
            answer = request(served.url + path)
            assert answer.status == 200 and password not in answer.body, path
        assert 'data-task="slow"' in request(served.url + "/jobs/1").body
    finally:
        served.stop()
