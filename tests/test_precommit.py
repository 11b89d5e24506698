"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit in a temporary git
repository, as a user's ``.pre-commit-config.yaml`` would name them: pre-commit clones the
hooks repository at a commit and installs orchdsl from it into an environment of its own.

The hooks repository is a committed copy of this checkout (its work tree, committed or not),
so the test checks what is being changed. pre-commit's cache (PRE_COMMIT_HOME) lives for the
session: orchdsl is installed once for all the tests here.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from checkout_snapshot import git, snapshot
from orchdsl.cli.main import COMMANDS

BAD = 'orchestration "o" {\n    phase "p" {\n        task a extracter run "true"\n    }\n}\n'
GOOD = 'orchestration "o" {\n    phase "p" {\n        task a run "true"\n    }\n}\n'
UNFORMATTED = 'orchestration "o" {\nphase "p" {   task a   run "true"\n}}\n'

needs_fmt = pytest.mark.skipif("fmt" not in COMMANDS,
                               reason="orchdsl fmt is not a command yet (issue 8)")


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory):
    repo = snapshot(tmp_path_factory.mktemp("hooks_repo"), commit=True)
    return repo, git("rev-parse", "HEAD", cwd=repo).strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre_commit_home")


@pytest.fixture
def project(hooks_repo, pre_commit_home, tmp_path):
    """A user's repository whose .pre-commit-config.yaml uses both hooks; returns a function
    that runs ``pre-commit run HOOK --files FILE...`` there."""
    repo, rev = hooks_repo
    git("init", "-q", "-b", "main", cwd=tmp_path)
    (tmp_path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: orchdsl-lint\n      - id: orchdsl-fmt\n")

    def run(hook: str, *files: str) -> subprocess.CompletedProcess:
        git("add", "-A", cwd=tmp_path)
        env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "PRE_COMMIT_COLOR": "never",
               "NO_COLOR": "1"}
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", hook, "--files", *files],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)

    run.folder = tmp_path
    return run


def test_the_hooks_manifest_is_valid():
    from checkout_snapshot import ROOT

    done = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest",
                           ROOT / ".pre-commit-hooks.yaml"], capture_output=True, text=True)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@pytest.mark.slow  # runs the real pre-commit, which builds an environment
def test_lint_hook_fails_on_a_bad_file_with_the_diagnostic(project):
    (project.folder / "bad.orch").write_text(BAD)
    (project.folder / "good.orch").write_text(GOOD)
    done = project("orchdsl-lint", "bad.orch", "good.orch")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "orchdsl lint" in done.stdout and "Failed" in done.stdout
    assert "bad.orch:3:16: error[E001]: expected a kind" in done.stdout
    assert 'help: did you mean "extractor"?' in done.stdout


@pytest.mark.slow  # runs the real pre-commit, which builds an environment
def test_lint_hook_passes_a_good_file(project):
    (project.folder / "good.orch").write_text(GOOD)
    done = project("orchdsl-lint", "good.orch")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


@pytest.mark.slow  # runs the real pre-commit, which builds an environment
def test_lint_hook_skips_other_files(project):
    (project.folder / "notes.txt").write_text("task a extracter\n")
    done = project("orchdsl-lint", "notes.txt")
    assert done.returncode == 0
    assert "(no files to check)Skipped" in done.stdout


@pytest.mark.slow  # runs the real pre-commit, which builds an environment
@needs_fmt
def test_fmt_hook_rewrites_an_unformatted_file_and_fails(project, orchdsl):
    path = project.folder / "messy.orch"
    path.write_text(UNFORMATTED)
    expected = orchdsl("fmt", "-", stdin=UNFORMATTED)
    assert expected.code == 0 and expected.stdout != UNFORMATTED
    done = project("orchdsl-fmt", "messy.orch")
    assert done.returncode == 1
    assert "files were modified by this hook" in done.stdout
    assert path.read_text() == expected.stdout
    again = project("orchdsl-fmt", "messy.orch")
    assert again.returncode == 0, again.stdout  # formatted now: the next commit goes through
