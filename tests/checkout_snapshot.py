"""A copy of the checkout as it is now (tracked and new files, not ignored ones), for tests
that install orchdsl the way a user's tool does: pre-commit clones a git repository at a
commit, a GitHub Action installs from its own checkout. A copy, so that the tests see the
work tree being tested (committed or not) and no build files land in the real checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "orchdsl tests", "GIT_AUTHOR_EMAIL": "tests@example.com",
                "GIT_COMMITTER_NAME": "orchdsl tests", "GIT_COMMITTER_EMAIL": "tests@example.com"}


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, **GIT_IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def snapshot(target: Path, commit: bool = False) -> Path:
    """Copy the checkout's files to ``target``; with ``commit``, make it a git repository with
    one commit of them. Skips the test where the checkout is no git repository (an sdist)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout of orchdsl and git")
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    for name in sorted(set(filter(None, listed.split("\0")))):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is left out
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    if commit:
        git("init", "-q", "-b", "main", cwd=target)
        git("add", "-A", cwd=target)
        git("commit", "-q", "-m", "snapshot of the orchdsl checkout under test", cwd=target)
    return target
