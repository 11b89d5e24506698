"""``orchdsl run FILE`` end to end, through the installed command in real subprocesses
(LANGUAGE.md 5, 6, 7): exit codes, the line output and ``--stream``, the flags that change a
run (``--concurrency``, ``--fail-fast``, ``--param``, selection), secrets on the terminal,
SIGINT and SIGTERM, and no process of a job left behind.

Tasks prove what happened with files next to the ``.orch`` file: ``stamp.py`` appends the
time it started and ended to ``<name>.start`` / ``<name>.end``; background processes write
their pids.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from jobfiles import (alive, ends, max_overlap, pids, ran, sh, stamp,
                      starts)

from conftest import Result, isolated_env, run_isolated  # tests/ is on sys.path
from conftest import orchdsl_executable as executable

SECRET = "tok-5a4b3c2d1e"
TIME = re.compile(r"^\d\d:\d\d:\d\d\.\d{3}  ")


# --- helpers ---------------------------------------------------------------------------------

HIDDEN = ("TOKEN", "DB_PASSWORD", "DB_URL")  # set by the tests themselves, never inherited


def environment(env: dict[str, str] | None = None) -> dict[str, str]:
    return isolated_env(env, hide=HIDDEN)


def orchdsl(*args, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60) -> Result:
    return run_isolated(*args, cwd=cwd, env=env, timeout=timeout, hide=HIDDEN)


def run(path: Path, *flags, env: dict[str, str] | None = None) -> Result:
    """``orchdsl run <file name> FLAGS`` from the file's folder."""
    return orchdsl("run", path.name, *flags, cwd=path.parent, env=env)


