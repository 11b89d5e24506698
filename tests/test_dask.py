"""``--executor dask://HOST:PORT`` end to end (docs/cluster.md): the installed ``orchdsl``
against a real Dask cluster on 127.0.0.1 (tests/dask_cluster.py: a scheduler and two
workers, ``cpu`` with ``cpu=4`` and ``gpu`` with ``gpu=1``), started once for the module and
killed at its end. Tasks prove where and when they ran with files next to the ``.orch``
file (jobfiles.py) and the job store's records."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import isolated_env, run_isolated
from conftest import orchdsl_executable as executable
from dask_cluster import Cluster, free_port
from jobfiles import alive, ends, max_overlap, pids, ran, sh, stamp, starts

SECRET = "tok-9f8e7d6c5b"
HIDDEN = ("TOKEN", "ORCHDSL_EXECUTOR")
# The shell of a task writes its own pid and its ancestors', read while it runs.
CHAIN = "p=$$; while [ $p -gt 1 ]; do echo $p; p=$(awk '/^PPid:/{print $2}' /proc/$p/status); done"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        yield started.start()
    finally:
        started.stop()


def orch(*phases: tuple[str, list[str]], clauses: str = "", name: str = "Job") -> str:
    body = "".join(f'    phase "{p}" {{\n' + "".join(f"        task {t}\n" for t in tasks)
                   + "    }\n" for p, tasks in phases)
    return f'orchestration "{name}" {{\n    {clauses}\n{body}}}\n'


def run_on(cluster: Cluster, path: Path, *flags, env=None, timeout: float = 90):
    return run_isolated("run", path.name, "--executor", cluster.url, *flags, cwd=path.parent,
                        env=env, hide=HIDDEN, timeout=timeout)


def job(folder: Path, job_id: int) -> dict:
    shown = run_isolated("job", str(job_id), "--format", "json", cwd=folder, hide=HIDDEN)
    assert shown.code == 0, shown.stderr
    return json.loads(shown.stdout)["job"]


def attempts(record: dict, task: str) -> list[dict]:
    return next(t for t in record["tasks"] if t["name"] == task)["attempts"]


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def written(folder: Path, *names: str) -> bool:
    return all((folder / n).exists() and (folder / n).read_text().strip() for n in names)


# --- the quick one: where tasks run ---------------------------------------------------------

def test_tasks_run_in_dask_worker_processes_not_under_orchdsl(cluster, folder, write):
    path = write(orch(("One", [f"where {sh(CHAIN + ' > chain')}"])))
    process = subprocess.Popen([executable(), "run", path.name, "--executor", cluster.url],
                               cwd=folder, env=isolated_env(hide=HIDDEN),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, (stdout, stderr)
    chain = [int(p) for p in (folder / "chain").read_text().split()]
    nannies = {p.pid for name, p in cluster.processes.items() if name != "scheduler"}
    assert process.pid not in chain
    assert nannies & set(chain), (chain, nannies)
    [attempt] = attempts(job(folder, 1), "where")
    assert attempt["worker"] in cluster.workers().values()
    assert attempt["host"] == os.uname().nodename


# --- the coordinator's rules, across workers ------------------------------------------------

@pytest.mark.slow
def test_phase_order_and_concurrency_1_hold_across_workers(cluster, folder, write):
    first = [f"{n} {stamp(n, 0.3)} on \"{label}\"" for n, label in
             (("a", "cpu"), ("b", "gpu"), ("c", "cpu"), ("d", "gpu"))]
    path = write(orch(("One", first), ("Two", [f"e {stamp('e', 0)}"]), clauses="concurrency 1"))
    assert run_on(cluster, path).code == 0
    names = ["a", "b", "c", "d"]
    assert max_overlap([(starts(folder, n)[0], ends(folder, n)[0]) for n in names]) == 1
    assert starts(folder, "e")[0] >= max(ends(folder, n)[0] for n in names)
    record = job(folder, 1)
    assert len({attempts(record, n)[0]["worker"] for n in names}) == 2


@pytest.mark.slow
def test_on_gpu_tasks_run_only_on_the_gpu_worker_one_at_a_time(cluster, folder, write):
    names = [f"g{i}" for i in range(4)]
    path = write(orch(("One", [f'{n} {stamp(n, 0.2)} on "gpu"' for n in names])))
    assert run_on(cluster, path).code == 0
    record = job(folder, 1)
    gpu = cluster.workers()["gpu"]
    assert [attempts(record, n)[0]["worker"] for n in names] == [gpu] * 4
    # the worker offers gpu=1 and each running task holds one unit of it
    assert max_overlap([(starts(folder, n)[0], ends(folder, n)[0]) for n in names]) == 1


@pytest.mark.slow
def test_a_timed_out_task_leaves_no_process_on_the_worker(cluster, folder, write):
    path = write(orch(("One", ["slow " + sh("sh -c 'sleep 60 & echo $! > bg; sleep 60'")
                               + " timeout 1s"])))
    started = time.monotonic()
    result = run_on(cluster, path)
    assert 1 <= time.monotonic() - started < 15
    assert result.code == 1
    assert "  failed: slow: timed out after 1s" in result.stdout.splitlines()
    assert not alive(pids(folder, "bg")[0])


@pytest.mark.slow
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_exits_with_nothing_left_on_the_workers(cluster, folder, write, signum, code):
    path = write(orch(("One", [
        "a " + sh("echo $$ > a.pid; sleep 60 & echo $! > a.child; wait"),
        "b " + sh("sh -c 'sleep 60 & echo $! > b.grandchild; wait' & echo $! > b.child; wait")
        + ' on "gpu"',
        "c " + sh("trap '' TERM; sleep 60 & echo $! > c.child; wait"),  # needs the SIGKILL
    ]), ("Two", [f"later {stamp('later', 0)}"])))
    process = subprocess.Popen([executable(), "run", path.name, "--executor", cluster.url],
                               cwd=folder, env=isolated_env(hide=HIDDEN),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        files = ("a.pid", "a.child", "b.child", "b.grandchild", "c.child")
        wait_for(lambda: written(folder, *files))
        os.kill(process.pid, signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == code, (stdout, stderr)
    assert [p for p in pids(folder, *files) if alive(p)] == []
    assert not ran(folder, "later")
    assert f"  reason: cancelled by {signal.Signals(signum).name}" in stdout.decode().splitlines()


@pytest.mark.slow
def test_the_job_timeout_stops_running_and_queued_attempts(cluster, folder, write):
    # six tasks, four worker threads: two wait in Dask's queue when the job times out
    names = [f"t{i}" for i in range(6)]
    path = write(orch(("One", [f"{n} " + sh(f"sleep 60 & echo $! > {n}.child; wait")
                               for n in names]), ("Two", [f"later {stamp('later', 0)}"]),
                      clauses="timeout 3s"))
    started = time.monotonic()
    result = run_on(cluster, path)
    assert result.code == 1
    assert time.monotonic() - started < 20
    assert "  reason: job timed out after 3s" in result.stdout.splitlines()
    children = [f"{n}.child" for n in names if (folder / f"{n}.child").exists()]
    assert len(children) == 4, children
    assert [p for p in pids(folder, *children) if alive(p)] == []
    record = job(folder, 1)
    assert {t["name"]: t["state"] for t in record["tasks"]} == {
        **{n: "cancelled" for n in names}, "later": "skipped"}
    time.sleep(1)  # what never started does not start later either
    assert len([n for n in names if (folder / f"{n}.child").exists()]) == 4


@pytest.mark.slow
def test_a_killed_orchdsl_leaves_nothing_running_on_the_workers(cluster, folder, write):
    path = write(orch(("One", ["a " + sh("sleep 60 & echo $! > a.child; wait"),
                               "b " + sh("sleep 60 & echo $! > b.child; wait") + ' on "gpu"'])))
    process = subprocess.Popen([executable(), "run", path.name, "--executor", cluster.url],
                               cwd=folder, env=isolated_env(hide=HIDDEN),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: written(folder, "a.child", "b.child"))
    finally:
        process.kill()  # no chance to stop anything itself
        process.wait()
    # the scheduler lets go of a dead client's tasks; their workers stop them
    wait_for(lambda: not any(alive(p) for p in pids(folder, "a.child", "b.child")), timeout=15)


@pytest.mark.slow
def test_fail_fast_stops_the_siblings_on_the_workers(cluster, folder, write):
    path = write(orch(("One", [
        "long " + sh("sleep 60 & echo $! > long.child; wait"),
        "broken " + sh("while [ ! -s long.child ]; do sleep 0.05; done; exit 3"),
    ]), clauses="fail_fast"))
    result = run_on(cluster, path)
    assert result.code == 1
    assert not alive(pids(folder, "long.child")[0])
    record = job(folder, 1)
    states = {t["name"]: (t["state"], t["reason"]) for t in record["tasks"]}
    assert states == {"long": ("cancelled", "cancelled by fail_fast: task broken failed"),
                      "broken": ("failed", "exit code 3")}


@pytest.mark.slow
def test_a_killed_worker_fails_the_attempt_with_worker_lost_and_the_retry_runs_elsewhere(
        cluster, folder, write):
    command = ("echo $PPID >> workers; if [ ! -e tried ]; then touch tried; "
               "sleep 60 & echo $! > child; wait; fi; echo second try")
    path = write(orch(("One", [f"victim {sh(command)} retries 1 backoff 100ms"])))
    process = subprocess.Popen([executable(), "run", path.name, "--executor", cluster.url],
                               cwd=folder, env=isolated_env(hide=HIDDEN),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: written(folder, "workers", "child"))
        time.sleep(0.3)  # its start has reached the coordinator (it is told within 50 ms)
        os.kill(pids(folder, "workers")[0], signal.SIGKILL)  # the worker process itself
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    cluster.wait_for_workers()  # its nanny starts it again, for the tests after this one
    assert process.returncode == 0, (stdout, stderr)
    first, second = attempts(job(folder, 1), "victim")
    assert (first["reason"], second["reason"], second["stdout"]) == \
        ("worker lost", None, "second try\n")
    assert first["worker"] != second["worker"]
    assert len((folder / "workers").read_text().split()) == 2  # run twice: once per attempt
    wait_for(lambda: not alive(pids(folder, "child")[0]), timeout=15)  # reaped on its host
    shown = run_isolated("job", "1", cwd=folder, hide=HIDDEN).stdout.splitlines()
    host = os.uname().nodename
    assert shown[-2:] == [f"          attempt 1 on {host} ({first['worker']}): worker lost",
                          f"          attempt 2 on {host} ({second['worker']})"]


# --- what comes back ------------------------------------------------------------------------

@pytest.mark.slow
def test_a_secret_is_masked_in_the_store_and_on_the_terminal(cluster, folder, write):
    path = write(orch(("One", ["leak " + sh("echo token=$TOKEN; echo $TOKEN >&2; exit 1")]),
                      clauses="secret TOKEN"))
    result = run_on(cluster, path, "--stream", env={"TOKEN": SECRET})
    assert result.code == 1
    assert SECRET not in result.stdout + result.stderr
    assert "[leak] token=***" in result.stdout.splitlines()
    [attempt] = attempts(job(folder, 1), "leak")
    assert (attempt["stdout"], attempt["stderr"]) == ("token=***\n", "***\n")
    for log in cluster.folder.glob("*.log"):  # nor does it reach the cluster's own logs
        assert SECRET not in log.read_text(errors="replace"), log
    with cluster.client() as client:  # nor stay in the scheduler's events
        kept = client.get_events()
    assert SECRET.encode() not in repr(kept).encode()
    assert not [topic for topic in kept if topic.startswith("orchdsl-")]


@pytest.mark.slow
def test_outputs_and_call_return_values_come_back_from_the_workers(cluster, folder, write):
    (folder / "steps.py").write_text(
        "def count(day):\n    print('counting', day)\n    return {'rows': 12, 'ok': True}\n")
    publish = "echo files=a.csv >> $ORCHDSL_OUTPUT; printf 'note<<END\\nline 1\\nline 2\\nEND\\n'" \
              " >> $ORCHDSL_OUTPUT"
    path = write(orch(("One", [f'files {sh(publish)} on "cpu"',
                               'rows call "steps:count" on "gpu"']),
                      clauses='param day = "monday"'))
    assert run_on(cluster, path).code == 0
    record = job(folder, 1)
    [files], [rows] = attempts(record, "files"), attempts(record, "rows")
    assert files["outputs"] == {"files": "a.csv", "note": "line 1\nline 2"}
    assert (rows["outputs"], rows["stdout"]) == ({"rows": "12", "ok": "true"}, "counting monday\n")
    assert files["worker"] != rows["worker"]


@pytest.mark.slow
def test_a_later_task_reads_the_outputs_of_tasks_on_other_workers(cluster, folder, write):
    (folder / "steps.py").write_text("def count():\n    return {'rows': 12}\n")
    path = write(orch(("One", [f'files {sh("echo n=3 >> $ORCHDSL_OUTPUT")} on "cpu"',
                               'rows call "steps:count" on "gpu"']),
                      ("Two", ["use " + sh("echo ${tasks.files.outputs.n} "
                                           "${tasks.rows.outputs.rows}")])))
    assert run_on(cluster, path).code == 0
    [use] = attempts(job(folder, 1), "use")
    assert use["stdout"] == "3 12\n"


@pytest.mark.slow
def test_a_call_module_of_the_folder_is_sent_to_the_workers(cluster, folder, write):
    (folder / "helpers.py").write_text("GREETING = 'hello from the copy'\n")
    (folder / "steps.py").write_text(
        "import helpers\ndef where():\n    print(helpers.GREETING)\n    return __file__\n")
    path = write(orch(("One", ['where call "steps:where"'])))
    assert run_on(cluster, path).code == 0
    [attempt] = attempts(job(folder, 1), "where")
    assert attempt["stdout"] == "hello from the copy\n"
    # imported from the copy the coordinator sent, not from the folder
    assert "orchdsl-modules-" in attempt["outputs"]["result"]
    assert not attempt["outputs"]["result"].startswith(str(folder))


@pytest.mark.slow
def test_a_call_that_raises_fails_with_its_traceback(cluster, folder, write):
    (folder / "steps.py").write_text("def go():\n    raise RuntimeError('no rows today')\n")
    path = write(orch(("One", ['go call "steps:go"'])))
    assert run_on(cluster, path).code == 1
    [attempt] = attempts(job(folder, 1), "go")
    assert attempt["reason"] == "RuntimeError: no rows today"
    assert attempt["stderr"].splitlines()[-1] == "RuntimeError: no rows today"


@pytest.mark.slow
def test_a_call_past_its_timeout_fails_and_frees_the_job(cluster, folder, write):
    (folder / "steps.py").write_text("import time\ndef nap():\n    time.sleep(30)\n")
    path = write(orch(("One", ['nap call "steps:nap" timeout 1s'])))
    started = time.monotonic()
    result = run_on(cluster, path)
    assert result.code == 1
    assert time.monotonic() - started < 10
    [attempt] = attempts(job(folder, 1), "nap")
    assert attempt["reason"] == "timed out after 1s (the function was abandoned in its thread)"


@pytest.mark.slow
def test_lines_reach_the_coordinator_while_the_task_runs(cluster, folder, write):
    talk = "echo first; while [ ! -e go.on ]; do sleep 0.05; done; echo second"
    path = write(orch(("One", [f"talk {sh(talk)}"])))
    process = subprocess.Popen([executable(), "run", path.name, "--executor", cluster.url,
                                "--stream"], cwd=folder, env=isolated_env(hide=HIDDEN),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stdout:
            if line == "[talk] first\n":
                break
        (folder / "go.on").write_text("")  # the task waited for this: it still runs
        rest = process.stdout.read()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "[talk] second\n" in rest


@pytest.mark.slow
def test_the_tasks_of_a_nested_orchestration_run_on_the_cluster(cluster, folder, write):
    write(orch(("Only", [f"inner {stamp('inner', 0)}"]), name="Child"), "child.orch")
    path = write(orch(("One", ['child orchestration "child.orch"'])))
    assert run_on(cluster, path).code == 0
    [child] = job(folder, 1)["children"]
    [attempt] = attempts(job(folder, child), "inner")
    assert attempt["worker"] in cluster.workers().values()


@pytest.mark.slow
def test_a_scheduled_job_runs_on_the_executor_it_is_given(cluster, folder, write):
    import trio

    from orchdsl.api import plan
    from orchdsl.observer import Observer
    from orchdsl.scheduling.jobs import run_scheduled

    path = write(orch(("One", ["tick " + sh("echo \"$ORCHDSL_FIRE_TIME $ORCHDSL_SCHEDULE\"")])))
    fire = datetime(2026, 1, 5, 6, tzinfo=timezone.utc)

    async def main():
        return await run_scheduled(plan(str(path)), None, Observer(), fire=fire,
                                   cron="0 6 * * *", executor=cluster.url)

    result = trio.run(main)
    assert result.state.value == "success"
    [attempt] = result.tasks["tick"].attempts
    assert attempt.worker in cluster.workers().values()
    # the fire it serves travels with it (the runner's environment does not)
    assert attempt.stdout == "2026-01-05T06:00:00Z 0 6 * * *\n"


# --- no cluster to reach, bad flags ---------------------------------------------------------

def test_an_unreachable_scheduler_fails_the_run_before_any_task(folder, write):
    port = free_port()
    path = write(orch(("One", [f"a {stamp('a', 0)}"])))
    result = run_isolated("run", path.name, "--executor", f"dask://127.0.0.1:{port}",
                          cwd=folder, hide=HIDDEN,
                          env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"})
    assert result.code == 1
    assert not ran(folder, "a")
    reasons = [line for line in result.stdout.splitlines() if f"127.0.0.1:{port}" in line]
    assert reasons == [f"  reason: cannot reach the Dask scheduler at dask://127.0.0.1:{port}: "
                       "Timed out trying to connect after 1 s"]
    assert not [line for line in result.stdout.splitlines() if "a  started" in line]


USAGE = [
    # flags, environment, the one line on stderr
    (["--executor", "ftp://host:1"], {},
     "orchdsl run: error: --executor: ftp://host:1: expected local, dask://HOST:PORT or "
     "tls://HOST:PORT"),
    (["--executor", "dask://me:hunter2@host:1"], {},
     "orchdsl run: error: --executor: dask://***@host:1: a Dask scheduler takes no user or "
     "password in its URL (secure it with TLS: docs/cluster.md)"),
    (["--executor", "dask://host:99999"], {},
     "orchdsl run: error: --executor: dask://host:99999: expected local, dask://HOST:PORT or "
     "tls://HOST:PORT"),
    (["--executor", "dask://host:1/path"], {},
     "orchdsl run: error: --executor: dask://host:1/path: expected local, dask://HOST:PORT or "
     "tls://HOST:PORT (nothing after the port)"),
    ([], {"ORCHDSL_EXECUTOR": "dask://"},
     "orchdsl run: error: ORCHDSL_EXECUTOR: dask://: expected local, dask://HOST:PORT or "
     "tls://HOST:PORT"),
]


@pytest.mark.parametrize("flags, env, line", USAGE)
def test_a_bad_executor_is_a_usage_error_that_runs_nothing(folder, write, flags, env, line):
    path = write(orch(("One", [f"a {stamp('a', 0)}"])))
    result = run_isolated("run", path.name, *flags, cwd=folder, env=env, hide=HIDDEN)
    assert (result.code, result.stderr, result.stdout) == (2, line + "\n", "")
    assert not ran(folder, "a")


@pytest.mark.parametrize("command", ["run", "scheduler"])
def test_without_distributed_the_dask_executor_is_a_usage_error(tmp_path, folder, write,
                                                                command):
    shim = tmp_path / "shim" / "distributed"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('No module named distributed')\n")
    path = write(orch(("One", [f"a {stamp('a', 0)}"])))
    result = run_isolated(command, path.name, "--executor", "dask://127.0.0.1:1", cwd=folder,
                          env={"PYTHONPATH": str(shim.parent)}, hide=HIDDEN)
    assert (result.code, result.stderr) == (
        2, f"orchdsl {command}: error: --executor dask://127.0.0.1:1: the Dask executor needs "
           'the distributed package: pip install "orchdsl[dask]"\n')
    assert not ran(folder, "a")


def test_the_scheduler_checks_its_executor_before_it_starts(folder, write):
    path = write(orch(("One", [f"a {stamp('a', 0)}"])))
    result = run_isolated("scheduler", path.name, "--executor", "dask://h:1/x", cwd=folder,
                          hide=HIDDEN, timeout=20)
    assert (result.code, result.stderr) == (
        2, "orchdsl scheduler: error: --executor: dask://h:1/x: expected local, "
           "dask://HOST:PORT or tls://HOST:PORT (nothing after the port)\n")


def test_a_dry_run_needs_no_distributed_and_shows_the_label(tmp_path, folder, write):
    shim = tmp_path / "shim" / "distributed"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError('No module named distributed')\n")
    path = write(orch(("One", [f'a {stamp("a", 0)} on "gpu"'])))
    result = run_isolated("run", path.name, "--dry-run", "--executor", "dask://127.0.0.1:1",
                          cwd=folder, env={"PYTHONPATH": str(shim.parent)}, hide=HIDDEN)
    assert result.code == 0, result.stderr
    assert '                 on "gpu"' in result.stdout.splitlines()
    assert not ran(folder, "a")


def test_the_local_executor_runs_a_labelled_task_here(folder, write):
    path = write(orch(("One", [f'a {stamp("a", 0)} on "gpu"'])))
    result = run_isolated("run", path.name, "--executor", "local", cwd=folder, hide=HIDDEN)
    assert result.code == 0, result.stdout
    assert ran(folder, "a")
    [attempt] = attempts(job(folder, 1), "a")
    assert (attempt["host"], attempt["worker"]) == (os.uname().nodename, None)


@pytest.mark.slow
def test_a_tls_scheduler_is_reached_with_dasks_tls_configuration(tmp_path, folder, write):
    secure = Cluster(tmp_path / "tls", tls=True, workers={"only": "cpu=1"})
    secure.folder.mkdir()
    try:
        secure.start()
        path = write(orch(("One", [f"a {stamp('a', 0)}"])))
        # without the certificates, the job fails before any task, naming the URL
        refused = run_isolated("run", path.name, "--executor", secure.url, cwd=folder,
                               hide=HIDDEN, env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
        assert refused.code == 1 and not ran(folder, "a")
        assert f"  reason: cannot reach the Dask scheduler at {secure.url}: " in refused.stdout
        done = run_isolated("run", path.name, "--executor", secure.url, cwd=folder,
                            hide=HIDDEN, env=secure.tls_environment())
        assert done.code == 0, done.stdout + done.stderr
        [attempt] = attempts(job(folder, 2), "a")
        assert attempt["worker"] == secure.workers()["only"]
        assert attempt["worker"].startswith("tls://127.0.0.1:")
    finally:
        secure.stop()
