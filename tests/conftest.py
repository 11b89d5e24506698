"""Shared fixtures: run the installed ``orchdsl`` command, write .orch files to a temporary
folder, and the examples shipped with the project."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.orch"))
# A file with every construct of language 1.1, in fmt's layout: not an example (the runtime of
# 1.1 is not built yet), but parsed, formatted, coloured and fuzzed as the examples are.
LANGUAGE_1_1 = REPO / "tests" / "cases" / "syntax" / "language-1.1.orch"

# The tiers (pyproject.toml's `slow` marker): `pytest -m "not slow"` is the edit-test loop, the
# in-process tests of every stage; the full suite (what CI runs) adds these modules, whose
# every test starts the installed `orchdsl` command, a server, a terminal or a cluster. Tests
# elsewhere that take seconds carry `@pytest.mark.slow` themselves.
END_TO_END_MODULES = frozenset("""
    test_background_jobs test_backfill test_completion test_dask test_docs_site
    test_dry_run_cli test_fmt_cli test_graph_cli test_graph_cli_1_1 test_ha_claims
    test_ha_concurrent_runs test_ha_migrations test_ha_store_disks test_history_cli
    test_import_keboola test_lint_cli test_next_cli test_no_process_outlives test_notify_cli
    test_notify_delivery test_plan_cache test_postgres_cli test_postgres_store test_prune
    test_run_cli test_run_output test_scheduler_cli test_task_logs