def wait_for(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def event_lines(stdout: str) -> list[str]:
    """The timestamped lines, without their time."""
    return [TIME.sub("", line) for line in stdout.splitlines() if TIME.match(line)]


def normalized(stdout: str) -> list[str]:
    """Every line, times as TIME and durations as N.NNs."""
    lines = [TIME.sub("TIME  ", line) for line in stdout.splitlines()]
    return [re.sub(r"\b\d+\.\d\ds\b", "N.NNs", line) for line in lines]


def one_phase(*tasks: str, clauses: str = "", name: str = "Job") -> str:
    body = "\n".join(f"        task {t}" for t in tasks)
    return f'orchestration "{name}" {{\n    {clauses}\n    phase "One" {{\n{body}\n    }}\n}}\n'


# --- exit codes (6, 7) -----------------------------------------------------------------------

EXIT_CASES = [
    # task b, exit code, the summary
    (stamp("b", 0), 0, 'job 1 "Job": success in N.NNs (2 ok)'),
    (stamp("b", 0, 1) + " continue_on_failure", 0, 'job 1 "Job": warning in N.NNs (1 ok, 1 FAILED)'),
    (stamp("b", 0, 1), 1, 'job 1 "Job": error in N.NNs (1 ok, 1 FAILED)'),
]


@pytest.mark.parametrize("task_b, code, summary", EXIT_CASES,
                         ids=["success", "warning", "error"])
def test_the_exit_code_follows_the_job_state(write, task_b, code, summary):
    result = run(write(one_phase(f"a {stamp('a', 0)}", f"b {task_b}")))
    assert result.code == code, result
    assert [line for line in normalized(result.stdout) if line.startswith("job 1")] == [summary]
    assert result.stderr == ""


def test_an_invalid_file_exits_1_with_its_diagnostics_on_stderr(folder, write):
    path = write('orchestration "Bad" {\n    phase "One" {\n        task a runn "true"\n    }\n}\n')
    result = run(path)
    assert (result.code, result.stdout) == (1, "")
    assert "job.orch:3:" in result.stderr and "error[E001]" in result.stderr


def test_a_missing_file_is_a_usage_error(folder):
    result = orchdsl("run", "no-such.orch", cwd=folder)
    assert (result.code, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1


USAGE_CASES = [
    ["--param", "nope=1"],
    ["--param", "novalue"],
    ["--concurrency", "0"],
    ["--concurrency", "two"],
    ["--bogus-flag"],
    ["--only", "no_such_task"],
    ["--phase", "No such phase"],
]


@pytest.mark.parametrize("flags", USAGE_CASES, ids=" ".join)
def test_a_usage_error_exits_2_with_one_line_on_stderr_and_runs_nothing(folder, write, flags):
    path = write(one_phase(f"a {stamp('a', 0)}", clauses='param day = "mon"'))
    result = run(path, *flags)
    assert (result.code, result.stdout) == (2, ""), result
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("orchdsl run: error: ")
    assert not ran(folder, "a")


# --- what it prints (6) ----------------------------------------------------------------------

def test_without_a_terminal_it_prints_one_timestamped_line_per_event_and_a_summary(write):
    path = write("""
orchestration "Lines" {
    phase "One" {
        task first run "true"
    }
    phase "Two" {
        task second_one run "false" continue_on_failure
        task off run "true" disabled
    }
}
""")
    result = run(path)
    assert result.code == 0
    assert normalized(result.stdout) == [
        'TIME  job 1 "Lines" started (job.orch)',
        "TIME  first       started",
        "TIME  first       ok in N.NNs",
        "TIME  second_one  started",
        "TIME  second_one  FAILED in N.NNs: exit code 1",
        'job 1 "Lines": warning in N.NNs (1 ok, 1 FAILED, 1 disabled)',
        "  failed: second_one: exit code 1",
    ]


def test_stream_prefixes_each_line_of_task_output_with_its_task(write):
    path = write(one_phase(
        "talk " + sh("echo out one; echo err one >&2; echo out two; printf 'no newline'"),
        f"quiet {stamp('quiet', 0)}"))
    result = run(path, "--stream")
    assert result.code == 0
    lines = result.stdout.splitlines()
    streamed = [line for line in lines if line.startswith("[")]
    assert [line for line in streamed if line.startswith("[talk]")] == [
        "[talk] out one", "[talk] out two", "[talk] no newline"]
    assert [line for line in streamed if line.startswith("[talk:err]")] == ["[talk:err] err one"]
    assert len(streamed) == 4
    assert all(TIME.match(line) for line in lines[:-1] if not line.startswith("["))
    assert lines[-1].startswith('job 1 "Job": success in ')


def test_without_stream_task_output_is_shown_only_for_a_failure(write):
    path = write(one_phase("fine " + sh("echo fine output"),
                           "broken " + sh("echo first line; echo the cause >&2; exit 4")))
    result = run(path)
    assert result.code == 1
    assert "fine output" not in result.stdout
    assert result.stdout.splitlines()[-2:] == ["  failed: broken: exit code 4", "    | the cause"]


def run_on_a_terminal(path: Path, *flags) -> tuple[int, str]:
    """Run with stdout (only) on a pseudo-terminal; the exit code and what it showed."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([executable(), "run", path.name, *flags], cwd=path.parent,
                               stdout=terminal, stderr=subprocess.PIPE, env=environment())
    os.close(terminal)
    shown = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 30)
        assert ready, "no output for 30 s"
        try:
            data = os.read(controller, 65536)
        except OSError:  # EIO: the terminal closed
            break
        if not data:
            break
        shown += data
    os.close(controller)
    return process.wait(timeout=30), shown.decode("utf-8").replace("\r\n", "\n")


def test_on_a_terminal_it_draws_a_live_view_unless_no_live(write):
    path = write(one_phase(f"a {stamp('a', 0.6)}"))
    code, live = run_on_a_terminal(path)
    assert code == 0
    assert "\033[" in live and 'phase "One": 1 running' in live and not TIME.match(live)
    assert re.sub(r"\033\[\d*[A-Za-z]", "", live.splitlines()[-1]).startswith(
        'job 1 "Job": success in ')
    code, lines = run_on_a_terminal(path, "--no-live")
    assert code == 0
    # the second run in this folder: the store keeps the first job, so this one is job 2
    assert normalized(lines) == ['TIME  job 2 "Job" started (job.orch)', "TIME  a  started",
                                 "TIME  a  ok in N.NNs", 'job 2 "Job": success in N.NNs (1 ok)']


# --- phases, failures, fail-fast (5.2) -------------------------------------------------------

def test_a_failure_skips_later_phases_and_lets_its_siblings_finish(folder, write):
    path = write(f"""
orchestration "Fail" {{
    phase "One" {{
        task bad {stamp("bad", 0, 1)}
        task sibling {stamp("sibling", 0.5)}
    }}
    phase "Two" {{
        task later {stamp("later", 0)}
    }}
}}
""")
    result = run(path)
    assert result.code == 1
    assert ends(folder, "sibling") and not ran(folder, "later")
    lines = event_lines(result.stdout)
    assert "later    skipped: not started: task bad failed" in lines
    assert any(re.fullmatch(r"sibling  ok in 0\.\d\ds", line) for line in lines)
    assert "(1 ok, 1 FAILED, 1 skipped)" in result.stdout.splitlines()[-2]


FAIL_FAST = f"""
    phase "One" {{
        task bad {sh("while [ ! -s sib.child ]; do sleep 0.02; done; exit 1")}
        task sib {sh("echo $$ > sib.pid; sleep 30 & echo $! > sib.child; wait")}
    }}
    phase "Two" {{
        task later {stamp("later", 0)}
    }}
"""


@pytest.mark.parametrize("clause, flags", [("fail_fast", []), ("", ["--fail-fast"])],
                         ids=["file clause", "--fail-fast"])
def test_fail_fast_cancels_the_running_siblings(folder, write, clause, flags):
    path = write(f'orchestration "FF" {{\n    {clause}\n{FAIL_FAST}}}\n')
    started = time.monotonic()
    result = run(path, *flags)
    assert time.monotonic() - started < 8
    assert result.code == 1
    lines = normalized(result.stdout)
    assert "TIME  sib    cancelled in N.NNs: cancelled by fail_fast: task bad failed" in lines
    assert "TIME  later  skipped: not started: task bad failed" in lines
    assert lines[-2:] == ['job 1 "FF": error in N.NNs (1 FAILED, 1 cancelled, 1 skipped)',
                          "  failed: bad: exit code 1"]
    assert [p for p in pids(folder, "sib.pid", "sib.child") if alive(p)] == []
    assert not ran(folder, "later")


def test_the_tasks_of_a_phase_run_at_the_same_time(folder, write):
    path = write(one_phase(f"a {stamp('a', 0.5)}", f"b {stamp('b', 0.5)}"))
    started = time.monotonic()
    assert run(path).code == 0
    assert time.monotonic() - started < 3
    assert max(starts(folder, "a") + starts(folder, "b")) < min(ends(folder, "a") + ends(folder, "b"))
    assert max(ends(folder, "a") + ends(folder, "b")) - min(starts(folder, "a") + starts(folder, "b")) < 0.95


def test_concurrency_flag_limits_the_tasks_running_at_once(folder, write):
    names = [f"t{i}" for i in range(5)]
    path = write(one_phase(*(f"{n} {stamp(n, 0.4)}" for n in names), clauses="concurrency 1"))
    assert run(path, "--concurrency", "2").code == 0
    assert max_overlap([(starts(folder, n)[0], ends(folder, n)[0]) for n in names]) == 2


def test_concurrency_1_in_the_file_serializes(folder, write):
    names = ["a", "b", "c"]
    path = write(one_phase(*(f"{n} {stamp(n, 0.2)}" for n in names), clauses="concurrency 1"))
    assert run(path).code == 0
    assert max_overlap([(starts(folder, n)[0], ends(folder, n)[0]) for n in names]) == 1


def test_retries_show_each_attempt_and_its_backoff(folder, write):
    path = write(one_phase(f"flaky {stamp('flaky', 0, 5)} retries 2 backoff 200ms"))
    result = run(path)
    assert result.code == 1
    assert normalized(result.stdout)[1:] == [
        "TIME  flaky  started",
        "TIME  flaky  attempt 1 failed (exit code 5); retrying in N.NNs",
        "TIME  flaky  started (attempt 2)",
        "TIME  flaky  attempt 2 failed (exit code 5); retrying in N.NNs",
        "TIME  flaky  started (attempt 3)",
        "TIME  flaky  FAILED in N.NNs: exit code 5",
        'job 1 "Job": error in N.NNs (1 FAILED)',
        "  failed: flaky: exit code 5",
    ]
    assert ["retrying in 0.20s", "retrying in 0.40s"] == re.findall(r"retrying in \S+", result.stdout)
    first, second, third = starts(folder, "flaky")
    assert second - first >= 0.2 and third - second >= 0.4


def test_a_timed_out_task_leaves_no_grandchild(folder, write):
    path = write(one_phase("slow " + sh("sh -c 'sleep 60 & echo $! > pid; sleep 60'")
                           + " timeout 500ms"))
    started = time.monotonic()
    result = run(path)
    assert 0.5 <= time.monotonic() - started < 8
    assert result.code == 1
    assert "slow  FAILED in " in result.stdout and "timed out after 500ms" in result.stdout
    assert not alive(pids(folder, "pid")[0])


def test_the_job_timeout_shows_the_cancelled_task(folder, write):
    path = write(one_phase("slow " + sh("sleep 30 & echo $! > slow.child; wait"),
                           clauses="timeout 500ms"))
    result = run(path)
    assert result.code == 1
    assert "  reason: job timed out after 500ms" in result.stdout.splitlines()
    assert not alive(pids(folder, "slow.child")[0])
    # one line per event: a task that started is also seen to end
    slow = [line for line in normalized(result.stdout) if line.startswith("TIME  slow")]
    assert len(slow) == 2 and slow[0] == "TIME  slow  started", slow
    assert re.fullmatch(r"TIME  slow  cancelled( in N.NNs)?: job timed out after 500ms", slow[1])


# --- selection, disabled, needs --------------------------------------------------------------

@pytest.mark.parametrize("flags, chosen", [
    (["--only", "a,c*"], {"a", "c1"}),
    (["--skip", "b", "--skip", "c1"], {"a"}),
    (["--phase", "Two"], {"c1"}),
])
def test_selection_flags_run_only_the_selected_tasks(folder, write, flags, chosen):
    path = write(f"""
orchestration "Select" {{
    phase "One" {{
        task a {stamp("a", 0)}
        task b {stamp("b", 0)}
        task off {stamp("off", 0)} disabled
    }}
    phase "Two" {{
        task c1 {stamp("c1", 0)}
    }}
}}
""")
    result = run(path, *flags)
    assert result.code == 0
    assert {n for n in ("a", "b", "off", "c1") if ran(folder, n)} == chosen
    assert re.search(rf"[(, ]{len(chosen)} ok[,)]", result.stdout.splitlines()[-1])


def test_a_needs_task_starts_before_the_barrier_of_its_phase(folder, write):
    path = write(f"""
orchestration "Needs" {{
    phase "One" {{
        task fast {stamp("fast", 0)}
        task slow {stamp("slow", 1.0)}
    }}
    phase "Two" {{
        task eager {stamp("eager", 0)} needs fast
    }}
}}
""")
    assert run(path).code == 0
    assert starts(folder, "eager")[0] < ends(folder, "slow")[0]


# --- params cannot inject (2, 3, 7) ----------------------------------------------------------

INJECTIONS = [
    "x; touch PWNED",
    "$(touch PWNED)",
    "'; touch PWNED; '",
    '"; touch PWNED; "',
    "`touch PWNED`",
    "a\ntouch PWNED",
]

PLACES = {
    "unquoted": "printf %s ${v} > got.txt",
    "double": 'printf %s "${v}" > got.txt',
    "single": "printf %s '${v}' > got.txt",
}


@pytest.mark.parametrize("value", INJECTIONS)
def test_a_param_injects_nothing_and_reaches_the_task_exactly(folder, write, value):
    for place in PLACES:
        (folder / place).mkdir()
    path = write(one_phase(*(f'{place} {sh(command)} cwd "{place}"'
                             for place, command in PLACES.items()),
                           clauses='param v = "default"'))
    result = run(path, "--param", f"v={value}")
    assert sorted(p.name for p in folder.rglob("PWNED")) == []
    assert result.code == 0, result.stdout
    assert {place: (folder / place / "got.txt").read_text() for place in PLACES} == \
        dict.fromkeys(PLACES, value)


# --- secrets (3, 7) --------------------------------------------------------------------------

@pytest.mark.parametrize("flags", [[], ["--stream"], ["--stream", "--concurrency", "1"]],
                         ids=" ".join)
def test_a_secret_echoed_by_a_task_never_reaches_the_terminal(write, flags):
    path = write(one_phase("leak " + sh("echo $TOKEN; echo ${TOKEN}; echo ${TOKEN} >&2; exit 1"),
                           clauses="secret TOKEN"))
    result = run(path, *flags, env={"TOKEN": SECRET})
    assert result.code == 1
    assert "***" in result.stdout
    assert SECRET not in result.stdout + result.stderr
    if flags:
        assert [line for line in result.stdout.splitlines() if line.startswith("[leak]")] == \
            ["[leak] ***", "[leak] ***"]


def test_a_secret_split_across_two_writes_is_masked(write):
    path = write(one_phase("split " + sh(f"printf {SECRET[:6]}; sleep 0.2; printf {SECRET[6:]}; "
                                         "echo; exit 1"), clauses="secret TOKEN"))
    for flags in ([], ["--stream"]):
        result = run(path, *flags, env={"TOKEN": SECRET})
        assert result.code == 1
        assert SECRET[:6] not in result.stdout and SECRET[6:] not in result.stdout
        assert ("[split] ***" if flags else "    | ***") in result.stdout.splitlines()


def test_a_secret_containing_another_is_masked_whole_when_split(write):
    url = f"postgres://etl:{SECRET}@db.internal.example/warehouse"
    head, tail = url.split("@")
    path = write(one_phase("connect " + sh(f"printf '{head}'; sleep 0.2; printf '@{tail}\\n'"),
                           clauses="secret DB_PASSWORD secret DB_URL"))
    result = run(path, "--stream", env={"DB_PASSWORD": SECRET, "DB_URL": url})
    assert result.code == 0
    assert "db.internal.example" not in result.stdout and SECRET not in result.stdout
    assert "[connect] ***" in result.stdout.splitlines()


def test_a_secret_of_the_parent_is_masked_in_a_nested_job(write):
    write(one_phase("inner " + sh("echo inner says $TOKEN"), name="Child"), "child.orch")
    path = write(one_phase('nested orchestration "child.orch"', clauses="secret TOKEN"))
    result = run(path, "--stream", env={"TOKEN": SECRET})
    assert result.code == 0
    assert "[inner] inner says ***" in result.stdout.splitlines()
    assert SECRET not in result.stdout + result.stderr


def test_a_missing_secret_fails_before_any_task_starts(folder, write):
    path = write(one_phase(f"a {stamp('a', 0)}", clauses="secret TOKEN"))
    result = run(path)
    assert result.code == 1
    assert not ran(folder, "a")
    assert event_lines(result.stdout) == []
    assert "secret TOKEN is not set" in result.stdout + result.stderr


# --- signals (5.4, 7) ------------------------------------------------------------------------

@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_cancels_the_job_and_leaves_no_process(folder, write, signum, code):
    path = write(f"""
orchestration "Signals" {{
    phase "One" {{
        task a {sh("echo $$ > a.pid; sleep 60 & echo $! > a.child; wait")}
        task b {sh("sh -c 'sleep 60 & echo $! > b.grandchild; wait' & echo $! > b.child; wait")}
    }}
    phase "Two" {{
        task later {stamp("later", 0)}
    }}
}}
""")
    process = subprocess.Popen([executable(), "run", path.name], cwd=folder, env=environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        files = ("a.pid", "a.child", "b.child", "b.grandchild")
        wait_for(lambda: all((folder / f).exists() and (folder / f).read_text().strip()
                             for f in files))
        time.sleep(0.2)
        os.kill(process.pid, signum)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == code, (stdout, stderr)
    assert [p for p in pids(folder, *files) if alive(p)] == []
    assert not ran(folder, "later")
    summary = stdout.decode().splitlines()
    assert any(line.startswith('job 1 "Signals": cancelled in ') for line in summary), summary
    assert "  reason: cancelled by " + signal.Signals(signum).name in summary


# --- call and nested tasks -------------------------------------------------------------------

def test_what_a_call_prints_is_task_output(folder, write):
    (folder / "steps.py").write_text("def go(day):\n    print('hello on', day)\n")
    path = write(one_phase('c call "steps:go"', clauses='param day = "mon"'))
    quiet = run(path, "--param", "day=tue")
    assert quiet.code == 0
    assert "hello" not in quiet.stdout + quiet.stderr
    streamed = run(path, "--param", "day=tue", "--stream")
    assert "[c] hello on tue" in streamed.stdout.splitlines()


def test_a_call_that_raises_shows_its_traceback(folder, write):
    (folder / "steps.py").write_text("def go():\n    raise RuntimeError('no rows today')\n")
    result = run(write(one_phase('c call "steps:go"')))
    assert result.code == 1
    lines = result.stdout.splitlines()
    assert "  failed: c: RuntimeError: no rows today" in lines
    assert f'    |   File "{folder / "steps.py"}", line 2, in go' in lines
    assert lines[-1] == "    | RuntimeError: no rows today"
    assert result.stderr == ""


def test_a_sync_call_past_its_timeout_does_not_hold_the_command(folder, write):
    (folder / "steps.py").write_text("import time\ndef go():\n    time.sleep(6)\n")
    started = time.monotonic()
    result = run(write(one_phase('c call "steps:go" timeout 300ms')))
    assert time.monotonic() - started < 4.5
    assert result.code == 1
    assert "timed out after 300ms" in result.stdout


def test_a_call_module_is_found_next_to_the_file_from_another_folder(tmp_path, folder, write):
    (folder / "steps.py").write_text("def go():\n    print('found me')\n")
    path = write(one_phase('c call "steps:go"'))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = orchdsl("run", path, "--stream", cwd=elsewhere)
    assert result.code == 0
    assert "[c] found me" in result.stdout.splitlines()


@pytest.mark.parametrize("child_code, code", [(0, 0), (1, 1)])
def test_a_nested_orchestration_runs_as_its_own_job(folder, write, child_code, code):
    write(one_phase(f"inner {stamp('inner', 0, child_code)}", name="Child"), "child.orch")
    path = write(f"""
orchestration "Parent" {{
    phase "One" {{
        task nested orchestration "child.orch"
    }}
    phase "Two" {{
        task after {stamp("after", 0)}
    }}
}}
""")
    result = run(path)
    assert result.code == code
    assert ran(folder, "inner")
    assert ran(folder, "after") is (code == 0)
    inner, nested, after = {
        0: ("ok in N.NNs", "ok in N.NNs", "started"),
        1: ("FAILED in N.NNs: exit code 1", "FAILED in N.NNs: child job 2 ended in error",
            "skipped: not started: task nested failed"),
    }[child_code]
    assert [line for line in normalized(result.stdout) if line.startswith("TIME")][:7] == [
        'TIME  job 1 "Parent" started (job.orch)',
        "TIME  nested  started",
        'TIME  job 2 "Child" started (child.orch)',
        "TIME  inner   started",
        f"TIME  inner   {inner}",
        f"TIME  nested  {nested}",
        f"TIME  after   {after}",
    ]