""".split())


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.stem in END_TO_END_MODULES:
            item.add_marker(pytest.mark.slow)


# Terminal names of the grammar (and lark's own) that must never reach a user.
LARK_TOKEN_NAMES = ("RBRACE", "LBRACE", "RSQB", "LSQB", "NAME", "STRING", "LONG_STRING", "INT",
                    "DURATION", "COMMA", "EQUAL", "COMMENT", "$END", "__ANON", "_ANON",
                    "RAW_STRING", "RAW_LONG_STRING", "REFERENCE", "COMPARE", "LPAR", "RPAR")


def lark_token_names(shown: str, source: str = "") -> list[str]:
    """The lark token names in a message or hint, leaving out words the user wrote in
    ``source`` themselves (a message may quote them back)."""
    found = []
    for name in LARK_TOKEN_NAMES:
        end = "" if name.endswith("ANON") else r"(?!\w)"  # __ANON_0, __ANON_1, ...
        if re.search(rf"(?<![\w$]){re.escape(name)}{end}", shown) and name not in source:
            found.append(name)
    return found


class Result(NamedTuple):
    code: int
    stdout: str
    stderr: str


def orchdsl_executable() -> str:
    """The console script installed next to the running interpreter (the project's venv),
    else the one on PATH."""
    beside = Path(sys.executable).parent / "orchdsl"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("orchdsl")
    if found is None:
        pytest.fail("the orchdsl command is not installed (pip install -e . in the venv)")
    return found


def run_command(*args: str, stdin: str | bytes | None = None, cwd: str | os.PathLike | None = None,
                env: dict[str, str] | None = None, timeout: float = 60) -> Result:
    environment = {k: v for k, v in os.environ.items() if k not in ("ORCHDSL_DEBUG", "NO_COLOR")}
    environment["PYTHONUTF8"] = "1"
    environment.update(env or {})
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    completed = subprocess.run([orchdsl_executable(), *map(str, args)], input=data,
                               capture_output=True, cwd=cwd, env=environment, timeout=timeout)
    return Result(completed.returncode, completed.stdout.decode("utf-8"),
                  completed.stderr.decode("utf-8"))


def isolated_env(env: dict[str, str] | None = None, *, hide: tuple[str, ...] = ()
                 ) -> dict[str, str]:
    """The environment of a command under test that runs jobs: ours without ORCHDSL_DEBUG and
    the names in ``hide`` (secrets a test sets itself, a store location), UTF-8, no colour,
    then ``env``."""
    environ = {k: v for k, v in os.environ.items() if k != "ORCHDSL_DEBUG" and k not in hide}
    environ.update({"PYTHONUTF8": "1", "NO_COLOR": "1"})
    environ.update(env or {})
    return environ


def run_isolated(*args, cwd, env: dict[str, str] | None = None, timeout: float = 60,
                 hide: tuple[str, ...] = ()) -> Result:
    """The installed ``orchdsl`` with ``isolated_env``."""
    done = subprocess.run([orchdsl_executable(), *map(str, args)], capture_output=True, cwd=cwd,
                          env=isolated_env(env, hide=hide), timeout=timeout)
    return Result(done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


@pytest.fixture(autouse=True)
def own_state_home(tmp_path_factory, monkeypatch):
    """Every test has a per-user state folder of its own: the default job store is
    ``$XDG_STATE_HOME/orchdsl/orchdsl.db`` (docs/language.md), and tests must neither write
    into the real one nor see each other's jobs. Commands the tests start inherit it. So has
    every test a cache folder of its own (the plan cache, docs/reference.md: no test runs a
    plan another left), seeded with lark's grammar cache so that parsing starts fast."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.delenv("ORCHDSL_HOME", raising=False)
    monkeypatch.delenv("ORCHDSL_STORE", raising=False)
    cache = tmp_path_factory.mktemp("cache")
    grammars = tmp_path_factory.getbasetemp() / "grammar-cache"
    if grammars.is_dir():
        shutil.copytree(grammars, cache / "orchdsl")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("ORCHDSL_CACHE", raising=False)
    yield state
    if not grammars.is_dir():
        found = sorted((cache / "orchdsl").glob("grammar-*.cache"))
        if found:
            grammars.mkdir(exist_ok=True)
            for path in found:
                shutil.copy(path, grammars / path.name)


@pytest.fixture
def orchdsl():
    """``orchdsl("lint", "x.orch", stdin=..., cwd=...) -> (exit code, stdout, stderr)``, through
    the installed command in a subprocess."""
    return run_command


@pytest.fixture
def write_orch(tmp_path):
    """``write_orch(text, name="x.orch") -> Path``: the file, written byte for byte (no newline
    translation) below ``tmp_path``; ``text`` may be bytes; folders in ``name`` are created."""

    def write(text: str | bytes, name: str = "x.orch") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        return path

    return write


@pytest.fixture
def folder(tmp_path) -> Path:
    """A job folder holding stamp.py (see jobfiles.STAMP_PY), for the runner and store tests."""
    from jobfiles import STAMP_PY

    (tmp_path / "stamp.py").write_text(STAMP_PY)
    return tmp_path


@pytest.fixture
def write(folder):
    """``write(text, name="job.orch") -> Path``: a file in ``folder``."""
    def write_file(text: str, name: str = "job.orch") -> Path:
        path = folder / name
        path.write_text(text)
        return path
    return write_file


@pytest.fixture
def examples_copy(tmp_path) -> Path:
    """A private copy of examples/, for tests that write next to the examples."""
    target = tmp_path / "examples"
    shutil.copytree(EXAMPLES, target)
    return target


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1, keeping every mail (notify_servers.py)."""
    from notify_servers import SmtpServer

    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def servers():
    """``servers(answers=(200,)) -> HttpServer``: real webhook servers on 127.0.0.1, each
    answering as told (notify_servers.py); all stopped after the test."""
    from notify_servers import HttpServer

    started = []

    def start(answers=(200,)):
        server = HttpServer(answers)
        started.append(server)
        return server
    yield start
    for server in started:
        server.stop()


# A small pipeline with every kind of task and option, and the nested file it runs: the
# dry-run and graph tests compare their output for it exactly.
SMALL_ORCH = '''\
orchestration "Small" {
    param day = "today"
    secret TOKEN

    phase "Extract" {
        task crm extractor run "python3 crm.py --day ${day}" retries 2 backoff 30s timeout 10m
        task sheet extractor run ["python3", "sheet.py", "--token", "${TOKEN}"]
    }
    phase "Transform" {
        task prep transformation call "pkg.mod:prepare"
        task early transformation run "python3 early.py" needs crm
    }
    phase "Write" {
        task upload writer run "python3 upload.py" cwd "out" env MODE = "full" continue_on_failure
        task old writer run "python3 old.py" disabled
        task child application orchestration "child.orch"
    }
}
'''

SMALL_CHILD = '''\
orchestration "Child" {
    phase "Only" {
        task c1 run "echo child"
    }
}
'''


@pytest.fixture
def small_pipeline(tmp_path) -> Path:
    """``small.orch`` (SMALL_ORCH) and the ``child.orch`` it runs, in tmp_path."""
    (tmp_path / "child.orch").write_text(SMALL_CHILD, encoding="utf-8")
    path = tmp_path / "small.orch"
    path.write_text(SMALL_ORCH, encoding="utf-8")
    return path
